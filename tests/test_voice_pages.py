"""What customers said, on the pages: verbatims are data, shown as text, never as markdown;
the review, customer and contact-center pages render their voice sections."""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from connectors.load import load_paths
from present import format as fmt
from tests import browser_support
from tests.app_support import open_sections as open_review_sections
from tests.browser_support import (
    EXCEPTION,
    free_port,
    start_server,
    stop_server,
    wait_ready,
)
from tests.metric_support import FIXTURE, ROOT
from tests.test_browser import SHOTS

APP = str(ROOT / "dashboard.py")
EVIL = "[x](https://evil.example) ![p](https://evil.example/p.png) <b>late</b> **bold**"
SIZES = [{"width": 1440, "height": 900}, {"width": 1366, "height": 768}]


@pytest.fixture(scope="module")
def evil_db(tmp_path_factory) -> Path:
    """The metrics fixture with two detractors commenting on O2 (missed OTIF) in the week of
    9 March 2026, one of them writing markdown and HTML."""
    tmp = tmp_path_factory.mktemp("evil")
    shutil.copytree(FIXTURE, tmp / "extracts")
    with (tmp / "extracts" / "surveys.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["response_id", "customer_id", "order_id", "call_id", "responded_at",
                      "touchpoint", "csat", "nps", "ces", "comment"])  # fmt: skip
        out.writerow(["R1", "C1", "O2", "", "2026-03-12", "delivery", 1, 2, "", EVIL])
        out.writerow(["R2", "C1", "O2", "", "2026-03-11", "delivery", 2, 3, "", "Came late again"])
        out.writerow(["R3", "C1", "O1", "", "2026-03-11", "delivery", 5, 10, "", "Great service"])
    db = tmp / "evil.duckdb"
    load_paths(db, [tmp / "extracts"], progress=False)
    return db


@pytest.fixture
def fresh_caches(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NORTHSTAR_CONFIG", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_review_shows_verbatims_as_text(evil_db, fresh_caches, monkeypatch):
    monkeypatch.setenv("NORTHSTAR_DB", str(evil_db))
    at = open_review_sections(AppTest.from_file(APP, default_timeout=90)).run()
    assert not at.exception
    assert "What customers said" in [h.value for h in at.subheader]
    frames = [d.value for d in at.dataframe]
    # each comment whole, in its own box: the words exactly as written, escaped as text
    said = [m.value for m in at.markdown]
    assert fmt.escape_markdown(EVIL) in said
    assert "Came late again" in said
    head = next(m for m in said if m.startswith("**NPS") and "Came" not in m)
    assert "](account?customer_id=C1)" in head
    assert fmt.escape_markdown("O2 due 10 Mar: Late dispatch · Site (warehouse)") in " ".join(said)
    themes = next(f for f in frames if "Theme" in f.columns)
    late = themes[themes["Theme"] == "Late delivery"].iloc[0]
    assert late["Missed: n"] == 2  # "Came late again" and the "<b>late</b>" in the markdown one
    markup = [m.value for m in (*at.markdown, *at.caption, *at.info, *at.warning)]
    # the comment is the only place its words appear, escaped: no link or image is made of it
    assert not any("evil.example" in m for m in markup if m != fmt.escape_markdown(EVIL))


@pytest.mark.browser
@pytest.mark.browser
def test_verbatims_with_markdown_stay_text_in_a_browser(evil_db, browser):
    """The shared browser session (one Playwright per process, see tests/conftest.py)."""
    port = free_port()
    proc = start_server(evil_db, port=port)
    try:
        for size in SIZES:
            context = browser.new_context(viewport=size)
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            wait_ready(page)
            browser_support.open_sections(page)
            assert page.locator(EXCEPTION).count() == 0
            heading = page.get_by_text("Detractors after a broken promise", exact=True)
            heading.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")
            time.sleep(0.5)  # the grid paints its canvas after layout
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"review_voice_{size['width']}.png"))
            assert page.locator('a[href*="evil.example"]').count() == 0
            assert page.locator('img[src*="evil.example"]').count() == 0
            assert page.locator('[data-testid="stMain"] b:text("late")').count() == 0
            assert page.get_by_text("What customers said", exact=True).is_visible()
            assert page.get_by_text("The latest 2 comments", exact=False).is_visible()
            context.close()
    finally:
        stop_server(proc)
