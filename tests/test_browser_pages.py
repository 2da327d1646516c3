"""Every page as its user sees it in a real browser: its own tab title, nothing fetched from
outside the machine, no failed request, nothing clipped at laptop widths, exports named for what
they hold, and data shown as text (a customer name full of markdown stays literal).

Same suite and rules as test_browser.py (skipped without /usr/bin/chromium, failing under CI).
Screenshots go to artifacts/screenshots/ (pages_<name>_<width>x<height>.png).
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlparse

import duckdb
import pytest

from metrics.catalog import load_catalog
from tests.browser_support import (
    EXCEPTION,
    free_port,
    open_sections,
    start_server,
    stop_server,
    wait_ready,
)
from tests.cli_support import run_cli
from tests.metric_support import CONFIG
from tests.test_browser import SHOTS, drawn
from tests.test_browser_screens import as_of, first_customer

pytestmark = pytest.mark.browser

PAGES = {  # url -> the title its browser tab must carry
    "/": "North Star — weekly review",
    "/pairs": "Old KPIs vs North Star",
    "/explore?metric=otif&by=region": "Explore",
    "/data": "Data & definitions",
    "/portfolio": "Portfolios",
    "/contact-center": "Contact center",
    "/sop-wall?embed=true": "S&OP wall screen",
    "/account?customer_id={customer}": "Customer",
}
MINE = {  # every page, checked for clipped text, tables and charts at both laptop widths
    "review": "/",
    "pairs": "/pairs",
    "explore": "/explore?metric=otif&by=region",
    "explore_trend": "/explore?metric=otif_line&by=carrier&every=week",
    "contact_center": "/contact-center",
    "customer": "/account?customer_id={customer}",
    "customer_small_samples": "/account?customer_id=C100001",  # small-sample tiles, long titles
    "data": "/data",
    "portfolio": "/portfolio",
    "at_risk": "/at-risk",
    "wall": "/sop-wall?embed=true",
}
LAPTOPS = ({"width": 1440, "height": 900}, {"width": 1366, "height": 768})
LOCAL = {"127.0.0.1", "localhost"}
EVIL = "[x](https://evil.example) ![p](https://evil.example/p.png)"


def watched_page(browser, viewport):
    """A page that records every request it makes and every failed response."""
    page = browser.new_context(viewport=viewport).new_page()
    page.requests, page.failures = [], []  # type: ignore[attr-defined]
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("response", lambda r: r.status >= 400 and page.failures.append((r.status, r.url)))
    return page


def outside(urls: list[str]) -> list[str]:
    return [
        u
        for u in urls
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and urlparse(u).hostname not in LOCAL
    ]


@pytest.mark.parametrize("path", list(PAGES))
def test_a_page_loads_offline_with_its_own_tab_title(browser, app_url, warehouse, path):
    page = watched_page(browser, LAPTOPS[0])
    page.goto(app_url + path.format(customer=first_customer(warehouse)))
    wait_ready(page)
    drawn(page)
    assert page.title() == f"{PAGES[path]} · North Star"
    favicon = page.locator("link[rel='shortcut icon']").get_attribute("href")
    assert not favicon.startswith("http") or urlparse(favicon).hostname in LOCAL
    assert outside(page.requests) == []  # no font host, no CDN: works offline
    # A deep link asks the server root for its health check first, so nothing 404s.
    assert page.failures == []
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


def test_the_review_page_says_what_review_json_says(browser, app_url, warehouse):
    """One review model: the page's headline, target basis and settled cause are the JSON's."""
    review = json.loads(run_cli("review", "--format", "json", "--db", warehouse).stdout)
    page = watched_page(browser, LAPTOPS[0])
    page.goto(app_url + "/")
    wait_ready(page)
    open_sections(page)
    drawn(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert f"{review['value'] * 100:.1f}%" in text
    assert review["target_basis"] in text
    labels = {r.name: r.label for r in load_catalog(CONFIG).miss_reasons}
    assert f"Leading settled cause: {labels[review['settled_top']].lower()}" in text
    page.context.close()


def clipped(page) -> list[str]:
    """What a reader cannot read whole: tables that scroll sideways, charts wider than the
    page's column, and any text the DOM cuts (an element holding text whose box hides part of
    it: overflow hidden, ellipsis, a scroll box) or that runs past the page's edge."""
    return page.evaluate(
        """() => {
          const main = document.querySelector('[data-testid="stMainBlockContainer"]');
          const edge = main.getBoundingClientRect().right;
          const out = [];
          for (const d of document.querySelectorAll('[data-testid="stDataFrame"]')) {
            // Explore's record listing has as many columns as the metric's drill columns: it
            // may scroll sideways, its ids pinned. Every other table must fit.
            if (!d.checkVisibility() || d.closest('.st-key-explore_records')) continue;
            const s = d.querySelector('.dvn-scroller');
            if (s && s.scrollWidth > s.clientWidth + 2)
              out.push('table ' + s.scrollWidth + ' > ' + s.clientWidth + ' after "' +
                (d.closest('[data-testid="stVerticalBlock"]')?.innerText || '').slice(0, 40) + '"');
          }
          for (const c of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
            if (!c.checkVisibility()) continue;
            const box = c.getBoundingClientRect();
            const drawn = c.querySelector('svg, canvas');
            const w = drawn ? drawn.getBoundingClientRect().width : 0;
            if (box.right > edge + 1 || w > box.width + 2)
              out.push('chart ' + w + ' in ' + box.width);
          }
          const inside = '[data-testid="stDataFrame"], [data-testid="stVegaLiteChart"]';
          for (const e of main.querySelectorAll('*')) {
            if (e.closest(inside)) continue;
            // Text of its own or within: a box may cut the line its child holds (a tile's title)
            if (!e.textContent.trim() || !e.checkVisibility()) continue;
            const s = getComputedStyle(e);
            const what = (e.dataset.testid || e.tagName) + ': ' + e.textContent.trim().slice(0, 50);
            if (s.overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1)
              out.push('text cut ' + what);
            else if (s.overflowY !== 'visible' && e.scrollHeight > e.clientHeight + 1)
              out.push('text cut ' + what);
            else if (e.getBoundingClientRect().right > edge + 1)
              out.push('text past the edge ' + what);
          }
          return out;
        }"""
    )


def test_the_clipping_check_finds_cut_text(browser, app_url):
    """The check itself: a planted line too long for its box is found, and a line its parent's
    box cuts (as a tile's title box cut its words)."""
    page = watched_page(browser, LAPTOPS[0])
    page.goto(app_url + "/data")
    wait_ready(page)
    page.evaluate(
        """() => { const main = document.querySelector('[data-testid="stMainBlockContainer"]');
          const d = document.createElement('p');
          d.style.cssText = 'width: 60px; overflow: hidden; white-space: nowrap';
          d.textContent = 'a planted line that cannot fit its box';
          main.appendChild(d);
          const box = document.createElement('div'), line = document.createElement('p');
          box.style.cssText = 'width: 60px; overflow: hidden';
          line.style.cssText = 'white-space: nowrap';
          line.textContent = 'a line its parent cuts';
          box.appendChild(line);
          main.appendChild(box); }"""
    )
    assert clipped(page) == [
        "text cut P: a planted line that cannot fit its box",
        "text cut DIV: a line its parent cuts",
    ]
    page.context.close()


@pytest.mark.parametrize("name", list(MINE))
def test_nothing_is_clipped_on_a_laptop(browser, app_url, warehouse, name):
    """Each page once, at each laptop's width in turn (tall enough that every table and chart
    is drawn at once), then a screenshot at each laptop's own size, from the top."""
    url = app_url + MINE[name].format(customer=first_customer(warehouse))
    page = watched_page(browser, {"width": LAPTOPS[0]["width"], "height": 4000})
    page.goto(url)
    wait_ready(page)
    for i, size in enumerate(LAPTOPS):
        if i:  # charts keep the width they were drawn at: draw the page anew at this width
            page.set_viewport_size({"width": size["width"], "height": 4000})
            page.reload()
            wait_ready(page)
        open_sections(page)  # the review's sections below its first screen, each opened
        drawn(page)
        assert clipped(page) == [], f"{name} at {size['width']} px"
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"pages_{name}_{size['width']}x{size['height']}.png"))
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


def test_explore_exports_are_named_for_what_they_hold(browser, app_url, warehouse):
    from metrics.periods import last_complete_period

    start = last_complete_period(as_of(warehouse), "week")
    page = watched_page(browser, {"width": 1440, "height": 2400})
    page.goto(app_url + "/explore?metric=otif&region=South")
    wait_ready(page)
    drawn(page)
    with page.expect_download() as aggregate:
        page.get_by_role("button", name="Aggregate as CSV").click()
    assert aggregate.value.suggested_filename == f"otif_week_{start}_region-South.csv"
    text = Path(aggregate.value.path()).read_text(encoding="utf-8")
    header, row = text.splitlines()[:2]
    assert "previous period (%)" in header and "same period last year (%)" in header
    assert ",," not in row  # every comparison filled for the whole of South
    with page.expect_download() as records:
        page.get_by_role("button", name="Records as CSV").click()
    assert records.value.suggested_filename == f"otif_week_{start}_region-South_records.csv"
    head = Path(records.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert "customer_id,customer_name" in head
    # The file's address answers the browser that made it, and nothing else: not a request
    # without its cookie, not another browser (a copied link is useless).
    url = records.value.url
    assert "/media/" in url and page.request.get(url).status == 200
    with pytest.raises(urllib.error.HTTPError) as outside:
        urllib.request.urlopen(url, timeout=10)
    assert outside.value.code == 404
    other = browser.new_context()
    other.new_page().goto(app_url + "/data")  # a visitor of its own, with its own cookie
    assert other.request.get(url).status == 404
    other.close()
    # Streamlit's own table download is off: the audited buttons above are the only way out.
    table = page.locator('[data-testid="stDataFrame"]').first
    table.hover()
    assert page.locator('[data-testid="stElementToolbar"]').count() > 0  # the toolbar is drawn
    assert page.get_by_role("button", name="Download as CSV").count() == 0
    page.context.close()


@pytest.fixture
def evil_app(tmp_path, warehouse, chromium_path):
    """A server of its own over a copy of the demo warehouse where one customer's name is
    markdown pointing at another site."""
    db = tmp_path / "evil.duckdb"
    shutil.copy(warehouse, db)
    cid = first_customer(db)
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE customers SET name = ? WHERE customer_id = ?", [EVIL, cid])
    finally:
        con.close()
    port = free_port()
    proc = start_server(db, port=port)
    yield f"http://127.0.0.1:{port}", cid
    stop_server(proc)


def test_data_values_are_shown_as_text_never_as_links_or_images(browser, evil_app):
    url, cid = evil_app
    page = watched_page(browser, {"width": 1440, "height": 1600})
    page.goto(f"{url}/account?customer_id={cid}")
    wait_ready(page)
    page.wait_for_selector(f'h3:has-text("{cid}")', timeout=60_000)
    drawn(page)
    main = page.locator('[data-testid="stMain"]')
    shown = main.inner_text().replace("\u2060", "")  # the word joiner that stops autolinks
    assert EVIL in shown  # shown literally
    page.goto(f"{url}/account?customer_id={quote('[Sign in](https://evil.example)')}")
    wait_ready(page)
    page.wait_for_selector("text=There is no customer", timeout=60_000)
    assert "[Sign in](https://evil.example)" in main.inner_text().replace("\u2060", "")
    assert page.locator('a[href*="evil.example"], img[src*="evil.example"]').count() == 0
    assert not [u for u in page.requests if "evil.example" in (urlparse(u).hostname or "")]
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()
