"""Old KPIs vs North Star and the Portfolios page in a real browser (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser_support import EXCEPTION, wait_ready

pytestmark = pytest.mark.browser
ALERT = '[data-testid="stAlertContainer"]'
MAIN_SELECT = '[data-testid="stMain"] [data-testid="stSelectbox"]'


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    yield context.new_page()
    context.close()


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)
    assert page.locator(EXCEPTION).count() == 0


def last_week_pairs(warehouse) -> dict[str, tuple[float, float]]:
    """Each paired metric's value and target over the last complete week, from the engine."""
    from metrics import pairs
    from metrics.catalog import load_catalog
    from metrics.details import run_details
    from metrics.periods import last_complete_period
    from metrics.query import default_as_of
    from metrics.sqlgen import Query
    from store.warehouse import Warehouse

    cur = Warehouse(warehouse).engine()
    catalog = load_catalog("config/metrics.yaml")
    as_of = default_as_of(cur)
    start = last_complete_period(as_of, "week")
    q = Query(pairs.pair_metrics(catalog), date_from=start, date_to=start + dt.timedelta(days=6))
    rows = run_details(cur, catalog, q, compare=False)
    return {m: (v, t) for m, v, t in rows.select("metric", "value", "target").iter_rows()}


def test_the_fill_rate_and_otif_pair_is_flagged_by_default(page, app_url, warehouse):
    from present import format as fmt

    values = last_week_pairs(warehouse)
    fill, otif = values["fill_rate"], values["otif"]
    open_page(page, app_url + "/pairs")
    banner = page.locator(ALERT).filter(has_text="look fine from inside").inner_text()
    line = next(x for x in banner.splitlines() if x.startswith("Fill rate"))
    assert (
        f"Fill rate {fmt.value(fill[0], 'percent')} · target {fmt.value(fill[1], 'percent')}"
        in line
    )
    assert (
        f"OTIF (orders) {fmt.value(otif[0], 'percent')} · target {fmt.value(otif[1], 'percent')}"
        in line
    )
    assert "(off target)" in line


def test_pair_by_portfolio_manager_splits_each_pair(page, app_url):
    open_page(page, app_url + "/pairs?pair_by=portfolio_manager")
    assert "Portfolio manager" in page.locator(MAIN_SELECT).locator("input").input_value()
    banner = page.locator(ALERT).filter(has_text="look fine from inside").inner_text()
    assert "for some portfolio manager" in banner
    page.locator('[data-testid="stDataFrame"]').first.wait_for()  # a table per split pair
    page.get_by_text("Records with no portfolio manager are their own row").first.wait_for()


def test_a_pair_by_that_is_no_dimension_is_explained(page, app_url):
    open_page(page, app_url + "/pairs?pair_by=warehouse")
    note = page.locator(ALERT).filter(has_text="pair_by=warehouse").inner_text()
    assert "Valid values:" in note and "portfolio_manager" in note and "region" in note
    assert "nothing (totals)" in page.locator(MAIN_SELECT).locator("input").input_value()


@pytest.mark.parametrize("size", [(1440, 900), (1366, 768)])
def test_the_portfolio_scoreboard_fits_the_screen(browser, app_url, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    try:
        open_page(page, app_url + "/portfolio")
        grid = page.locator('[data-testid="stDataFrame"] .dvn-scroller').first
        grid.wait_for()
        scroll, client = grid.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert scroll <= client, f"the scoreboard is clipped: {scroll} px in {client} px"
        box, frame = grid.bounding_box(), page.locator('[data-testid="stMain"]').bounding_box()
        assert box["x"] + box["width"] <= frame["x"] + frame["width"]
    finally:
        context.close()


def test_the_at_risk_list_is_a_worklist_with_its_rule_explained(page, app_url):
    open_page(page, app_url + "/portfolio")
    tab = page.get_by_role("tab", name=re.compile(r"Customers at risk \(\d+\)"))
    count = int(re.search(r"\((\d+)\)", tab.inner_text()).group(1))
    assert 1 <= count <= 40, f"{count} customers at risk is no worklist"  # the sample: 9
    tab.click()
    rule = page.get_by_text("A customer is at risk when at least 2 of these 3 signals fire")
    rule.wait_for()
    assert "Revenue at risk is the ordered value of the customer's orders that missed OTIF" in (
        rule.inner_text()
    )
