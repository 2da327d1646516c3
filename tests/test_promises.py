"""Promises at risk, pinned by hand-computed cases.

tests/fixtures/promises, as of 2026-03-15, horizon 7 days (due 16-22 Mar), due = requested:
R1 not shipped, planned 12 Mar: at risk (past plan), 5 x 10 = 50. R2 1 of 4 shipped, planned
16 Mar: at risk (partly shipped), value 10, open 3 x 2.5 = 7.5. R3 fully shipped: not. R4 due
23 Mar (8 days): not, unless the horizon is 8. R5 planned 16 Mar (future), not shipped: not.
R6 cancelled, R7 zero quantity: not. R8 due on as-of (already measured by OTIF): not. R9 due
22 Mar (the last day), planned 14 Mar: at risk, 2 x 3 = 6. R10 shipped on 16 Mar, after as-of,
planned 13 Mar: at risk, 100. R11 planned on as-of itself (not past): not. R12 no planned
date, not shipped: not.
Per portfolio: P1 (Ann Lee) R1, R9, R10: 3 lines, open value 156; P2 (Bob Ray) R2: 1, 7.5.
Per site: DC1 R1, R9, R10: 3; DC2 R2: 1.
"""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.catalog import load_catalog
from metrics.errors import MetricsError
from metrics.promises import at_risk_counts, promises_at_risk
from metrics.sqlgen import Query
from tests.metric_support import CONFIG, FIXTURE, build_fixture_warehouse, catalog_with, engine

AS_OF = dt.date(2026, 3, 15)
SOURCE = FIXTURE.parent / "promises"


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    db = build_fixture_warehouse(tmp_path_factory.mktemp("promises"), SOURCE)
    c = engine(db)
    yield c
    c.close()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONFIG)


def _q(**kw) -> Query:
    return Query(metrics=(), as_of=AS_OF, **kw)


def test_each_case(cur, catalog):
    frame = promises_at_risk(cur, catalog, _q())
    got = {
        r["order_id"]: (r["why"], r["qty_open"], r["value"], r["open_value"])
        for r in frame.iter_rows(named=True)
    }
    assert got == {
        "R1": ("past_plan", 5, 50, 50),
        "R2": ("partly_shipped", 3, 10, 7.5),
        "R9": ("past_plan", 2, 6, 6),
        "R10": ("past_plan", 1, 100, 100),
    }
    assert frame["order_id"].to_list() == ["R1", "R2", "R10", "R9"]  # soonest due first
    r2 = frame.filter(order_id="R2").row(0, named=True)
    assert (r2["customer"], r2["portfolio_manager"], r2["site"]) == ("Bolt", "Bob Ray", "DC2")
    assert r2["due_date"] == dt.date(2026, 3, 20)


def test_horizon_setting_and_override(cur, tmp_path):
    wider = catalog_with(tmp_path, {"promise_horizon_days: 7": "promise_horizon_days: 8"})
    assert "R4" in promises_at_risk(cur, wider, _q())["order_id"].to_list()
    narrow = promises_at_risk(cur, wider, _q(), days=3)  # due 16-18 Mar
    assert sorted(narrow["order_id"].to_list()) == ["R1"]


def test_counts_per_portfolio_and_site(cur, catalog):
    frame = promises_at_risk(cur, catalog, _q())
    per_portfolio = at_risk_counts(frame, "portfolio")
    assert per_portfolio.select("portfolio", "lines", "customers", "open_value").rows() == [
        ("P1", 3, 1, 156.0),
        ("P2", 1, 1, 7.5),
    ]
    per_site = at_risk_counts(frame, "site")
    assert per_site.select("site", "lines").rows() == [("DC1", 3), ("DC2", 1)]


def test_filters_and_scope(cur, catalog):
    only_p2 = promises_at_risk(cur, catalog, _q(where=(("portfolio", ("P2",)),)))
    assert only_p2["order_id"].to_list() == ["R2"]
    # the viewer's scope narrows too, and a filter cannot widen it
    scoped = promises_at_risk(
        cur, catalog, _q(where=(("portfolio", ("P2",)),), scope=(("region", ("North",)),))
    )
    assert scoped.is_empty()
    by_site = promises_at_risk(cur, catalog, _q(where=(("site", ("DC1",)),)))
    assert sorted(by_site["order_id"].to_list()) == ["R1", "R10", "R9"]


def test_unknown_filter_is_refused(cur, catalog):
    with pytest.raises(MetricsError, match="cannot be filtered by 'carrier'"):
        promises_at_risk(cur, catalog, _q(where=(("carrier", ("Swift",)),)))


def test_bad_horizon_setting_message(tmp_path):
    from metrics.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        catalog_with(tmp_path, {"promise_horizon_days: 7": "promise_horizon_days: 0"})
    text = str(err.value)
    assert "promise_horizon_days" in text and "metrics.yaml:" in text
