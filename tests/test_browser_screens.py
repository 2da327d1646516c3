"""The wall screen, portfolios, contact center and customer pages in a real browser.

Same suite and rules as test_browser.py (skipped without /usr/bin/chromium, failing under CI).
Screenshots go to artifacts/screenshots/. The wall is shot at 1920x1080, the size of its TV;
test_browser_wall.py tries it at every TV size.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.browser_support import EXCEPTION, open_sections, wait_ready
from tests.test_browser import SHOTS

pytestmark = pytest.mark.browser
SCREENS = {
    "wall": "/sop-wall?embed=true",
    "portfolios": "/portfolio",
    "contact_center": "/contact-center",
    "customer": "/account?customer_id={customer}",
}
TV = {"width": 1920, "height": 1080}


def new_page(browser, viewport: dict[str, int]):
    return browser.new_context(viewport=viewport).new_page()


def open_page(page, url: str) -> None:
    """The page at ``url``, every section of it opened (the review's below its first screen)."""
    page.goto(url)
    wait_ready(page)
    open_sections(page)


def first_customer(db: Path) -> str:
    from metrics.catalog import load_catalog
    from metrics.customers import customers_at_risk
    from store.warehouse import Warehouse

    cur = Warehouse(db).engine()
    try:
        return customers_at_risk(cur, load_catalog("config/metrics.yaml"))["customer_id"][0]
    finally:
        cur.close()


def as_of(db: Path) -> dt.date:
    from metrics.query import default_as_of
    from store.warehouse import Warehouse

    cur = Warehouse(db).engine()
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
