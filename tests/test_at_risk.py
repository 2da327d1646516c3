"""Customers at risk: the ``at_risk:`` rule of metrics.yaml, by hand on a small fixture.

Five customers, as of 31 Mar 2026 (window: the 28 days after 3 Mar; the usual number
of contacts: the mean of the three 28-day windows before). Each order has one line of
10 units, either delivered in time (kept) or never shipped (broken).

  A  5 orders in the window, 3 broken (OTIF 40%: could be chance at 70%),
     NPS 3 about a broken one (a single event)                              -> 1 signal, out
     (and one old order, outside the window and the 91-day revenue window)
  B  5 orders, all broken (OTIF 0%: beats chance), 6 contacts against none -> 2 signals, in
  C  4 orders, all broken (too few for OTIF), NPS 5 about a broken one,
     5 contacts against 3 before (usual 1.0)                                 -> 2 signals, in
  D  5 orders, all broken, NPS 7 (no detractor), 6 contacts against 12 before
     (usual 4.0, 2x = 8)                                                      -> 1 signal, out
  E  5 orders, all kept, NPS 2 about a kept order                             -> 0 signals, out
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from metrics.customers import customer_signals, customers_at_risk, rule_text
from metrics.errors import ConfigError
from tests.conftest import write_csv
from tests.metric_support import build_fixture_warehouse, catalog_with, engine

AS_OF = dt.date(2026, 3, 31)
PRICE = {"A": 100, "B": 10, "C": 50, "D": 20, "E": 30}
ORDERS = {"A": (5, 3), "B": (5, 5), "C": (4, 4), "D": (5, 5), "E": (5, 0)}  # orders, broken
CONTACTS = {"B": (6, 0), "C": (5, 3), "D": (6, 12)}  # in the window, in the 3 windows before
SURVEYS = [("A", 3, True), ("C", 5, True), ("D", 7, True), ("E", 2, False)]  # nps, about broken


def extracts(folder: Path) -> Path:
    orders, ships, calls, surveys = [], [], [], []
    for c, (n, broken) in ORDERS.items():
        for i in range(n):
            oid, due = f"O{c}{i}", dt.date(2026, 3, 10) + dt.timedelta(days=i)
            orders.append(
                [
                    oid,
                    "1",
                    c,
                    "SKU1",
                    "DC1",
                    "web",
                    "2026-03-01",
                    due.isoformat(),
                    "",
                    "",
                    "10",
                    str(PRICE[c]),
                    "open",
                ]
            )
            if i >= broken:  # kept: shipped and delivered before its due date
                ships.append(
                    [f"S{oid}", oid, "1", "Swift", "2026-03-05", "2026-03-08", "10", "0", "5"]
                )
    orders.append(
        [
            "OA-old",
            "1",
            "A",
            "SKU1",
            "DC1",
            "web",
            "2025-10-20",
            "2025-11-01",
            "",
            "",
            "10",
            "100",
            "open",
        ]
    )
    ships.append(["SOA-old", "OA-old", "1", "Swift", "2025-10-25", "2025-10-28", "10", "0", "5"])
    for c, (now, before) in CONTACTS.items():
        days = [dt.date(2026, 3, 10) + dt.timedelta(days=i) for i in range(now)]
        days += [dt.date(2026, 1, 5) + dt.timedelta(days=3 * i) for i in range(before)]
        for i, day in enumerate(days):
            calls.append(
                [
                    f"K{c}{i}",
                    c,
                    "",
                    "orders",
                    "A1",
                    f"{day} 10:00:00",
                    "10",
                    "100",
                    "",
                    "",
                    "false",
                    "true",
                    "where_is_my_order",
                    "",
                ]
            )
    for i, (c, nps, broken) in enumerate(SURVEYS):
        oid = f"O{c}0" if broken else f"O{c}4"
        surveys.append([f"R{i}", c, oid, "", "2026-03-25", "delivery", "3", str(nps), "", ""])
    write_csv(
        folder / "customers.csv",
        ["customer_id", "name", "segment", "region", "portfolio", "portfolio_manager"],
        [
            [c, f"Customer {c}", "retail", "North" if c in "AB" else "South", "P1", "Ann"]
            for c in PRICE
        ],
    )
    write_csv(
        folder / "orders.csv",
        [
            "order_id",
            "line_id",
            "customer_id",
            "sku",
            "site",
            "channel",
            "order_date",
            "requested_date",
            "promised_date",
            "planned_ship_date",
            "qty_ordered",
            "unit_price",
            "status",
        ],
        orders,
    )
    write_csv(
        folder / "shipments.csv",
        [
            "shipment_id",
            "order_id",
            "line_id",
            "carrier",
            "ship_date",
            "delivered_date",
            "qty_shipped",
            "qty_damaged",
            "freight_cost",
        ],
        ships,
    )
    write_csv(
        folder / "calls.csv",
        [
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
        ],
        calls,
    )
    write_csv(
        folder / "surveys.csv",
        [
            "response_id",
            "customer_id",
            "order_id",
            "call_id",
            "responded_at",
            "touchpoint",
            "csat",
            "nps",
            "ces",
            "comment",
        ],
        surveys,
    )
    return folder


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("at_risk")
    return build_fixture_warehouse(tmp, extracts(tmp / "src"))


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return catalog_with(tmp_path_factory.mktemp("cfg"), {})


def test_who_is_at_risk_ranked_by_revenue_at_risk(db, catalog):
    risk = customers_at_risk(engine(db), catalog, as_of=AS_OF)
    got = risk.select("customer_id", "revenue_at_risk", "signals").rows()
    # revenue at risk: the failed orders' only: 4 x 10 x 50, 5 x 10 x 10
    assert got == [("C", 2000.0, 2), ("B", 500.0, 2)]
    reasons = dict(risk.select("customer_id", "reasons").rows())
    assert reasons["B"] == "OTIF 0% (5 orders); 6 contacts vs usual 0.0"
    assert reasons["C"] == "1 detractor on a broken promise; 5 contacts vs usual 1.0"


def test_the_counts_behind_the_signals(db, catalog):
    every = customer_signals(engine(db), catalog, as_of=AS_OF).sort("customer_id")
    rows = every.select(
        "customer_id",
        "orders",
        "broken_promises",
        "detractor_answers",
        "contacts",
        "usual_contacts",
        "signals",
        "at_risk",
    ).rows()
    assert rows == [
        ("A", 5, 3, 1, 0, 0.0, 1, False),
        ("B", 5, 5, 0, 6, 0.0, 2, True),
        ("C", 4, 4, 1, 5, 1.0, 2, True),
        ("D", 5, 5, 0, 6, 4.0, 1, False),
        ("E", 5, 0, 0, 0, 0.0, 0, False),
    ]


def test_the_rule_comes_from_the_config(db, tmp_path):
    one = catalog_with(tmp_path, {"  min_signals: 2\n": "  min_signals: 1\n"})
    # A's one detractor never lists it alone; D's 5 x 10 x 20 = 1000
    assert customers_at_risk(engine(db), one, as_of=AS_OF)["customer_id"].to_list() == [
        "C",
        "D",
        "B",
    ]
    text = rule_text(one.spec.at_risk)
    assert text.startswith(
        "A customer is at risk when any of these 3 signals fire in the last 28 days"
    )
    assert "OTIF below 70% over at least 5 orders" in text and "due in the last 91 days" in text


def test_filters_narrow_the_list(db, catalog):
    south = customers_at_risk(engine(db), catalog, as_of=AS_OF, where=(("region", ("South",)),))
    assert south["customer_id"].to_list() == ["C"]


def test_an_unreachable_rule_is_a_plain_config_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        catalog_with(tmp_path, {"  min_signals: 2\n": "  min_signals: 4\n"})
    assert "at_risk" in str(err.value) and "min_signals is 4 but only 3 signal(s)" in str(err.value)


def test_a_bad_value_names_the_key_and_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        catalog_with(tmp_path, {"  window_days: 28\n": "  window_days: 0\n"})
    assert "metrics.yaml:" in str(err.value) and "at_risk.window_days" in str(err.value)


def test_revenue_at_risk_is_the_failed_orders_not_the_whole_revenue(db, catalog):
    every = customer_signals(engine(db), catalog, as_of=AS_OF)
    got = dict(every.select("customer_id", "revenue_at_risk").rows())
    # A: 3 broken x 10 x 100 (its 2 kept orders and the old one do not count); E: none broken
    assert got == {"A": 3000.0, "B": 500.0, "C": 2000.0, "D": 1000.0, "E": 0.0}
