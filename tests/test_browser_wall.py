"""The S&OP wall screen in a real browser, at the sizes of the TVs it hangs on.

It runs on a server of its own whose today is pinned (``NORTHSTAR_TODAY``) eight days after
the demo data ends, so the stale-data warning must show. Screenshots go to
artifacts/screenshots/wall_<width>x<height>.png.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.browser_support import EXCEPTION, free_port, start_server, stop_server, wait_ready
from tests.conftest import run_cli, write_csv
from tests.test_browser import SHOTS, cli_otif
from tests.test_browser_screens import as_of, new_page

pytestmark = pytest.mark.browser
SIZES = [(1366, 768), (1920, 1080), (3840, 2160)]
DAYS_BEHIND = 8
WALL = "/sop-wall?embed=true"
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
CHART = '[data-testid="stVegaLiteChart"] svg.marks'

# Every piece of visible text on the page: HTML text as the lines it sits on (a big number's
# glyph box is taller than its line), the chart's SVG text as drawn (with its font size as
# drawn, the SVG being scaled to its column).
TEXT_BOXES = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const boxes = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest('svg') || !el.checkVisibility()) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    const line = parseFloat(style.lineHeight) || 1.2 * size;
    for (const r of range.getClientRects()) {  // the glyphs' box, cut to the line's height
      if (r.width === 0 || r.height === 0) continue;
      const middle = (r.top + r.bottom) / 2, half = Math.min(r.height, line) / 2;
      boxes.push({text: n.textContent.trim().slice(0, 40), l: r.left, t: middle - half,
                  r: r.right, b: middle + half, size: size});
    }
  }
  for (const svg of main.querySelectorAll('svg.marks')) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (!t.textContent.trim() || r.width === 0) continue;
      boxes.push({text: t.textContent.trim(), l: r.left, t: r.top, r: r.right, b: r.bottom,
                  size: parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize) * scale,
                  axis: t.closest('.role-axis-label') !== null});
    }
  }
  return boxes;
}"""


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    """Pairs of text boxes that cover each other (by more than 2 px each way)."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            width = min(a["r"], b["r"]) - max(a["l"], b["l"])
            height = min(a["b"], b["b"]) - max(a["t"], b["t"])
            if width > 2 and height > 2:
                found.append((a["text"], b["text"]))
    return found


@pytest.fixture(scope="module")
def stale_wall(tmp_path_factory, warehouse, chromium_path):
    """A wall over a copy of the demo warehouse whose today is DAYS_BEHIND after its data."""
    db = tmp_path_factory.mktemp("wall") / "wall.duckdb"
    shutil.copy(warehouse, db)
    today = as_of(db) + dt.timedelta(days=DAYS_BEHIND)
    port = free_port()
    proc = start_server(db, port=port, env={"NORTHSTAR_TODAY": today.isoformat()})
    yield db, f"http://127.0.0.1:{port}"
    stop_server(proc)


def open_wall(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)
    page.wait_for_selector(CHART, timeout=30_000)


@pytest.mark.parametrize("width, height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_wall_fills_the_screen_readably_at_every_tv_size(browser, stale_wall, width, height):
    _db, url = stale_wall
    page = new_page(browser, {"width": width, "height": height})
    open_wall(page, url + WALL)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"wall_{width}x{height}.png"))
    assert page.locator(EXCEPTION).count() == 0
    scroll = page.evaluate(
        "() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth,"
        " document.querySelector('[data-testid=\"stMain\"]').scrollHeight]"
    )
    assert max(scroll[0], scroll[2]) <= height and scroll[1] <= width, scroll  # no scrolling
    boxes = page.evaluate(TEXT_BOXES)
    assert len(boxes) > 60
    assert overlapping(boxes) == []
    clipped = page.evaluate(  # a tile hides what does not fit: nothing may be hidden
        """() => [...document.querySelectorAll('.wall.tile')]
             .filter(t => t.scrollWidth > t.clientWidth + 1 || t.scrollHeight > t.clientHeight + 1)
             .map(t => t.innerText.slice(0, 40))"""
    )
    assert clipped == []
    outside = [b["text"] for b in boxes if b["l"] < -1 or b["r"] > width + 1 or b["b"] > height + 1]
    assert outside == []  # nothing cut off at the screen's edges
    readable = 0.018 * height  # about 14 px on 768 lines, 39 px on 2160: legible from 4 m
    axis = [b for b in boxes if b.get("axis")]
    assert axis and min(b["size"] for b in axis) >= readable
    fresh = page.locator('[data-testid="wallFresh"]')
    assert fresh.count() == 1  # one freshness line for the whole wall
    size = fresh.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= readable
    page.context.close()


def test_wall_warns_that_its_data_is_stale(browser, stale_wall):
    db, url = stale_wall
    day = as_of(db)
    page = new_page(browser, {"width": 1366, "height": 768})
    open_wall(page, url + WALL)
    fresh = page.locator('[data-testid="wallFresh"]')
    assert "stale" in fresh.get_attribute("class")
    text = fresh.inner_text()
    assert f"as of {day:%a %d %b %Y}, {DAYS_BEHIND} days behind today" in text
    assert f"({day + dt.timedelta(days=DAYS_BEHIND):%a %d %b})" in text
    colour = fresh.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(183, 28, 28)"  # a red band, not a grey footnote
    page.context.close()


def test_wall_trend_lines_end_with_their_value(browser, stale_wall):
    """Each small multiple writes its last value beside the line's end (one decimal, as the
    tiles), right of its last point."""
    _db, url = stale_wall
    page = new_page(browser, {"width": 1920, "height": 1080})
    open_wall(page, url + WALL)
    ends = page.evaluate(
        f"""() => [...document.querySelectorAll('{CHART} text')]
             .filter(t => /^\\d+\\.\\d%$/.test(t.textContent)).length"""
    )
    regions = page.locator(f"{CHART} .role-column-header text").count()
    assert regions >= 3 and ends == 3 * regions  # OTIF, on time, in full, per region
    page.context.close()


def test_wall_is_made_for_a_tv(browser, stale_wall):
    db, url = stale_wall
    day = as_of(db)
    week = day - dt.timedelta(days=day.weekday())
    expected = cli_otif(db, week, day)
    page = new_page(browser, {"width": 1920, "height": 1080})
    open_wall(page, url + WALL)
    otif = page.locator('[data-metric="otif"]')
    assert otif.get_attribute("data-value") == f"{expected * 100:.1f}%"
    assert "COO" in otif.inner_text()  # the number's owner
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    size = otif.locator(".value").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 96  # readable across a room
    page.context.close()


@pytest.mark.parametrize(
    "query, says",
    [
        ("&refresh=5", "refresh='5' is not a number of seconds from 30 to 3600; using 300"),
        ("&refresh=1e9", "refresh='1e9' is not a number of seconds from 30 to 3600"),
        ("&reload=0.01", "reload='0.01' is not a number of hours from 0.5 to 72; using 6"),
        ("&by=<b>planet</b>", "by='<b>planet</b>' is not one of region, site"),
        ("&by=**planet**", "by='**planet**' is not one of region, site"),
    ],
)
def test_wall_explains_bad_link_values_as_plain_text(browser, stale_wall, query, says):
    _db, url = stale_wall
    page = new_page(browser, {"width": 1366, "height": 768})
    open_wall(page, url + WALL + query)
    note = page.locator(".wall.note")
    assert says in note.inner_text()  # shown as typed: neither markup nor markdown
    assert note.locator("b, strong").count() == 0
    assert page.locator('[data-metric="otif"]').count() == 1  # and the wall still shows
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height <= 768  # the note fits on the screen too
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


def load_a_later_call(db: Path, folder: Path, day: dt.date) -> None:
    row = ["CLX9000001", "", "", "orders", "A305", f"{day} 09:00:00", "5", "200", "0", "30"]
    row += ["false", "true", "where_is_my_order", ""]
    loaded = run_cli("load", write_csv(folder / "calls_late.csv", CALL_HEADER, [row]), "--db", db)
    assert loaded.returncode == 0, loaded.stderr


def test_wall_refreshes_itself_when_a_new_load_lands(browser, own_wall, tmp_path):
    """The shortest refresh allowed (30 s), passed on the page's clock rather than waited for."""
    db, url = own_wall
    before = as_of(db)
    page = new_page(browser, {"width": 1920, "height": 1080})
    page.clock.install()
    open_wall(page, url + WALL + "&refresh=30")
    assert page.locator("[data-as-of]").first.get_attribute("data-as-of") == before.isoformat()
    later = before + dt.timedelta(days=1)
    load_a_later_call(db, tmp_path / "extra", later)
    page.clock.fast_forward(31_000)  # no click, no reload: the wall's timer picks the load up
    page.wait_for_function(
        f"() => document.querySelector('[data-as-of=\"{later}\"]') !== null", timeout=60_000
    )
    assert f"{later:%a %d %b %Y}" in page.locator('[data-testid="wallFresh"]').inner_text()
    assert page.locator(EXCEPTION).count() == 0
    page.screenshot(path=str(SHOTS / "wall_after_load.png"))
    page.context.close()


def test_wall_reloads_the_whole_page_now_and_then(browser, stale_wall):
    _db, url = stale_wall
    page = new_page(browser, {"width": 1920, "height": 1080})
    page.clock.install()
    open_wall(page, url + WALL + "&reload=0.5")
    page.evaluate("() => { window.__beforeReload = true; }")
    page.clock.fast_forward("30:01")
    page.wait_for_function("() => window.__beforeReload === undefined", timeout=60_000)
    wait_ready(page)
    assert page.locator('[data-metric="otif"]').count() == 1
    page.context.close()
