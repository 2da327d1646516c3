"""The wall screen, portfolios, contact center and customer pages in a real browser.

Same suite and rules as test_browser.py (skipped without /usr/bin/chromium, failing under CI).
Screenshots go to artifacts/screenshots/. The wall is shot at 1920x1080, the size of its TV.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.browser_support import EXCEPTION, free_port, start_server, stop_server, wait_ready
from tests.conftest import run_cli, write_csv
from tests.test_browser import SHOTS, cli_otif

pytestmark = pytest.mark.browser
SCREENS = {
    "wall": "/sop-wall?embed=true",
    "portfolios": "/portfolio",
    "contact_center": "/contact-center",
    "customer": "/account?customer_id={customer}",
}
TV = {"width": 1920, "height": 1080}
CALL_HEADER = [
    "call_id",
    "customer_id",
    "order_id",
    "queue",
    "agent_id",
    "started_at",
    "wait_sec",
    "talk_sec",
    "hold_sec",
    "acw_sec",
    "abandoned",
    "resolved",
    "reason",
    "sale_amount",
]


def new_page(browser, viewport: dict[str, int]):
    return browser.new_context(viewport=viewport).new_page()


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)


def first_customer(db: Path) -> str:
    from connectors.warehouse import Warehouse
    from metrics.catalog import load_catalog
    from metrics.customers import customers_at_risk

    cur = Warehouse(db).cursor()
    try:
        return customers_at_risk(cur, load_catalog("config/metrics.yaml"))["customer_id"][0]
    finally:
        cur.close()


def as_of(db: Path) -> dt.date:
    from connectors.warehouse import Warehouse
    from metrics.query import default_as_of

    cur = Warehouse(db).cursor()
    try:
        return default_as_of(cur)
    finally:
        cur.close()


@pytest.mark.parametrize("name", list(SCREENS))
def test_every_screen_loads_without_an_exception(browser, app_url, warehouse, name):
    page = new_page(browser, TV if name == "wall" else {"width": 1600, "height": 2600})
    open_page(page, app_url + SCREENS[name].format(customer=first_customer(warehouse)))
    page.wait_for_selector(
        '[data-testid="stMain"] [data-testid="stElementContainer"]', timeout=30_000
    )
    if name != "portfolios":  # wait for the charts to draw before the shot
        page.wait_for_selector('[data-testid="stVegaLiteChart"] svg.marks', timeout=30_000)
    if name != "wall":
        page.wait_for_selector('[data-testid="stDataFrame"] canvas', timeout=30_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    if name != "wall":  # run inside dashboard.py's navigation, with the shared filters
        assert "Filters" in page.inner_text('[data-testid="stSidebar"]')
    page.context.close()


def test_wall_is_made_for_a_tv(browser, app_url, warehouse):
    day = as_of(warehouse)
    week = day - dt.timedelta(days=day.weekday())
    expected = cli_otif(warehouse, week, day)
    page = new_page(browser, TV)
    open_page(page, app_url + "/sop-wall?embed=true")
    otif = page.locator('[data-metric="otif"]')
    assert otif.get_attribute("data-value") == f"{expected * 100:.1f}%"
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    size = otif.locator(".value").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 96  # readable across a room
    scroll = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    assert scroll <= TV["height"] + 40  # one screen, no scrolling on a TV
    page.context.close()


@pytest.fixture
def own_wall(tmp_path, warehouse, chromium_path):
    """A server of its own over a copy of the demo warehouse, which the test loads into."""
    db = tmp_path / "wall.duckdb"
    shutil.copy(warehouse, db)
    port = free_port()
    proc = start_server(db, port=port)
    yield db, f"http://127.0.0.1:{port}"
    stop_server(proc)


def test_wall_refreshes_itself_when_a_new_load_lands(browser, own_wall, tmp_path):
    db, url = own_wall
    before = as_of(db)
    page = new_page(browser, TV)
    open_page(page, url + "/sop-wall?embed=true&refresh=3")
    stamp = page.locator("[data-as-of]").first
    assert stamp.get_attribute("data-as-of") == before.isoformat()
    later = before + dt.timedelta(days=1)
    extract = write_csv(
        tmp_path / "extra" / "calls_late.csv",
        CALL_HEADER,
        [
            [
                "CLX9000001",
                "",
                "",
                "orders",
                "A305",
                f"{later} 09:00:00",
                "5",
                "200",
                "0",
                "30",
                "false",
                "true",
                "where_is_my_order",
                "",
            ],
        ],
    )
    loaded = run_cli("load", extract, "--db", db)
    assert loaded.returncode == 0, loaded.stderr
    page.wait_for_function(  # no click, no reload: the wall's timer picks the new load up
        f"() => document.querySelector('[data-as-of=\"{later}\"]') !== null", timeout=60_000
    )
    assert f"{later:%a %d %b %Y}" in page.locator('[data-testid="wallStamp"]').inner_text()
    assert page.locator(EXCEPTION).count() == 0
    page.screenshot(path=str(SHOTS / "wall_after_load.png"))
    page.context.close()


def test_wall_reloads_the_whole_page_now_and_then(browser, app_url):
    page = new_page(browser, TV)
    open_page(page, app_url + "/sop-wall?embed=true&reload=0.002")  # 7.2 seconds
    page.evaluate("() => { window.__beforeReload = true; }")
    page.wait_for_function("() => window.__beforeReload === undefined", timeout=60_000)
    wait_ready(page)
    assert page.locator('[data-metric="otif"]').count() == 1
    page.context.close()


def test_a_customer_link_opens_the_customer(browser, app_url, warehouse):
    page = new_page(browser, {"width": 1600, "height": 1400})
    cid = first_customer(warehouse)
    open_page(page, app_url + f"/account?customer_id={cid}")
    page.wait_for_selector(f'h3:has-text("{cid}")', timeout=30_000)
    assert "accountable manager" in page.inner_text('[data-testid="stMain"]')
    open_page(page, app_url + "/account?customer_id=NOBODY")
    page.wait_for_selector("text=There is no customer 'NOBODY'", timeout=30_000)
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()
