"""Customers at risk and the customer timeline, against the hand-checked fixture."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.catalog import load_catalog
from metrics.customers import customer_timeline, customers_at_risk
from metrics.errors import MetricsError
from tests.metric_support import CONFIG, build_fixture_warehouse, cursor

AS_OF = dt.date(2026, 3, 15)
CATALOG = load_catalog(CONFIG)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture_warehouse(tmp_path_factory.mktemp("customers"))


def test_customers_at_risk(db):
    rows = customers_at_risk(cursor(db), CATALOG, as_of=AS_OF).select(
        "customer_id", "broken_promises", "detractor_responses", "repeated_contacts").rows()
    assert rows == [("C2", 3, 1, 0), ("C1", 2, 1, 1), ("C3", 2, 0, 1)]


def test_customers_at_risk_thresholds_and_filters(db):
    strict = customers_at_risk(cursor(db), CATALOG, as_of=AS_OF, broken_min=3, repeat_min=5)
    assert strict["customer_id"].to_list() == ["C2", "C1"]  # C1 through its detractor response
    south = customers_at_risk(cursor(db), CATALOG, as_of=AS_OF, where=(("region", ("South",)),))
    assert south["customer_id"].to_list() == ["C2"]
    with pytest.raises(MetricsError, match="cannot be filtered by 'queue'"):
        customers_at_risk(cursor(db), CATALOG, as_of=AS_OF, where=(("queue", ("x",)),))


def test_customer_timeline(db):
    t = customer_timeline(cursor(db), CATALOG, "C2", as_of=AS_OF)
    assert t["date"].to_list() == sorted(t["date"].to_list(), reverse=True)
    kinds = t.group_by("kind").len().sort("kind").rows()
    assert kinds == [("contact", 2), ("order", 4), ("response", 1), ("shipment", 4)]
    outcomes = dict(zip(t.filter(t["kind"] == "order")["reference"], t.filter(t["kind"] == "order")["outcome"]))
    assert outcomes == {"O3": "kept (OTIF)", "O4": "broken: in_transit", "O5": "broken: promised_late",
                        "O10": "broken: in_transit"}
    assert "still waiting" in t["outcome"].to_list()


def test_unknown_customer_is_a_plain_error(db):
    with pytest.raises(MetricsError, match="no customer 'C9'"):
        customer_timeline(cursor(db), CATALOG, "C9", as_of=AS_OF)
