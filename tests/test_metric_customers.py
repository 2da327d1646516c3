"""Customers at risk and the customer timeline, against the hand-checked fixture."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from polars.testing import assert_frame_equal

from metrics.catalog import load_catalog
from metrics.customers import _num, customer_signals, customer_timeline, customers_at_risk
from metrics.errors import MetricsError
from store.lake import Lake, require_version
from tests.metric_support import CONFIG, build_fixture_warehouse, engine

AS_OF = dt.date(2026, 3, 15)
CATALOG = load_catalog(CONFIG)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture_warehouse(tmp_path_factory.mktemp("customers"))


def test_customers_at_risk_on_the_small_fixture(db):
    # the fixture's customers have at most 4 orders and no contact surge: none is at risk
    assert customers_at_risk(engine(db), CATALOG, as_of=AS_OF).is_empty()
    every = customer_signals(engine(db), CATALOG, as_of=AS_OF)
    assert sorted(every["customer_id"].to_list()) == ["C1", "C2", "C3"]
    with pytest.raises(MetricsError, match="cannot be filtered by 'queue'"):
        customers_at_risk(engine(db), CATALOG, as_of=AS_OF, where=(("queue", ("x",)),))


def test_customer_timeline(db):
    t = customer_timeline(engine(db), CATALOG, "C2", as_of=AS_OF)
    assert t["date"].to_list() == sorted(t["date"].to_list(), reverse=True)
    kinds = t.group_by("kind").len().sort("kind").rows()
    assert kinds == [("contact", 2), ("order", 4), ("response", 1), ("shipment", 4)]
    outcomes = dict(
        zip(t.filter(t["kind"] == "order")["reference"], t.filter(t["kind"] == "order")["outcome"])
    )
    assert outcomes == {
        "O3": "kept (OTIF)",
        "O4": "broken: in_transit",
        "O5": "broken: promised_late",
        "O10": "broken: in_transit",
    }
    assert "still waiting" in t["outcome"].to_list()


def test_customer_timeline_says_what_each_event_was(db):
    t = customer_timeline(engine(db), CATALOG, "C2", as_of=AS_OF)
    what = dict(zip(t["reference"], t["what"], strict=True))
    assert what["O3"] == "1 line(s), 4 units via edi"  # orders.csv: O3, one line of 4
    assert what["S3"] == "order O3 line 1: 6 units by Slow"
    assert what["K4"] == "orders queue, reason where_is_my_order"
    assert what["R2"] == "delivery: CSAT 2 NPS 3 CES -"  # no CES answer


def test_a_quantity_reads_as_python_g_would():
    rows = duckdb.sql(f"SELECT {_num('x')} FROM (VALUES (4.0), (2.5), (0.0)) v(x)").fetchall()
    assert [r[0] for r in rows] == ["4", "2.5", "0"]


@pytest.mark.spark
def test_customers_alike_on_spark(spark, fixture_stores):
    """Signals and every customer's timeline, on Spark and on DuckDB over the same lake (the
    fixture's, shared by the session's Spark tests: tests/spark_fixtures.py)."""
    from store.spark_engine import SparkEngine

    lake = fixture_stores[1]
    on_spark = SparkEngine(spark, require_version(lake))
    on_duckdb = Lake(lake).engine()
    signals = customer_signals(on_duckdb, CATALOG, as_of=AS_OF).sort("customer_id")
    assert signals.height == 3
    assert_frame_equal(
        customer_signals(on_spark, CATALOG, as_of=AS_OF).sort("customer_id"),
        signals,
        check_dtypes=False,
    )
    for cid in signals["customer_id"]:
        timeline = customer_timeline(on_duckdb, CATALOG, cid, as_of=AS_OF)
        assert timeline.height > 0
        assert_frame_equal(customer_timeline(on_spark, CATALOG, cid, as_of=AS_OF), timeline)


def test_unknown_customer_is_a_plain_error(db):
    with pytest.raises(MetricsError, match="no customer 'C9'"):
        customer_timeline(engine(db), CATALOG, "C9", as_of=AS_OF)
