"""In a real browser, with today pinned 14 days after the sample data ends: every page warns
about stale data, a chosen period stays in a shared link, a new period type logs no widget
warning, and values from the data or the URL stay plain text."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest
from playwright.sync_api import expect

from metrics.query import default_as_of
from store.warehouse import Warehouse
from tests.browser_support import (
    EXCEPTION,
    ROOT,
    free_port,
    start_server,
    stop_server,
    wait_ready,
)

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"
EVIL = "[x](https://evil.example)"
PAGES = ["/", "/pairs", "/explore", "/data", "/portfolio", "/contact-center", "/account"]
STALE = '[data-testid="stAlert"]:has-text("behind today")'


@pytest.fixture(scope="module")
def stale_app(warehouse, chromium_path, tmp_path_factory):
    """The app on a copy of the demo warehouse with one more customer, whose region is a
    markdown link; today is pinned 14 days after the data's as-of date."""
    db = Path(shutil.copy(warehouse, tmp_path_factory.mktemp("stale") / "demo.duckdb"))
    con = duckdb.connect(str(db))
    con.execute(
        "INSERT INTO customers (customer_id, name, segment, region, portfolio, portfolio_manager)"
        " VALUES ('C-LINK', 'Linked Ltd', 'retail', ?, 'Retail South', 'Ann')",
        [EVIL],
    )
    con.close()
    as_of = default_as_of(Warehouse(db).engine(), dt.date(2026, 11, 29))
    today = as_of + dt.timedelta(days=14)
    port = free_port()
    proc = start_server(db, port=port, env={"NORTHSTAR_TODAY": today.isoformat()})
    yield f"http://127.0.0.1:{port}", as_of, today, proc.log_path
    stop_server(proc)


def open_page(browser, url: str, width: int = 1440, height: int = 900):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(url)
    wait_ready(page)
    return page


@pytest.mark.parametrize("path", PAGES)
def test_every_page_shows_the_staleness_warning(browser, stale_app, path):
    url, as_of, today, _ = stale_app
    page = open_page(browser, url + path)
    try:
        warning = page.locator(STALE)
        warning.first.wait_for(timeout=30_000)
        text = warning.first.inner_text()
        assert f"{as_of:%a %d %b %Y}, 14 days behind today ({today:%a %d %b %Y})" in text
        assert warning.first.is_visible()
        assert page.locator(EXCEPTION).count() == 0
    finally:
        page.context.close()


@pytest.mark.parametrize("size", [(1440, 900), (1366, 768)])
def test_screenshot_of_the_review_with_the_staleness_warning(browser, stale_app, size):
    url = stale_app[0]
    page = open_page(browser, url + "/", *size)
    try:
        page.locator(STALE).first.wait_for(timeout=30_000)
        box = page.locator(STALE).first.bounding_box()
        assert box["y"] + box["height"] <= size[1]  # seen without scrolling
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"stale_review_{size[0]}x{size[1]}.png"))
    finally:
        page.context.close()


def test_a_chosen_period_stays_in_the_link(browser, stale_app):
    url, as_of, _, _ = stale_app
    page = open_page(browser, url + "/")
    try:
        assert "period" not in parse_qs(urlparse(page.url).query)  # absent: the latest
        side = page.locator('[data-testid="stSidebar"]')
        expect(side).to_contain_text("Latest complete week in the data (")
        week = as_of - dt.timedelta(days=as_of.weekday() + 14)
        # typed, not scrolled to: the option list draws only the options in view
        side.locator('[data-testid="stSelectbox"]').last.locator("input").click()
        page.keyboard.type(week.isoformat())
        page.get_by_role("option", name=week.isoformat(), exact=True).click()
        page.wait_for_function(
            "p => new URL(location.href).searchParams.get('period') === p", arg=week.isoformat()
        )
        wait_ready(page)
        shared = page.url
        page.goto("about:blank")
        page.goto(shared)  # the pasted link: the same week, not the latest
        wait_ready(page)
        stamp = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').nth(1)
        # waits for the drawn stamp: a page view may draw more than once
        expect(stamp).to_contain_text(f"{week.day}")
        expect(stamp).not_to_contain_text("Latest")
        assert parse_qs(urlparse(page.url).query)["period"] == [week.isoformat()]
        assert page.locator(EXCEPTION).count() == 0
    finally:
        page.context.close()


def test_a_new_period_type_logs_no_widget_warning(browser, stale_app):
    url, _, _, log = stale_app
    page = open_page(browser, url + "/?period=2026-10-26")
    try:
        page.locator('[data-testid="stSidebar"]').get_by_text("month", exact=True).click()
        page.wait_for_function("() => document.body.innerText.includes('Latest complete month')")
        wait_ready(page)
        # the address follows the run's end (the browser writes the new query string last)
        page.wait_for_function(
            "() => new URLSearchParams(location.search).get('grain') === 'month'"
        )
        server_log = Path(log).read_text()
        assert "created with a default value" not in server_log
        assert "Traceback" not in server_log
        assert page.locator(EXCEPTION).count() == 0
        query = parse_qs(urlparse(page.url).query)
        assert query.get("grain") == ["month"] and "period" not in query
    finally:
        page.context.close()


def test_values_from_the_data_and_the_url_are_plain_text(browser, stale_app):
    url = stale_app[0]
    page = open_page(browser, url + "/?region=" + EVIL + "&period=[y](https://evil.example)")
    try:
        main = page.locator('[data-testid="stMain"]')
        main.get_by_text("region:").first.wait_for(timeout=30_000)
        # invisible joiners break bare URLs and e-mail addresses up: read the text without them
        shown = main.inner_text().replace("\u200b", "").replace("\u2060", "")
        assert f"region: {EVIL}" in shown  # the stamp shows the value as typed, as text
        assert "period '[y](https://evil.example)'" in shown  # the note about the bad period
        assert page.locator('a[href*="evil.example"]').count() == 0
        assert page.locator(EXCEPTION).count() == 0
    finally:
        page.context.close()
