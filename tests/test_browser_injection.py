"""Output that cannot be turned against its reader, in a real browser over a warehouse loaded
from hostile extracts (tests/hostile_extracts.py: customer names, portfolios, managers, sites,
queues, agents, reasons and comments carrying markdown links, images, bare URLs and HTML).

Every page, opened plain and with hostile link parameters, renders no link to and no image from
evil.example anywhere in the page, and the browser never asks evil.example for anything: values
from the data or the URL are shown as text. The Explore downloads quote formula-like cells.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest

from present.csv_safe import FORMULA_START
from tests import browser_support
from tests.browser_support import EXCEPTION, free_port, start_server, stop_server, wait_ready
from tests.conftest import run_cli
from tests.hostile_extracts import CALC, HYPERLINK, IMG, LINK, write_hostile_extracts
from tests.test_browser import drawn

pytestmark = pytest.mark.browser

HOSTILE = f"{LINK} {IMG}"
SHARED = {"grain": HOSTILE, "period": HOSTILE, "portfolio": HOSTILE, "region": HOSTILE}
PAGES = ["", "pairs", "explore", "data", "portfolio", "contact-center", "sop-wall", "account"]
CASES = [  # (page, link parameters): each page plain, with hostile shared filters, and its own
    *[(p, {}) for p in PAGES],
    *[(p, SHARED) for p in PAGES],
    ("account", {"customer_id": HOSTILE}),
    ("account", {"customer_id": "C1"}),
    ("account", {"customer_id": "C3"}),
    ("explore", {"metric": HOSTILE}),
    ("explore", {"metric": "otif", "by": HOSTILE}),
    ("explore", {"metric": "otif", "every": HOSTILE}),
    ("explore", {"metric": "otif", "by": "portfolio", "pick": HOSTILE, "at": HOSTILE}),
    ("explore", {"metric": "otif", "by": "portfolio", "pick": LINK}),
    ("explore", {"metric": "nps", "by": "customer_id", "every": "week"}),
    ("explore", {"metric": "aht_sec", "by": "agent_id"}),
    ("explore", {"metric": "contacts", "by": "reason"}),
    ("explore", {"metric": "otif_line", "by": "site"}),
    ("explore", {"metric": "otif_line", "by": "carrier", "every": "week"}),
    ("explore", {"metric": "csat", "by": "segment"}),
    ("explore", {"metric": "otif", "by": "portfolio_manager", "portfolio": LINK}),
    ("sop-wall", {"by": HOSTILE, "refresh": HOSTILE, "reload": HOSTILE}),
    ("pairs", {"pair_by": HOSTILE}),
    ("portfolio", {"window": HOSTILE}),
    ("portfolio", {"portfolio": IMG}),
]
EVIL = 'a[href*="evil.example"], img[src*="evil.example"], [srcset*="evil.example"]'


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory, chromium_path):
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "wh.duckdb"
    loaded = run_cli("load", write_hostile_extracts(folder / "extracts"), "--db", db)
    assert loaded.returncode == 0, loaded.stderr
    proc = start_server(db, port=(port := free_port()))
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


def opened(browser, url: str):
    """The page at ``url``, drawn, every expander opened; it records the hosts it asked."""
    page = browser.new_context(viewport={"width": 1440, "height": 2400}).new_page()
    page.hosts = []  # type: ignore[attr-defined]
    page.on("request", lambda r: page.hosts.append(urlparse(r.url).hostname))
    page.goto(url)
    wait_ready(page)
    drawn(page)
    browser_support.open_sections(page)
    drawn(page)
    return page


@pytest.mark.parametrize(("path", "params"), CASES, ids=lambda v: str(v)[:60])
def test_no_value_from_the_data_or_the_link_renders_as_a_link_or_image(
    browser, hostile_app, path, params
):
    page = opened(browser, f"{hostile_app}/{path}?{urlencode(params)}")
    assert page.locator(EVIL).count() == 0, page.locator(EVIL).first.evaluate("e => e.outerHTML")
    assert "evil.example" not in page.hosts
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


def downloaded(page, button: str) -> list[dict[str, str]]:
    with page.expect_download() as got:
        page.get_by_role("button", name=button).click()
    text = Path(got.value.path()).read_bytes().decode()  # a carriage return kept as it is
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for cell in (c for row in rows for c in row):  # nothing starts like a formula but a number
        assert not cell.startswith(FORMULA_START) or cell.lstrip("-").replace(".", "").isdigit()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_explore_downloads_quote_cells_that_look_like_formulas(browser, hostile_app):
    page = opened(browser, f"{hostile_app}/explore?metric=nps&by=portfolio")
    aggregate = downloaded(page, "Aggregate as CSV")
    assert "'@SUM(1)" in {r["portfolio"] for r in aggregate}
    assert "-100.0" in {r["NPS"] for r in aggregate}  # a negative number stays a number
    records = downloaded(page, "Records as CSV")
    assert "'" + HYPERLINK in {r["customer_name"] for r in records}
    assert {"'" + CALC, "'-5", "'\t=1+2", "'\r=1+2"} <= {r["comment"] for r in records}
    page.context.close()
