"""Money in the reporting currency: orders and shipments carry `currency`, `fx_rates` converts.

Rates (units of EUR, the reporting currency, per unit):
  USD 0.90 from 2026-01-01, 0.80 from 2026-03-01;  GBP 1.20 from 2026-01-01.

Measured lines (all due by as-of 2026-03-31, the latest delivery; all delivered late, so
their revenue is all at risk):
  O1  10 x  5 USD, ordered 2026-02-10 (0.90)          ->  45
  O2   4 x 10 USD, ordered 2026-03-01 (0.80: the day the new rate starts)  ->  32
  O3   2 x 100, no currency (EUR)                     -> 200
  O4   3 x  7 "eur" (EUR in any case)                 ->  21
  O5   1 x 50 GBP, ordered 2026-02-15 (1.20)          ->  60
  revenue = 358

Freight, at the rate of the ship date:
  S1 10 USD shipped 2026-03-02 (0.80, not the order date's 0.90) -> 8
  S2 10 USD shipped 2026-03-03 -> 8;  S3 12 EUR -> 12;  S4 5 GBP -> 6;  S5 0 EUR -> 0
  cost to serve = 34 / 5 orders = 6.8

O6, due after as-of, is a promise at risk (not shipped, past its planned ship date):
  2 x 20 USD ordered 2026-03-20 (0.80) -> value 32.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.errors import ConnectorError
from connectors.load import load_paths
from metrics.catalog import load_catalog
from metrics.customers import customer_signals
from metrics.materialize import refresher
from metrics.promises import promises_at_risk
from metrics.query import run_query
from metrics.sqlgen import Query
from tests.cli_support import run_cli
from tests.conftest import query, write_csv
from tests.metric_support import CONFIG, catalog_with, engine

AS_OF = dt.date(2026, 3, 31)
ORDER_HEAD = [
    "order_id",
    "line_id",
    "customer_id",
    "sku",
    "order_date",
    "requested_date",
    "planned_ship_date",
    "qty_ordered",
    "unit_price",
    "currency",
]
SHIP_HEAD = [
    "shipment_id",
    "order_id",
    "line_id",
    "ship_date",
    "delivered_date",
    "qty_shipped",
    "freight_cost",
    "currency",
]
RATES = [["USD", "2026-01-01", "0.90"], ["USD", "2026-03-01", "0.80"], ["gbp", "2026-01-01", "1.2"]]
ORDERS = [
    ["O1", "1", "C1", "S", "2026-02-10", "2026-03-10", "", "10", "5", "USD"],
    ["O2", "1", "C1", "S", "2026-03-01", "2026-03-15", "", "4", "10", "usd"],
    ["O3", "1", "C1", "S", "2026-03-01", "2026-03-12", "", "2", "100", ""],
    ["O4", "1", "C1", "S", "2026-02-20", "2026-03-14", "", "3", "7", "eur"],
    ["O5", "1", "C1", "S", "2026-02-15", "2026-03-11", "", "1", "50", "GBP"],
    ["O6", "1", "C1", "S", "2026-03-20", "2026-04-03", "2026-03-25", "2", "20", "USD"],
]
SHIPS = [  # every one delivered after its line's due date: each order missed OTIF (at risk)
    ["S1", "O1", "1", "2026-03-02", "2026-03-12", "10", "10", "USD"],
    ["S2", "O2", "1", "2026-03-03", "2026-03-16", "4", "10", "USD"],
    ["S3", "O3", "1", "2026-03-05", "2026-03-31", "2", "12", ""],
    ["S4", "O4", "1", "2026-03-05", "2026-03-15", "3", "5", "GBP"],
    ["S5", "O5", "1", "2026-03-05", "2026-03-12", "1", "0", "EUR"],
]
REVENUE, COST_TO_SERVE = 358.0, 6.8


def extracts(folder: Path, *, rates=RATES, orders=ORDERS, ships=SHIPS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "customers.csv", ["customer_id", "name"], [["C1", "One"]])
    if rates is not None:
        write_csv(folder / "fx_rates.csv", ["currency", "valid_from", "rate"], rates)
    write_csv(folder / "orders.csv", ORDER_HEAD, orders)
    write_csv(folder / "shipments.csv", SHIP_HEAD, ships)
    return folder


def build(tmp: Path, **kw) -> Path:
    """The extracts loaded in one load (rates and amounts together), models stored."""
    db = tmp / "wh.duckdb"
    load_paths(db, [extracts(tmp / "x", **kw)], progress=False, finalize=refresher(CONFIG))
    return db


def values(db: Path, catalog=None) -> dict[str, float]:
    catalog = catalog or load_catalog(CONFIG)
    q = Query(("revenue", "cost_to_serve"), as_of=AS_OF)
    row = run_query(engine(db), catalog, q).frame.row(0, named=True)
    return {k: row[k] for k in ("revenue", "cost_to_serve")}


def test_revenue_and_cost_to_serve_convert_at_the_rate_of_their_date(tmp_path):
    db = build(tmp_path)
    assert query(db, "SELECT count(*) FROM rejects") == [(0,)]
    assert values(db) == pytest.approx({"revenue": REVENUE, "cost_to_serve": COST_TO_SERVE})


def test_the_warehouse_keeps_amounts_as_exported_beside_their_currency(tmp_path):
    db = build(tmp_path)
    rows = query(db, "SELECT order_id, unit_price, currency FROM orders ORDER BY order_id")
    assert rows[:5] == [
        ("O1", 5.0, "USD"),
        ("O2", 10.0, "USD"),  # codes are stored upper-case
        ("O3", 100.0, None),
        ("O4", 7.0, "EUR"),
        ("O5", 50.0, "GBP"),
    ]
    assert query(db, "SELECT currency, rate FROM fx_rates WHERE currency = 'GBP'") == [("GBP", 1.2)]


def test_the_cli_query_gives_the_hand_values(tmp_path):
    db = build(tmp_path)
    r = run_cli("query", "--db", db, "--metric", "revenue,cost_to_serve", "--format", "csv")
    assert r.returncode == 0, r.stderr
    revenue, cost = map(float, r.stdout.strip().splitlines()[-1].split(","))
    assert (revenue, cost) == pytest.approx((REVENUE, COST_TO_SERVE))


def test_revenue_at_risk_and_promises_at_risk_are_in_the_reporting_currency(tmp_path):
    db = build(tmp_path)
    catalog = load_catalog(CONFIG)
    signals = customer_signals(engine(db), catalog, as_of=AS_OF)
    assert signals["revenue_at_risk"].to_list() == pytest.approx([REVENUE])
    risk = promises_at_risk(engine(db), catalog, Query((), as_of=AS_OF))
    assert risk["order_id"].to_list() == ["O6"]
    assert risk["value"].to_list() == pytest.approx([2 * 20 * 0.80])


def test_a_currency_without_a_rate_on_its_date_is_rejected(tmp_path):
    """CHF has no rate; USD before its first rate has none either; likewise for freight."""
    good = [
        [f"G{i}", "1", "C1", "S", "2026-03-02", "2026-03-10", "", "1", "1", "USD"]
        for i in range(40)
    ]
    orders = good + [
        ["B1", "1", "C1", "S", "2026-02-10", "2026-03-10", "", "1", "9", "CHF"],
        ["B2", "1", "C1", "S", "2025-12-31", "2026-03-10", "", "1", "9", "USD"],
    ]
    ships = [[f"T{i}", f"G{i}", "1", "2026-03-03", "", "1", "1", "USD"] for i in range(40)]
    ships += [["T98", "G0", "1", "2026-03-03", "", "0", "4", "JPY"]]
    ships += [["T99", "G1", "1", "2025-12-30", "", "0", "4", "usd"]]
    db = build(tmp_path, orders=orders, ships=ships)
    rejected = query(
        db, 'SELECT "table", rule, "column", value FROM rejects ORDER BY "table", value'
    )
    assert rejected == [
        ("orders", "unknown_currency", "currency", "CHF on 2026-02-10"),
        ("orders", "unknown_currency", "currency", "USD on 2025-12-31"),
        ("shipments", "unknown_currency", "currency", "JPY on 2026-03-03"),
        ("shipments", "unknown_currency", "currency", "USD on 2025-12-30"),
    ]
    assert query(db, "SELECT count(*) FROM orders WHERE order_id LIKE 'B%'") == [(0,)]
    listed = run_cli("rejects", "--db", db, "--rule", "unknown_currency", "--format", "csv")
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.strip().splitlines()) == 1 + 4


def test_the_reporting_currency_needs_no_rate(tmp_path):
    """Reporting in USD: USD and empty amounts as they are, EUR through an EUR rate."""
    rates = [["EUR", "2026-01-01", "1.10"]]
    orders = [
        ["O1", "1", "C1", "S", "2026-02-10", "2026-03-10", "", "10", "5", "USD"],
        ["O2", "1", "C1", "S", "2026-02-10", "2026-03-10", "", "1", "10", ""],
        ["O3", "1", "C1", "S", "2026-02-10", "2026-03-10", "", "2", "100", "EUR"],
    ]
    ships = [["S1", "O1", "1", "2026-03-02", "2026-03-31", "10", "10", "EUR"]]
    db = tmp_path / "wh.duckdb"
    report = load_paths(
        db,
        [extracts(tmp_path / "x", rates=rates, orders=orders, ships=ships)],
        progress=False,
        reporting_currency="USD",
    )
    assert report.rows_rejected == 0
    usd = catalog_with(tmp_path, {"reporting_currency: EUR": "reporting_currency: USD"})
    assert values(db, usd) == pytest.approx({"revenue": 50 + 10 + 220, "cost_to_serve": 11 / 3})


def test_an_amount_in_a_foreign_currency_with_no_rates_at_all_is_rejected(tmp_path):
    """Without fx_rates, only amounts in the reporting currency (or without one) load."""
    orders = [
        [f"E{i}", "1", "C1", "S", "2026-03-02", "2026-03-10", "", "1", "1", ""] for i in range(30)
    ]
    orders.append(["U1", "1", "C1", "S", "2026-03-02", "2026-03-10", "", "1", "1", "USD"])
    db = build(tmp_path, rates=None, orders=orders, ships=[])
    assert query(db, "SELECT rule FROM rejects") == [("unknown_currency",)]


def test_rates_loaded_later_reprice_the_stored_models(tmp_path):
    """A second load with a new USD rate from 2026-03-02 reprices what it covers (O6 is not
    measured; S2 was shipped on 2026-03-03); the stored models equal a fresh build."""
    db = build(tmp_path)
    more = tmp_path / "more"
    more.mkdir()
    write_csv(
        more / "fx_rates_2026-03.csv",
        ["currency", "valid_from", "rate"],
        [["USD", "2026-03-02", "0.5"]],
    )
    load_paths(db, [more], progress=False, finalize=refresher(CONFIG))
    freight = 10 * 0.5 + 10 * 0.5 + 12 + 6 + 0  # S1 and S2 both shipped from 03-02 on
    assert values(db) == pytest.approx({"revenue": REVENUE, "cost_to_serve": freight / 5})
    fresh = tmp_path / "fresh"
    extracts(fresh, rates=RATES + [["USD", "2026-03-02", "0.5"]])
    db2 = fresh / "wh.duckdb"
    load_paths(db2, [fresh], progress=False, finalize=refresher(CONFIG))
    assert values(db) == pytest.approx(values(db2))


def test_a_rate_must_be_above_zero(tmp_path):
    rates = [["USD", f"2026-01-{d:02d}", "0.9"] for d in range(1, 30)] + [
        ["USD", "2026-02-01", "0"]
    ]
    db = build(tmp_path, rates=rates, orders=ORDERS[2:4], ships=SHIPS[2:3])
    assert query(db, 'SELECT rule, "column", value FROM rejects') == [
        ("out_of_range", "rate", "0.0")
    ]


def test_an_unknown_currency_over_the_reject_limit_fails_the_load(tmp_path):
    orders = [["U1", "1", "C1", "S", "2026-03-02", "2026-03-10", "", "1", "1", "XYZ"]]
    with pytest.raises(ConnectorError, match=r"unknown_currency: 1"):
        build(tmp_path, orders=orders, ships=[])
