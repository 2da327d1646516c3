"""Every dashboard page under AppTest: sample, empty, missing and misconfigured warehouses,
numbers equal to the query API's, and views restored from the URL."""

from __future__ import annotations

import datetime as dt
import html
import os
import threading
import time
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import contributors, customers, funnel, pairs, periods, satisfaction, signals
from metrics.catalog import load_catalog
from metrics.query import default_as_of, run_query
from metrics.sqlgen import Query, compile_query
from present import format as fmt
from store.errors import StoreError
from store.warehouse import Warehouse
from tests.browser_support import build_warehouse
from ui import charts, data, explore, prefetch, warmup

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
CONFIG = ROOT / "config" / "metrics.yaml"
PAGES = [
    "pages/north_star.py",
    "pages/old_vs_north_star.py",
    "pages/explore_view.py",
    "pages/data_and_definitions.py",
]


@pytest.fixture(scope="session")
def empty_db(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("wh") / "empty.duckdb", empty=True)


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NORTHSTAR_DB", "")  # run_page sets it; monkeypatch restores it afterwards
    monkeypatch.delenv("NORTHSTAR_CONFIG", raising=False)
    monkeypatch.setattr(charts, "VALIDATE", True)  # every chart a page draws meets the schema
    yield


def run_page(page: str, db: Path, params: dict[str, str | list[str]] | None = None) -> AppTest:
    """Open ``page`` as a browser would, with ``params`` in the URL."""
    os.environ["NORTHSTAR_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()  # st.navigation registers the pages on the first run
    return at.switch_page(page).run() if page != PAGES[0] else at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def last_week(db: Path) -> tuple[dt.date, dt.date]:
    as_of = default_as_of(Warehouse(db).engine())
    start = periods.last_complete_period(as_of, "week")
    return start, periods.period_end(start, "week")


# ---- every page, every kind of warehouse -----------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_the_demo_warehouse(page, demo_db):
    at = run_page(page, demo_db)
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_an_empty_warehouse(page, empty_db):
    at = run_page(page, empty_db)
    assert not at.exception, at.exception
    if page != "pages/data_and_definitions.py":
        assert "nothing to measure" in texts(at.info)


@pytest.mark.parametrize("page", PAGES)
def test_page_explains_a_missing_warehouse(page, tmp_path, monkeypatch):
    missing = tmp_path / "nowhere.duckdb"

    def unavailable(path, **kw):
        raise StoreError("sample data unavailable in this test")

    monkeypatch.setattr("connectors.demo.build_demo", unavailable)
    at = run_page(page, missing)
    assert not at.exception, at.exception
    assert "no warehouse" in texts(at.error).lower()


@pytest.mark.parametrize("page", PAGES)
def test_page_lists_the_problems_of_a_broken_config(page, demo_db, tmp_path, monkeypatch):
    broken = tmp_path / "metrics.yaml"
    broken.write_text(
        CONFIG.read_text()
        .replace("model: lines", "model: line", 1)
        .replace("direction: up", "direction: upward", 1)
    )
    monkeypatch.setenv("NORTHSTAR_CONFIG", str(broken))
    at = run_page(page, demo_db)
    assert not at.exception, at.exception
    shown = texts(at.error) + texts(at.markdown)
    assert "2 problems" in shown and "unknown model 'line'" in shown and "direction" in shown


def test_catalogue_shows_the_sql_each_metric_compiles_to(demo_db):
    at = run_page("pages/data_and_definitions.py", demo_db)
    as_of = default_as_of(Warehouse(demo_db).engine())
    cat = load_catalog(CONFIG)
    first = next(iter(cat.metrics))

    def shown() -> str:
        return html.unescape("\n".join(e.proto.body for e in at.html))

    sql = compile_query(cat, Query(metrics=(first,)), as_of).sql
    assert sql in shown()
    assert "<=" in sql and "&lt;=" in at.html[0].proto.body  # escaped, not read as markup
    at.selectbox(key="definition").select("aht_sec").run()
    assert compile_query(cat, Query(metrics=("aht_sec",)), as_of).sql in shown()


# ---- the server warms its caches when it starts --------------------------------------------


@pytest.fixture
def empty_caches():
    """Caches emptied first: what a test of warming finds cached, the warm-up put there."""
    st.cache_data.clear()
    st.cache_resource.clear()


def test_warming_is_off_when_the_setting_says_so(demo_db, monkeypatch):
    monkeypatch.setenv("NORTHSTAR_DB", str(demo_db))
    started = []
    monkeypatch.setattr(prefetch, "start", lambda *args: started.append(args))
    src = data.source()
    view = warmup.default_view(data.as_of(src))
    for off in ("off", "0", "false", "no", " OFF "):
        monkeypatch.setenv("NORTHSTAR_WARM", off)
        assert warmup.start() is None
        prefetch.other_pages(src, view)
    assert started == []
    monkeypatch.setenv("NORTHSTAR_WARM", "on")
    prefetch.other_pages(src, view)
    assert started == [(src, view)]


def test_a_warming_thread_is_a_daemon_that_stops_between_queries(monkeypatch):
    ran = threading.Event()
    thread = prefetch.background(ran.set, name="northstar-test")
    thread.join(10)
    assert ran.is_set() and thread.daemon  # it never holds the server's exit
    stop = threading.Event()
    monkeypatch.setattr(prefetch, "_STOP", stop)
    done = []
    jobs = [lambda: done.append(1), stop.set, lambda: done.append(3)]
    prefetch._run(jobs)
    assert done == [1]  # told to stop, it ends before the next query


@pytest.mark.slow
def test_warm_up_fills_the_caches_the_first_page_view_reads(demo_db, monkeypatch, empty_caches):
    monkeypatch.setenv("NORTHSTAR_DB", str(demo_db))
    done = warmup.warm()
    as_of = default_as_of(Warehouse(demo_db).engine())
    assert done["as_of"] == as_of and done["view"].start == last_week(demo_db)[0]

    def computed_again(*args, **kwargs):
        raise AssertionError("computed again: the warm-up missed it")

    for name in ("run_details", "run_query", "fetch_rows", "default_as_of"):
        monkeypatch.setattr(data, name, computed_again)
    for name in ("promise_funnel", "miss_contributors", "satisfaction_by_otif"):
        monkeypatch.setattr(data, name, computed_again)
    monkeypatch.setattr(data.health, "freshness", computed_again)
    for page in PAGES:
        at = run_page(page, demo_db, {"metric": "otif"} if "explore" in page else None)
        assert not at.exception, at.exception
        assert not at.error, f"{page}: {texts(at.error)}"


@pytest.mark.slow
def test_warm_up_fills_the_review_and_pairs_of_each_single_filter_value(
    demo_db, monkeypatch, caplog, empty_caches
):
    monkeypatch.setenv("NORTHSTAR_DB", str(demo_db))
    warmup.warm()
    cur = Warehouse(demo_db).engine()
    picks = {
        d: customers.customer_dimension_values(cur, d) for d in ("region", "segment", "portfolio")
    }
    assert all(picks.values())

    def computed_again(*args, **kwargs):
        raise AssertionError("computed again: the warm-up missed it")

    for name in ("run_details", "run_query"):
        monkeypatch.setattr(data, name, computed_again)
    for name in ("promise_funnel", "miss_contributors", "satisfaction_by_otif"):
        monkeypatch.setattr(data, name, computed_again)
    for dim, values in picks.items():
        for page in PAGES[:2]:  # the weekly review and the pairs
            at = run_page(page, demo_db, {dim: values[-1]})
            assert not at.exception and not at.error, texts(at.error)
            assert f"{dim}: {values[-1]}" in texts(at.caption)
    # Two values at once are not warmed: the page computes them.
    at = run_page(PAGES[0], demo_db, {"region": picks["region"][:2]})
    assert at.error and "computed again" in caplog.text  # the page says "failed", the log why


def test_background_warming_waits_while_a_page_view_runs():
    released = threading.Event()
    waiter = threading.Thread(
        target=lambda: (prefetch._after_visitors(patience=60), released.set())
    )
    with prefetch.visiting():
        waiter.start()
        assert not released.wait(0.3)  # held while the view runs
        t0 = time.perf_counter()
        prefetch._after_visitors(patience=0.2)  # and never longer than its patience
        assert time.perf_counter() - t0 >= 0.2
    assert released.wait(10)  # let go when the view ends, not after its patience
    waiter.join()


@pytest.mark.slow
def test_a_first_start_builds_the_sample_warehouse_then_warms_it(tmp_path, monkeypatch):
    first = tmp_path / "first.duckdb"
    monkeypatch.setenv("NORTHSTAR_DB", str(first))
    done = warmup.warm()
    assert first.exists() and done["built"] > 0 and done["view"].start == last_week(first)[0]
    line = warmup.said(done)
    assert line.startswith(warmup.WARMED) and "built the sample warehouse in" in line
    assert f"week of {done['view'].start:%d %b %Y}" in line


def test_a_warm_up_that_cannot_build_says_so_and_leaves_the_page_to_explain(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("NORTHSTAR_DB", str(tmp_path / "a-file" / "wh.duckdb"))
    done = warmup.warm()
    assert "view" not in done and done["stopped"]
    line = warmup.said(done)
    assert "warm-up stopped after" in line and warmup.WARMED not in line


@pytest.mark.slow
def test_a_new_load_after_the_warm_up_is_shown(tmp_path, monkeypatch):
    live = tmp_path / "live.duckdb"
    build_warehouse(live, lines=3_000)
    monkeypatch.setenv("NORTHSTAR_DB", str(live))
    warmup.warm()
    before = run_page(PAGES[0], live).metric[0].value
    newer = build_warehouse(tmp_path / "newer.duckdb", lines=9_000)
    start, end = last_week(newer)
    wh = Warehouse(newer)
    expected = run_query(
        wh.engine(), load_catalog(CONFIG), Query(("otif",), date_from=start, date_to=end)
    ).values()["otif"][0]
    wh.close()
    os.replace(newer, live)  # what a load does: swap in a new file
    after = run_page(PAGES[0], live).metric[0].value
    assert after == fmt.value(expected, "percent") and after != before


def test_gather_runs_a_pages_queries_at_once_and_raises_their_failure():
    both_running = threading.Barrier(2, timeout=10)  # broken unless the two jobs overlap
    assert data.gather(
        lambda: both_running.wait() * 0 + 1, lambda: both_running.wait() * 0 + 2
    ) == [1, 2]
    with pytest.raises(ZeroDivisionError):
        data.gather(lambda: 1, lambda: 1 / 0)


# ---- the numbers are the query API's ------------------------------------------------------


def test_headline_otif_equals_the_query_api(demo_db):
    start, end = last_week(demo_db)
    catalog = load_catalog(CONFIG)
    expected = run_query(
        Warehouse(demo_db).engine(), catalog, Query(("otif",), date_from=start, date_to=end)
    )
    at = run_page(PAGES[0], demo_db)
    headline = at.metric[0]
    assert "OTIF" in headline.label
    assert headline.value == fmt.value(expected.values()["otif"][0], "percent")
    outcomes = {m.label.split("] ", 1)[-1].split(" :")[0]: m.value for m in at.metric}
    csat = run_query(
        Warehouse(demo_db).engine(), catalog, Query(("csat",), date_from=start, date_to=end)
    )
    assert outcomes["CSAT"] == fmt.value(csat.values()["csat"][0], "percent")
    # FCR can never be measured for the latest week: the latest measurable one, named
    week = periods.measurable_start(start, "week", end, 7)
    assert week < start
    fcr = run_query(
        Warehouse(demo_db).engine(),
        catalog,
        Query(("fcr",), date_from=week, date_to=periods.period_end(week, "week"), as_of=end),
    )
    assert outcomes["First-contact resolution"] == fmt.value(fcr.values()["fcr"][0], "percent")
    assert f"{fmt.period_caption(week, 'week')}, the latest measurable" in texts(at.caption)


def test_filters_from_the_url_reach_the_numbers(demo_db):
    start, end = last_week(demo_db)
    region = customers.customer_dimension_values(Warehouse(demo_db).engine(), "region")[0]
    q = Query(("otif",), date_from=start, date_to=end, where=(("region", (region,)),))
    expected = run_query(Warehouse(demo_db).engine(), load_catalog(CONFIG), q).values()["otif"][0]
    at = run_page(PAGES[0], demo_db, {"region": [region]})
    assert at.metric[0].value == fmt.value(expected, "percent")
    assert f"region: {region}" in texts(at.caption)


def test_month_period_from_the_url(demo_db):
    at = run_page(PAGES[0], demo_db, {"grain": "month"})
    assert not at.exception
    as_of = default_as_of(Warehouse(demo_db).engine())
    month = periods.last_complete_period(as_of, "month")
    assert f"{month:%B %Y}" in texts(at.caption)


# ---- Explore: the URL is the view ------------------------------------------------------------


def test_explore_link_restores_the_view(demo_db):
    at = run_page(
        "pages/explore_view.py", demo_db, {"metric": "fcr", "by": "region", "every": "week"}
    )
    assert not at.exception
    assert not [w for w in at.warning if "behind today" not in str(w.value)]  # staleness aside
    chosen = {s.key: s.value for s in at.selectbox}
    assert (chosen["metric"], chosen["by"], chosen["every"]) == ("fcr", "region", "week")
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert '"region"' in spec and '"period"' in spec
    aggregate = at.dataframe[0].value
    assert set(aggregate.columns) >= {"period", "region", "value"}


def test_explore_pick_in_the_url_narrows_the_records(demo_db):
    base = run_page("pages/explore_view.py", demo_db, {"metric": "otif", "by": "region"})
    everyone = base.dataframe[1].value
    region = min(set(everyone["region"].dropna()))
    at = run_page(
        "pages/explore_view.py", demo_db, {"metric": "otif", "by": "region", "pick": region}
    )
    picked = at.dataframe[1].value
    assert not at.exception and len(picked) > 0
    assert set(picked["region"]) == {region}
    assert len(picked) < len(everyone)
    assert f"region = {region}" in texts(at.caption)


def test_explore_failing_toggle_from_the_url(demo_db):
    at = run_page("pages/explore_view.py", demo_db, {"metric": "otif", "failing": "1"})
    records = at.dataframe[1].value
    assert len(records) > 0 and not records["otif"].any()


@pytest.mark.parametrize(
    "params, says",
    [
        ({"metric": "otiff"}, "unknown metric 'otiff'; did you mean 'otif'"),
        ({"metric": "otif", "by": "planet"}, "'planet' is not a dimension of otif"),
        ({"metric": "otif", "at": "2026-13-45"}, "not a date"),
    ],
)
def test_explore_explains_bad_link_values(demo_db, params, says):
    at = run_page("pages/explore_view.py", demo_db, params)
    assert not at.exception, at.exception
    assert says in texts(at.warning)


@pytest.mark.parametrize(
    "params, says",
    [
        ({"period": "last tuesday"}, "period 'last tuesday'"),
        ({"grain": "fortnight"}, "period type 'fortnight'"),
    ],
)
def test_every_page_explains_bad_shared_filter_values(demo_db, params, says):
    """The sidebar's filters are shared; every page's header shows their notes (here: the home page)."""
    at = run_page(PAGES[0], demo_db, params)
    assert not at.exception, at.exception
    assert says in texts(at.warning)


def test_a_click_becomes_a_pick():
    frame = pl.DataFrame({"period": [dt.date(2026, 11, 2)], "region": ["East"], "value": [0.5]})
    row = {"selection": {"rows": [0]}}
    pick, state = explore.event_pick(row, None, frame, "region")
    assert pick == explore.Pick("East", dt.date(2026, 11, 2))
    assert explore.event_pick(row, None, frame, "region", state)[0] is None  # nothing new
    ms = dt.datetime(2026, 11, 2, tzinfo=dt.UTC).timestamp() * 1000
    chart = {"selection": {"pick": [{"region": "North", "period": ms}]}}
    pick, state = explore.event_pick(row, chart, frame, "region", state)  # a bar after the row
    assert pick == explore.Pick("North", dt.date(2026, 11, 2))
    cleared, _ = explore.event_pick(row, {"selection": {"pick": []}}, frame, "region", state)
    assert cleared == explore.Pick() and cleared.empty


# ---- the analyses behind the review (pure functions in metrics/) ------------------


def test_xmr_calls_a_point_outside_the_limits_a_signal():
    steady = [0.80, 0.82, 0.79, 0.81, 0.80, 0.78, 0.80, 0.81]
    assert signals.xmr_signal(steady, 0.80).verdict == "noise"
    low = signals.xmr_signal(steady, 0.65)
    assert low.verdict == "signal" and "below" in low.rule and low.lower > 0.65


def test_xmr_calls_a_long_run_on_one_side_a_signal():
    history = [0.70, 0.90, 0.72, 0.88, 0.83, 0.84, 0.82, 0.83, 0.84, 0.83, 0.82]
    sig = signals.xmr_signal(history, 0.84)
    assert sig.verdict == "signal" and "in a row above" in sig.rule


def test_xmr_needs_history():
    assert signals.xmr_signal([0.8, 0.9], 0.1).verdict == "too_short"


def test_funnel_runs_from_all_orders_due_down_to_otif(demo_db):
    start, end = last_week(demo_db)
    cur, catalog = Warehouse(demo_db).engine(), load_catalog(CONFIG)
    q = Query(("measured_orders",), date_from=start, date_to=end)
    steps = funnel.promise_funnel(cur, catalog, q)
    otif = run_query(cur, catalog, q.replace(metrics=("otif",))).values()["otif"][0]
    assert steps["step"].to_list()[0] == "Orders due" and steps["step"].to_list()[-1] == "OTIF"
    assert steps["orders"][0] == steps["orders"][1:].sum()
    assert steps["share"][-1] == pytest.approx(otif)
    assert steps.filter(pl.col("reason") == "late_transit")["end"][0] == pytest.approx(otif)


def test_contributors_and_satisfaction_add_up(demo_db):
    start, end = last_week(demo_db)
    cur, catalog = Warehouse(demo_db).engine(), load_catalog(CONFIG)
    q = Query(("otif_line",), date_from=start, date_to=end)
    lines = run_query(cur, catalog, q).frame
    missed = int(lines["otif_line__den"][0] - lines["otif_line__num"][0])
    drivers = contributors.miss_contributors(cur, catalog, q, ("region", "carrier"), top=100)
    by_region = drivers["region"]
    assert drivers["carrier"]["missed"].sum() == missed
    assert by_region["missed"].sum() == missed
    assert by_region["share"].sum() == pytest.approx(1.0)
    sat = satisfaction.satisfaction_by_otif(
        cur, catalog, q.replace(date_from=start - dt.timedelta(days=84)), default_as_of(cur)
    )
    assert set(sat["otif"].to_list()) <= {True, False} and (sat["csat"].drop_nulls() <= 1).all()


def test_pairs_put_green_inside_red_outside_first():
    catalog = load_catalog(CONFIG)
    rows = [
        ("fill_rate", 0.99, "green"),
        ("otif", 0.60, "red"),
        ("on_time_shipment", 0.90, "red"),
        ("on_time", 0.95, "green"),
    ]
    details = pl.DataFrame(
        {
            "metric": [r[0] for r in rows],
            "value": [r[1] for r in rows],
            "target": [0.9] * 4,
            "status": [r[2] for r in rows],
            "n": [100] * 4,
        }
    )
    rows = pairs.pair_rows(details, catalog)
    assert rows["department"][0] == "fill_rate" and rows["conflict"][0]
    assert not rows.filter(pl.col("department") == "on_time_shipment")["conflict"][0]


@pytest.mark.parametrize(
    "value, form, shown",
    [
        (0.8734, "percent", "87.3%"),
        (379.4, "duration", "6m 19s"),
        (12.4, "money", f"{fmt.CURRENCY}12.40"),
        (31.6, "score", "+32"),
        (1234, "integer", "1,234"),
        (None, "percent", "—"),
    ],
)
def test_values_are_formatted_for_people(value, form, shown):
    assert fmt.value(value, form) == shown


def test_deltas_carry_their_unit():
    assert fmt.delta(-0.021, "percent") == "-2.1 pts"
    assert fmt.delta(32, "duration") == "+32s"
