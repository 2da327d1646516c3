"""The wall screen, portfolios, contact center and customer pages under AppTest: every kind of
warehouse, numbers equal to the query API's, and plain messages for bad links."""

# ruff: noqa: F811  (pytest fixtures imported from the dashboard's test modules)
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from metrics import customers, funnel, periods
from metrics.catalog import load_catalog
from metrics.customers import customer_timeline, customers_at_risk
from metrics.query import default_as_of, run_query
from metrics.sqlgen import Query
from present import format as fmt
from present import wall_chart
from store.errors import StoreError
from store.warehouse import Warehouse
from tests.app_support import open_page
from tests.test_app_pages import APP, CONFIG, empty_db, fresh_caches, texts  # noqa: F401

SCREENS = ["pages/wall.py", "pages/portfolios.py", "pages/contact_center.py", "pages/customer.py"]


def run_page(page: str, db: Path, params: dict[str, str | list[str]] | None = None) -> AppTest:
    """Open ``page`` with ``params`` in its URL."""
    os.environ["NORTHSTAR_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return open_page(at, page)


def htmls(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def tile_value(at: AppTest, metric: str) -> str:
    found = re.search(rf'data-metric="{metric}" data-value="([^"]*)"', htmls(at))
    assert found, f"no {metric} tile"
    return found.group(1)


def engine(db: Path, q: Query) -> pl.DataFrame:
    return run_query(Warehouse(db).engine(), load_catalog(CONFIG), q).values()


def as_of(db: Path) -> dt.date:
    return default_as_of(Warehouse(db).engine())


def some_customer(db: Path) -> str:
    risk = customers_at_risk(Warehouse(db).engine(), load_catalog(CONFIG))
    return risk["customer_id"][0]


def customer_params(page: str, db: Path) -> dict[str, str]:
    return {"customer_id": some_customer(db)} if page == "pages/customer.py" else {}


# ---- every screen, every kind of warehouse -------------------------------------------------


@pytest.mark.parametrize("page", SCREENS)
def test_screen_runs_on_the_demo_warehouse(page, demo_db):
    at = run_page(page, demo_db, customer_params(page, demo_db))
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    assert "Data as of" in texts(at.caption) or "data as of" in texts(at.caption) + htmls(at)


@pytest.mark.parametrize("page", SCREENS)
def test_screen_runs_on_an_empty_warehouse(page, empty_db):
    at = run_page(page, empty_db, {"customer_id": "C0001"})
    assert not at.exception, at.exception
    assert "nothing to measure" in texts(at.info)


@pytest.mark.parametrize("page", SCREENS)
def test_screen_explains_a_missing_warehouse(page, tmp_path, monkeypatch):
    def unavailable(path, **kw):
        raise StoreError("sample data unavailable in this test")

    monkeypatch.setattr("connectors.demo.build_demo", unavailable)
    at = run_page(page, tmp_path / "nowhere.duckdb")
    assert not at.exception, at.exception
    assert "no warehouse" in texts(at.error).lower()


@pytest.mark.parametrize("page", SCREENS)
def test_screen_lists_the_problems_of_a_broken_config(page, demo_db, tmp_path, monkeypatch):
    broken = tmp_path / "metrics.yaml"
    broken.write_text(CONFIG.read_text().replace("model: lines", "model: line", 1))
    monkeypatch.setenv("NORTHSTAR_CONFIG", str(broken))
    at = run_page(page, demo_db, customer_params(page, demo_db))
    assert not at.exception, at.exception
    assert "unknown model 'line'" in texts(at.error) + texts(at.markdown)


# ---- the wall ---------------------------------------------------------------------------------


def test_wall_otif_and_outcomes_equal_the_query_api(demo_db):
    day = as_of(demo_db)
    week = periods.period_start(day, "week")
    at = run_page("pages/wall.py", demo_db)
    this_week = engine(demo_db, Query(("otif", "csat", "nps"), date_from=week, date_to=day))
    assert tile_value(at, "otif") == fmt.value(this_week["otif"][0], "percent")
    assert tile_value(at, "csat") == fmt.value(this_week["csat"][0], "percent")
    assert tile_value(at, "nps") == fmt.value(this_week["nps"][0], "score")
    assert f'data-as-of="{day}"' in htmls(at)
    fresh = re.findall(r'data-testid="wallFresh">([^<]*)<', htmls(at))
    assert len(fresh) == 1  # one freshness line for the whole wall, not one per tile
    assert f"as of {day:%a %d %b %Y}" in fresh[0]
    assert all(extract in fresh[0] for extract in ("shipments", "calls", "surveys"))
    assert "Head of Customer Experience" in htmls(at)  # each tile names its owner


def test_wall_filters_from_the_url_reach_its_numbers(demo_db):
    day = as_of(demo_db)
    region = customers.customer_dimension_values(Warehouse(demo_db).engine(), "region")[0]
    q = Query(
        ("otif",),
        date_from=periods.period_start(day, "week"),
        date_to=day,
        where=(("region", (region,)),),
    )
    at = run_page("pages/wall.py", demo_db, {"region": [region]})
    assert tile_value(at, "otif") == fmt.value(engine(demo_db, q)["otif"][0], "percent")


def test_wall_lists_the_top_three_miss_reasons_with_owner_and_open_misses(demo_db):
    day = as_of(demo_db)
    q = Query(
        ("measured_orders",),
        by=("miss_reason",),
        date_from=periods.period_start(day, "week"),
        date_to=day,
    )
    counts = engine(demo_db, q).drop_nulls("miss_reason")
    top = counts.sort("measured_orders", descending=True, maintain_order=True).head(3)
    at = run_page("pages/wall.py", demo_db)
    causes = re.search(r'data-testid="wallCauses".*?</ol>.*?</div>', htmls(at), re.DOTALL).group(0)
    reasons = {r.name: r for r in load_catalog(CONFIG).miss_reasons}
    week = funnel.promise_funnel(
        Warehouse(demo_db).engine(),
        load_catalog(CONFIG),
        q.replace(by=(), metrics=("measured_orders",)),
    )
    still_open = dict(week.drop_nulls("reason").select("reason", "open").iter_rows())
    for reason, orders in top.iter_rows():
        item = re.search(rf'data-reason="{reason}">(.*?)</li>', causes).group(1)
        assert f"{reasons[reason].label} — {orders:,} orders" in item
        assert reasons[reason].owner in item
        assert (f"{still_open[reason]:,} still open" in item) == (still_open[reason] > 0)
    total = int(counts["measured_orders"].sum())
    assert (
        f"{sum(still_open.values()):,} of {total:,} misses still open: their cause may change"
        in causes
    )


def test_wall_small_multiples_by_site(demo_db):
    at = run_page("pages/wall.py", demo_db, {"by": "site"})
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert "DC-East" in spec and "On-time dispatch" in spec


@pytest.mark.parametrize(
    "params, says",
    [
        (
            {"refresh": "soon"},
            "refresh='soon' is not a number of seconds from 30 to 3600; using 300",
        ),
        ({"refresh": "29"}, "refresh='29' is not a number of seconds from 30 to 3600"),
        ({"refresh": "3601"}, "refresh='3601' is not a number of seconds from 30 to 3600"),
        ({"refresh": "nan"}, "refresh='nan' is not a number of seconds"),
        ({"refresh": "inf"}, "refresh='inf' is not a number of seconds"),
        ({"reload": "-1"}, "reload='-1' is not a number of hours from 0.5 to 72; using 6"),
        ({"reload": "0.4"}, "reload='0.4' is not a number of hours from 0.5 to 72"),
        ({"reload": "100"}, "reload='100' is not a number of hours from 0.5 to 72"),
        ({"by": "planet"}, "by='planet' is not one of region, site; showing region"),
        ({"by": "<img src=x>"}, "by='&lt;img src=x&gt;' is not one of region, site"),
    ],
)
def test_wall_explains_bad_link_values(demo_db, params, says):
    at = run_page("pages/wall.py", demo_db, params)
    assert not at.exception
    assert says in htmls(at)
    assert "<img" not in htmls(at)  # a link's value is text, never markup
    assert 'data-metric="otif"' in htmls(at)  # and still shows the numbers


@pytest.mark.parametrize(
    "params", [{"refresh": "30"}, {"refresh": "3600"}, {"reload": "0.5"}, {"reload": "72"}]
)
def test_wall_takes_link_values_at_their_bounds(demo_db, params):
    at = run_page("pages/wall.py", demo_db, params)
    assert "The link's" not in htmls(at)


@pytest.mark.parametrize("behind, stale", [(0, False), (3, False), (4, True), (40, True)])
def test_wall_warns_when_its_data_is_older_than_the_setting(demo_db, monkeypatch, behind, stale):
    """settings.stale_after_days defaults to 3: three days behind today is fresh, four stale."""
    day = as_of(demo_db)
    today = day + dt.timedelta(days=behind)
    monkeypatch.setenv("NORTHSTAR_TODAY", today.isoformat())
    at = run_page("pages/wall.py", demo_db)
    line = re.search(r'class="fresh( stale)?" data-testid="wallFresh">([^<]*)<', htmls(at))
    assert bool(line.group(1)) is stale
    warning = f"as of {day:%a %d %b %Y}, {behind} days behind today ({today:%a %d %b})"
    assert (warning in line.group(2)) is stale


def test_wall_trend_lines_mark_their_last_point():
    weeks = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]
    frame = pl.DataFrame(
        {
            "region": ["East"] * 3 + ["West"] * 3,
            "period": weeks * 2,
            "value": [0.8, 0.7, 0.9, 0.6, 0.5, None],  # West's newest week has no value yet
        }
    )
    marked = wall_chart.with_end_labels(frame, "region")
    assert marked.filter("end").select("region", "period").rows() == [
        ("East", weeks[2]),
        ("West", weeks[1]),
    ]


# ---- portfolios -------------------------------------------------------------------------------


def test_portfolio_scores_equal_the_query_api(demo_db):
    start = periods.last_complete_period(as_of(demo_db), "week")
    end = periods.period_end(start, "week")
    keys = ("portfolio", "portfolio_manager")
    expected = engine(
        demo_db, Query(("otif", "revenue", "cost_to_serve"), by=keys, date_from=start, date_to=end)
    )
    at = run_page("pages/portfolios.py", demo_db)
    board = at.dataframe[0].value.set_index("portfolio")
    for portfolio, manager, otif, revenue, cost in expected.drop_nulls("portfolio").iter_rows():
        assert board.loc[portfolio, "portfolio_manager"] == manager
        assert board.loc[portfolio, "otif"] == pytest.approx(otif)
        assert board.loc[portfolio, "revenue"] == pytest.approx(revenue)
        assert board.loc[portfolio, "cost_to_serve"] == pytest.approx(cost)
    risk = customers_at_risk(Warehouse(demo_db).engine(), load_catalog(CONFIG))
    counts = dict(risk.group_by("portfolio").len().iter_rows())
    assert {p: int(board.loc[p, "at_risk"]) for p in counts} == counts
    assert len(board.loc[board.index[0], "otif_trend"]) == 13


def test_segment_scores_and_the_13_period_window(demo_db):
    day = as_of(demo_db)
    last = periods.last_complete_period(day, "week")
    first = periods.shift_period(last, "week", -12)
    q = Query(
        ("otif", "csat"),
        by=("segment",),
        date_from=first,
        date_to=min(periods.period_end(last, "week"), day),
    )
    expected = dict(engine(demo_db, q).drop_nulls("segment").select("segment", "otif").iter_rows())
    at = run_page("pages/portfolios.py", demo_db)
    at.get("button_group")[0].set_value("13").run()  # "Scores over: the last 13 periods"
    seg = at.dataframe[1].value.set_index("segment")
    assert {s: pytest.approx(seg.loc[s, "otif"]) for s in expected} == expected


def test_customers_at_risk_link_to_their_page(demo_db):
    at = run_page("pages/portfolios.py", demo_db)
    links = at.dataframe[2].value["customer_id"]
    assert len(links) and all(link.startswith("account?customer_id=") for link in links)


# ---- contact center ---------------------------------------------------------------------------


def test_contact_center_queues_equal_the_query_api(demo_db):
    start = periods.last_complete_period(as_of(demo_db), "week")
    q = Query(
        ("aht_sec", "fcr_agent", "service_level"),
        by=("queue",),
        date_from=start,
        date_to=periods.period_end(start, "week"),
    )
    expected = engine(demo_db, q).drop_nulls("queue")
    at = run_page("pages/contact_center.py", demo_db)
    table = at.dataframe[0].value.set_index("queue")
    for queue, aht, fcr_agent, service in expected.iter_rows():
        assert table.loc[queue, "aht_sec"] == pytest.approx(aht)
        assert table.loc[queue, "fcr_agent"] == pytest.approx(fcr_agent)
        assert table.loc[queue, "service_level"] == pytest.approx(service)
    aht = next(m for m in at.metric if "AHT" in m.label)
    total = engine(demo_db, q.replace(metrics=("aht_sec",), by=()))["aht_sec"][0]
    assert aht.value == fmt.value(total, "duration")


def test_contact_center_names_the_queue_pushed_on_handle_time(demo_db):
    at = run_page("pages/contact_center.py", demo_db)
    assert "The orders queue** cut its handle time" in texts(at.markdown)
    specs = " ".join(c.proto.spec for c in at.get("vega_lite_chart"))
    assert all(q in specs for q in ("orders", "billing", "returns", "tech"))
    assert "of the “where is my order” contacts" in texts(at.markdown)


# ---- one customer -----------------------------------------------------------------------------


def test_customer_page_shows_the_engine_numbers_and_timeline(demo_db):
    cid = some_customer(demo_db)
    day = as_of(demo_db)
    last = periods.last_complete_period(day, "week")
    q = Query(
        ("otif", "revenue"),
        date_from=periods.shift_period(last, "week", -12),
        date_to=min(periods.period_end(last, "week"), day),
        where=(("customer_id", (cid,)),),
    )
    expected = engine(demo_db, q)
    at = run_page("pages/customer.py", demo_db, {"customer_id": cid})
    shown = {m.label.split("] ", 1)[-1].split(" :")[0]: m.value for m in at.metric}
    assert shown["OTIF"] == fmt.value(expected["otif"][0], "percent")
    assert shown["Revenue"] == fmt.value(expected["revenue"][0], "money")
    timeline = customer_timeline(Warehouse(demo_db).engine(), load_catalog(CONFIG), cid)
    assert len(at.dataframe[0].value) == timeline.height


def test_an_unknown_customer_gets_a_plain_message(demo_db):
    at = run_page("pages/customer.py", demo_db, {"customer_id": "NOBODY"})
    assert not at.exception and not at.error
    assert "no customer 'NOBODY'" in texts(at.warning)
