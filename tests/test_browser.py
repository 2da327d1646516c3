"""The dashboard in a real browser: headless Chromium against `streamlit run dashboard.py`.

Skipped when /usr/bin/chromium is missing, except under CI (env CI set), where it fails.
Screenshots of every page go to artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser_support import (
    EXCEPTION,
    ROOT,
    free_port,
    open_sections,
    start_server,
    stop_server,
    wait_ready,
)

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"
PAGES = {"north_star": "/", "pairs": "/pairs", "explore": "/explore", "data": "/data"}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 2400})
    yield context.new_page()
    context.close()


def open_page(page, url: str) -> None:
    """The page at ``url``, every section of it opened (the review's below its first screen)."""
    page.goto(url)
    wait_ready(page)
    open_sections(page)


def drawn(page) -> None:
    """Wait until lazily loaded elements (visible tables, charts, code) replaced their placeholders."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')"
        " && [...document.querySelectorAll('[data-testid=\"stDataFrame\"]')]"
        ".every(d => !d.checkVisibility() || d.querySelector('canvas'))",
        timeout=30_000,
    )


def cli_otif(db: Path, start: dt.date, end: dt.date) -> float:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "query",
            "--metric",
            "otif",
            "--from",
            start.isoformat(),
            "--to",
            end.isoformat(),
            "--format",
            "json",
            "--db",
            str(db),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)[0]["otif"]


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_loads_without_an_exception(page, app_url, name):
    open_page(page, app_url + PAGES[name])
    page.wait_for_selector("h1", timeout=30_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    drawn(page)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    # Runs inside the app's navigation (a URL equal to a file name would bypass it).
    assert "Contact center" in page.locator('[data-testid="stSidebarNav"]').inner_text()


def test_a_link_to_a_page_is_the_first_visit_of_a_new_server(page, warehouse):
    port = free_port()
    server = start_server(warehouse, port=port)  # a server no one has visited yet
    try:
        open_page(page, f"http://127.0.0.1:{port}/data")
        page.get_by_role("heading", name="Data & definitions").wait_for()
        page.wait_for_timeout(1000)  # the dialog, if any, follows the page's first run
        assert page.get_by_text("Page not found").count() == 0
        assert page.locator(EXCEPTION).count() == 0
    finally:
        stop_server(server)


def test_north_star_shows_the_otif_the_cli_computes(page, app_url, warehouse):
    from metrics.periods import last_complete_period, period_end
    from metrics.query import default_as_of
    from store.warehouse import Warehouse

    cur = Warehouse(warehouse).engine()
    start = last_complete_period(default_as_of(cur), "week")
    cur.close()
    expected = cli_otif(warehouse, start, period_end(start, "week"))
    open_page(page, app_url + "/")
    tile = page.locator('[data-testid="stMetric"]', has_text="OTIF · week under review")
    headline = tile.locator('[data-testid="stMetricValue"]').inner_text().strip()
    assert headline == f"{expected * 100:.1f}%"


def test_an_explore_link_reproduces_the_view(page, app_url):
    open_page(page, app_url + "/explore?metric=fcr&by=region&every=week")
    chosen = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"] input')
    expected = ["First-contact resolution", "Region", "by week"]  # labels, not codes
    expect(chosen).to_have_count(len(expected), timeout=30_000)  # retried until drawn
    for i, value in enumerate(expected):
        expect(chosen.nth(i)).to_have_value(value, timeout=30_000)
    page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=30_000)
    query = parse_qs(urlparse(page.url).query)
    assert query["metric"] == ["fcr"] and query["by"] == ["region"]
    assert page.locator(EXCEPTION).count() == 0


def test_clicking_a_row_narrows_the_records(page, app_url):
    open_page(page, app_url + "/explore?metric=otif&by=region")
    page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=30_000)
    drawn(page)  # charts above the grid have their final size: the grid stops moving
    grid = page.locator('[data-testid="stDataFrame"]').first
    for _ in range(5):  # the grid may still be laying out: click again until the selection lands
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()  # measured anew on each try
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
        try:
            page.wait_for_function(
                "() => new URL(location.href).searchParams.get('pick')", timeout=10_000
            )
            break
        except PlaywrightTimeout:
            continue
    wait_ready(page)
    picked = parse_qs(urlparse(page.url).query)["pick"][0]
    assert f"region = {picked}" in page.inner_text("body")
    shared = page.url
    page.goto("about:blank")
    open_page(page, shared)  # the link alone narrows the same way
    assert f"region = {picked}" in page.inner_text("body")
    assert page.locator(EXCEPTION).count() == 0


def test_a_new_period_type_reviews_its_last_complete_period(page, app_url, warehouse):
    from metrics.periods import last_complete_period
    from metrics.query import default_as_of
    from store.warehouse import Warehouse

    cur = Warehouse(warehouse).engine()
    month = last_complete_period(default_as_of(cur), "month")
    cur.close()
    open_page(page, app_url + "/")
    page.locator('[data-testid="stSidebar"]').get_by_text("month", exact=True).click()
    page.wait_for_function("t => document.body.innerText.includes(t)", arg=f"{month:%B %Y}")
    wait_ready(page)
    assert parse_qs(urlparse(page.url).query).get("grain") == ["month"]
    assert "not one we know" not in page.inner_text("body")
    assert page.locator(EXCEPTION).count() == 0
