"""Delivery of alerts and scheduled packs: email over SMTP, webhooks, files."""
