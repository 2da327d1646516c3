"""Every dashboard page under AppTest: sample, empty, missing and misconfigured warehouses,
numbers equal to the query API's, and views restored from the URL."""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from metrics import contributors, customers, funnel, pairs, periods, satisfaction, signals
from metrics.catalog import load_catalog
from metrics.query import default_as_of, run_query
from metrics.sqlgen import Query, compile_query
from present import format as fmt
from store.errors import StoreError
from store.warehouse import Warehouse
from tests.app_support import open_page
from tests.browser_support import build_warehouse
from ui import charts, explore

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
    return open_page(at, page)


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
        (12.4, "money", f"{fmt.money_sign()}12.40"),
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
