"""Presentation without Streamlit: chart specs, number formatting and safe CSV, shared by the pages and the review pack."""
