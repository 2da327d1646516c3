"""Opening a dashboard page under AppTest as a browser opening its address does: that page's
script runs on the first run, without the home page (the weekly review) run before it."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from ui.page import section_key
from ui.review import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
HOME = "pages/north_star.py"
URL_PATHS = {  # each page script and the address dashboard.py serves it at
    "pages/north_star.py": "review",
    "pages/old_vs_north_star.py": "pairs",
    "pages/explore_view.py": "explore",
    "pages/data_and_definitions.py": "data",
    "pages/portfolios.py": "portfolio",
    "pages/at_risk.py": "at-risk",
    "pages/contact_center.py": "contact-center",
    "pages/wall.py": "sop-wall",
    "pages/customer.py": "account",
}


REVIEW_SECTIONS = tuple(SECTIONS)  # the review's sections below its first screen


def open_sections(at: AppTest) -> AppTest:
    """``at`` (not yet run) with every section of the review open, as a reader who opened them
    (a section's state is its widget's, seeded in the session)."""
    for key in REVIEW_SECTIONS:
        at.session_state[section_key(key)] = True
    return at


def open_page(at: AppTest, page: str = HOME) -> AppTest:
    """Run ``at`` (not yet run) once, on ``page`` (a script of URL_PATHS).

    AppTest's ``switch_page`` only knows the pages ``st.navigation`` registered in an earlier
    run, so it would need a run of the home page first; a browser asks for the page by its
    address instead, which is what this sends (Streamlit names an ``st.Page`` by the hash of
    its url path). A page the viewer may not open lands where a browser would land.
    """
    at._page_hash = calc_hash(URL_PATHS[page])  # what switch_page sets once the pages are known
    if page == HOME:  # all the review shows: its sections below the first screen opened
        open_sections(at)
    return at.run()
