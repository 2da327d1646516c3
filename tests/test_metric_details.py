"""Targets, status bands, significance and period comparisons of run_details."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from metrics.catalog import load_catalog
from metrics.details import run_details
from metrics.schema import SQL_TYPES, TABLES
from metrics.sqlgen import Query
from metrics.targets import status, target_for
from store.warehouse import DuckDBEngine
from tests.metric_support import CONFIG, build_fixture_warehouse, engine

CATALOG = load_catalog(CONFIG)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture_warehouse(tmp_path_factory.mktemp("details"))


def test_target_changes_over_time_and_per_dimension():
    otif = CATALOG.metric("otif")
    assert target_for(otif, on=dt.date(2026, 6, 30), dims={}) == 0.90
    assert target_for(otif, on=dt.date(2026, 7, 1), dims={}) == 0.92
    assert target_for(otif, on=dt.date(2026, 3, 1), dims={"segment": "key account"}) == 0.95
    assert target_for(otif, on=dt.date(2026, 3, 1), dims={"segment": "retail"}) == 0.90


@pytest.mark.parametrize(
    "metric, value, expected",
    [
        ("otif", 0.90, "green"),
        ("otif", 0.86, "amber"),
        ("otif", 0.84, "red"),
        ("otif", None, None),
        ("aht_sec", 300, "green"),
        ("aht_sec", 400, "amber"),
        ("aht_sec", 421, "red"),  # lower is better
    ],
)
def test_status_bands_respect_direction(metric, value, expected):
    m = CATALOG.metric(metric)
    assert status(m, value, target_for(m, on=dt.date(2026, 3, 1), dims={})) == expected


def test_weekly_details_compare_with_the_previous_week(db):
    q = Query(
        metrics=("otif",), grain="week", date_from=dt.date(2026, 3, 9), as_of=dt.date(2026, 3, 15)
    )
    rows = run_details(engine(db), CATALOG, q).to_dicts()
    assert len(rows) == 1
    row = rows[0]
    assert row["period"] == dt.date(2026, 3, 9) and not row["partial"]
    assert row["value"] == pytest.approx(2 / 7) and row["prev_value"] == pytest.approx(1 / 3)
    assert row["delta_prev"] == pytest.approx(2 / 7 - 1 / 3)
    assert row["rel_prev"] == pytest.approx((2 / 7 - 1 / 3) / (1 / 3))
    assert row["ly_value"] is None and row["delta_ly"] is None
    # 4 of the 7 orders are key account C1's (95%), 3 are others' (90% before July)
    assert row["target"] == pytest.approx((4 * 0.95 + 3 * 0.90) / 7)
    # min_sample is 30: 7 orders are a small sample, never judged red (or green)
    assert row["n"] == 7 and row["significant"] is False and row["status"] == "small"


def test_a_partial_period_is_flagged_and_not_compared(db):
    q = Query(
        metrics=("otif",), grain="week", date_from=dt.date(2026, 3, 9), as_of=dt.date(2026, 3, 13)
    )
    row = run_details(engine(db), CATALOG, q).to_dicts()[0]
    assert row["partial"] is True
    assert row["prev_value"] is not None and row["delta_prev"] is None


def test_total_details_compare_a_range_with_the_one_before(db):
    q = Query(
        metrics=("otif",),
        date_from=dt.date(2026, 3, 9),
        date_to=dt.date(2026, 3, 15),
        as_of=dt.date(2026, 3, 15),
    )
    row = run_details(engine(db), CATALOG, q).to_dicts()[0]
    assert row["value"] == pytest.approx(2 / 7) and row["prev_value"] == pytest.approx(1 / 3)


def test_same_week_last_year_is_weekday_aligned():
    con = duckdb.connect()
    for t in TABLES.values():
        con.sql(
            f"CREATE TABLE {t.name} ({', '.join(f'{c.name} {SQL_TYPES[c.type]}' for c in t.columns)})"
        )
    this_year, last_year = dt.date(2026, 3, 11), dt.date(2026, 3, 11) - dt.timedelta(days=364)
    con.executemany(
        f"INSERT INTO orders ({', '.join(TABLES['orders'].column_names[:13])}) VALUES ({', '.join('?' * 13)})",
        [
            ("A", "1", "C", "S", "D", "web", this_year, this_year, None, None, 1, 1, "open"),
            ("B", "1", "C", "S", "D", "web", last_year, last_year, None, None, 1, 1, "open"),
        ],
    )
    con.executemany(
        f"INSERT INTO shipments ({', '.join(TABLES['shipments'].column_names[:9])}) VALUES ({', '.join('?' * 9)})",
        [("S", "A", "1", "X", this_year, this_year, 1, 0, 1)],
    )  # A is OTIF, B never shipped
    q = Query(
        metrics=("otif",), grain="week", date_from=dt.date(2026, 3, 9), as_of=dt.date(2026, 3, 20)
    )
    row = run_details(DuckDBEngine(con), CATALOG, q).to_dicts()[0]
    assert last_year.weekday() == this_year.weekday()
    assert row["value"] == 1.0 and row["ly_value"] == 0.0 and row["delta_ly"] == 1.0


def test_a_customers_segment_target_applies_to_that_customer(db):
    """C1 is a key account: its OTIF target is the key-account one, by filter or by split."""
    q = Query(metrics=("otif",), where=(("customer_id", ("C1",)),), as_of=dt.date(2026, 3, 15))
    assert run_details(engine(db), CATALOG, q)["target"].to_list() == [0.95]
    split = run_details(engine(db), CATALOG, q.replace(where=(), by=("customer_id",)))
    assert dict(zip(split["customer_id"], split["target"])) == {"C1": 0.95, "C2": 0.90, "C3": 0.90}
