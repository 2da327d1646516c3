"""Customers at risk and the customer timeline, against the hand-checked fixture."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.catalog import load_catalog
from metrics.customers import customer_signals, customer_timeline, customers_at_risk
from metrics.errors import MetricsError
from tests.metric_support import CONFIG, build_fixture_warehouse, cursor

AS_OF = dt.date(2026, 3, 15)
CATALOG = load_catalog(CONFIG)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture_warehouse(tmp_path_factory.mktemp("customers"))


def test_customers_at_risk_on_the_small_fixture(db):
    # the fixture's customers have at most 4 orders and no contact surge: none is at risk
    assert customers_at_risk(cursor(db), CATALOG, as_of=AS_OF).is_empty()
    every = customer_signals(cursor(db), CATALOG, as_of=AS_OF)
    assert sorted(every["customer_id"].to_list()) == ["C1", "C2", "C3"]
    with pytest.raises(MetricsError, match="cannot be filtered by 'queue'"):
        customers_at_risk(cursor(db), CATALOG, as_of=AS_OF, where=(("queue", ("x",)),))


def test_customer_timeline(db):
    t = customer_timeline(cursor(db), CATALOG, "C2", as_of=AS_OF)
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


def test_unknown_customer_is_a_plain_error(db):
    with pytest.raises(MetricsError, match="no customer 'C9'"):
        customer_timeline(cursor(db), CATALOG, "C9", as_of=AS_OF)
