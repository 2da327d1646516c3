"""The wall's in-full drop of the latest week is mostly orders still open (issue 27): a week whose
value still waits on open misses is ringed, its count said under the row's title and in its
tooltip, so it does not read as a collapse. Read from the chart's scenegraph and from the board's
frames (``ui.wall_board.open_counts`` and ``with_open``)."""

from __future__ import annotations

import json

import polars as pl
import vl_convert as vlc

from metrics.details import run_details
from metrics.periods import period_start
from present import wall_chart
from store.warehouse import Warehouse
from tests.test_app_pages import fresh_caches  # noqa: F401 (each page run starts afresh)
from tests.test_app_screens import as_of, run_page
from tests.test_charts_fixes import CATALOG, MONDAYS, items, marks
from ui import wall_board
from ui.wall import SHORT

REGIONS = ("East", "West")
METRICS = wall_board.MULTIPLES["region"]  # otif, on_time, in_full


def multiples() -> pl.DataFrame:
    """13 weeks by region; in the latest, East's in-full falls to 70% (of 100 orders)."""
    rows = [
        (week, region, name, 0.70 if (i == 12 and region == "East") else 0.96, 100, False)
        for i, week in enumerate(MONDAYS)
        for region in REGIONS
        for name in METRICS
    ]
    return pl.DataFrame(
        rows, schema=["period", "region", "metric", "value", "n", "partial"], orient="row"
    ).with_columns(target=pl.lit(0.95), status=pl.lit("green"))


def by_miss_open() -> pl.DataFrame:
    """run_details of OTIF by region and miss_open: East's latest week has 29 of 100 orders
    still open; every other week 2 (a long-open backlog, not a week still arriving)."""
    rows = []
    for i, week in enumerate(MONDAYS):
        for region in REGIONS:
            still = 29 if (i == 12 and region == "East") else 2
            rows += [(week, region, False, 100 - still), (week, region, True, still)]
    frame = pl.DataFrame(rows, schema=["period", "region", "miss_open", "n"], orient="row")
    return frame.with_columns(metric=pl.lit("otif"), value=pl.lit(0.9))


def board_frame() -> pl.DataFrame:
    counts = wall_board.open_counts(by_miss_open(), "region")
    return wall_board.with_open(multiples(), counts, "region", "orders")


def test_a_week_still_waiting_on_open_orders_is_flagged_with_its_count():
    frame = board_frame()
    flagged = frame.filter(pl.col("still_open"))
    assert flagged.select("period", "region", "metric", "open_text").rows() == [
        (MONDAYS[12], "East", "in_full", "29 of 100 orders still open")
    ]
    # OTIF and on time cannot rise when an open miss lands (it is already late): never flagged
    assert frame.filter(pl.col("metric") != "in_full")["still_open"].sum() == 0
    assert frame.height == multiples().height  # no row lost or doubled by the join


def test_the_wall_rings_the_open_week_and_says_n_of_m_orders_still_open():
    chart = wall_chart.multiples_chart(board_frame(), CATALOG, "region", METRICS, SHORT)
    spec = chart.to_dict()
    sg = vlc.vegalite_to_scenegraph(spec)["scenegraph"]
    rings = [
        s
        for s in items(sg, "symbol")
        if s.get("strokeDash") and s.get("fill") in (None, "transparent")
    ]
    assert len(rings) == 1  # East's latest in-full week, and nothing else
    (ring,) = rings
    assert "29 of 100 orders still open" in ring["description"]  # its tooltip
    subtitles = [
        str(t["text"]) for m in marks(sg) if m.get("role") == "title-subtitle" for t in m["items"]
    ]
    assert subtitles == ["◌ ringed: may still rise, orders still open · East 29 of 100"]
    # the ringed week's value (in full, the last row) is written clear of its ring; East's
    # OTIF and on time, as low but settled, beside their points
    ends = [(t["dx"], t.get("dy", 0)) for t in items(sg, "text") if str(t.get("text")) == "70.0%"]
    assert ends == [(10, 0), (10, 0), (wall_chart.RING_LABEL, -wall_chart.RING_LIFT)]


def test_a_wall_without_open_weeks_draws_no_ring():
    counts = wall_board.open_counts(by_miss_open().with_columns(n=pl.lit(50)), "region")
    settled = counts.with_columns(open=pl.lit(0, pl.Int64))
    frame = wall_board.with_open(multiples(), settled, "region", "orders")
    spec = wall_chart.multiples_chart(frame, CATALOG, "region", METRICS, SHORT).to_dict()
    assert "subtitle" not in str(spec) and "strokeDash': [6, 5]" not in str(spec)


def test_the_sample_walls_latest_in_full_week_is_ringed_with_its_open_orders(demo_db):
    """On the sample, the latest week's in-full drop: the regions with a sixth or more of their
    orders still open are named under the in-full row with their counts, as the query API
    counts them."""
    day = as_of(demo_db)
    q = wall_board.week_query(("otif",), day, (), ("region", "miss_open"))
    counts = wall_board.open_counts(run_details(Warehouse(demo_db).engine(), CATALOG, q), "region")
    latest = counts.filter(
        (pl.col("period") == period_start(day, "week"))
        & (pl.col("open") >= wall_board.OPEN_SHARE * pl.col("measured"))
    ).sort("region")
    assert latest.height  # the sample has such a week: the drop the issue saw
    at = run_page("pages/wall.py", demo_db)
    assert not at.exception
    spec = json.dumps(json.loads(at.get("vega_lite_chart")[0].proto.spec), ensure_ascii=False)
    named = " · ".join(
        f"{r} {o:,} of {m:,}" for r, o, m in latest.select("region", "open", "measured").iter_rows()
    )
    assert f"ringed: may still rise, orders still open · {named}" in spec
    assert '"filter": "datum.still_open"' in spec  # the ring (its data travels apart)
