"""Promises at risk, pinned by hand-computed cases.

tests/fixtures/promises, as of 2026-03-15, horizon 7 days (due 16-22 Mar), due = requested.
Usual transit over the 13 weeks to as-of: DC1 3 days (H1-H3: 3, 3, 4), DC2 1 day (H4; H5's
19 days are older than 13 weeks), DC3 none, so the company's median of 3, 3, 4, 1 = 3.
R1 DC1, not shipped, planned 12 Mar: past plan; even shipped on 16 Mar + 3 days it lands on
19 Mar, after its 18 Mar: can no longer make it (first). 5 x 10 = 50.
R2 DC2, 1 of 4 shipped, planned 16 Mar + 1 = 17 Mar <= 20 Mar: on plan, not at risk.
R3 fully shipped: not. R4 due 23 Mar (8 days): not, unless the horizon is 8. R5 DC1 planned
16 Mar + 3 = 19 Mar = its due date: not. R6 cancelled, R7 zero quantity: not. R8 due on as-of
(already measured by OTIF): not. R9 due 22 Mar, planned 14 Mar: past plan, 2 x 3 = 6.
R10 shipped on 16 Mar, after as-of, planned 13 Mar: past plan, 100. R11 DC2 planned on as-of
itself + 1 <= 18 Mar: not. R12 no planned date, not shipped: not. R13 DC1 planned 17 Mar + 3 =
20 Mar > 19 Mar: plan too late, 4 x 5 = 20. R14 DC2 planned 17 Mar + 1 > 17 Mar: plan too
late, 2 x 4 = 8. R15 DC3 planned 18 Mar + 3 (the company's) > 20 Mar: plan too late, 1.
Per portfolio: P1 (Ann Lee) R1, R9, R10, R13: 4 lines, open value 176; P2 (Bob Ray) R14, R15:
2 lines, 9. Per site: DC1 4; DC2 1 (8); DC3 1 (1).
"""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.catalog import load_catalog
from metrics.errors import MetricsError
from metrics.promises import at_risk_counts, promises_at_risk, who_acts
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
        r["order_id"]: (r["why"], r["qty_open"], r["value"], r["open_value"], r["cannot_make_it"])
        for r in frame.iter_rows(named=True)
    }
    assert got == {
        "R1": ("past_plan", 5, 50, 50, True),
        "R9": ("past_plan", 2, 6, 6, False),
        "R10": ("past_plan", 1, 100, 100, False),
        "R13": ("plan_too_late", 4, 20, 20, False),
        "R14": ("plan_too_late", 2, 8, 8, False),
        "R15": ("plan_too_late", 1, 1, 1, False),
    }
    # what can no longer make it first, then soonest due
    assert frame["order_id"].to_list() == ["R1", "R14", "R13", "R15", "R10", "R9"]
    transit = dict(zip(frame["order_id"], frame["transit_days"], strict=True))
    assert (transit["R1"], transit["R14"], transit["R15"]) == (3, 1, 3)
    r14 = frame.filter(order_id="R14").row(0, named=True)
    assert (r14["customer"], r14["portfolio_manager"], r14["site"]) == ("Bolt", "Bob Ray", "DC2")
    assert r14["due_date"] == dt.date(2026, 3, 17)


def test_who_acts(catalog):
    assert who_acts(catalog, "past_plan") == "Site (warehouse)"
    assert who_acts(catalog, "plan_too_late") == "Supply planning"


def test_horizon_setting_and_override(cur, tmp_path):
    wider = catalog_with(tmp_path, {"promise_horizon_days: 7": "promise_horizon_days: 8"})
    assert "R4" in promises_at_risk(cur, wider, _q())["order_id"].to_list()
    narrow = promises_at_risk(cur, wider, _q(), days=3)  # due 16-18 Mar
    assert sorted(narrow["order_id"].to_list()) == ["R1", "R14"]


def test_counts_per_portfolio_and_site(cur, catalog):
    frame = promises_at_risk(cur, catalog, _q())
    per_portfolio = at_risk_counts(frame, "portfolio")
    assert per_portfolio.select("portfolio", "lines", "customers", "open_value").rows() == [
        ("P1", 4, 1, 176.0),
        ("P2", 2, 1, 9.0),
    ]
    per_site = at_risk_counts(frame, "site")
    assert per_site.select("site", "lines").rows() == [("DC1", 4), ("DC2", 1), ("DC3", 1)]


def test_filters_and_scope(cur, catalog):
    only_p2 = promises_at_risk(cur, catalog, _q(where=(("portfolio", ("P2",)),)))
    assert only_p2["order_id"].to_list() == ["R14", "R15"]
    # the viewer's scope narrows too, and a filter cannot widen it
    scoped = promises_at_risk(
        cur, catalog, _q(where=(("portfolio", ("P2",)),), scope=(("region", ("North",)),))
    )
    assert scoped.is_empty()
    by_site = promises_at_risk(cur, catalog, _q(where=(("site", ("DC1",)),)))
    assert sorted(by_site["order_id"].to_list()) == ["R1", "R10", "R13", "R9"]


def test_unknown_filter_is_refused(cur, catalog):
    with pytest.raises(MetricsError, match="cannot be filtered by 'carrier'"):
        promises_at_risk(cur, catalog, _q(where=(("carrier", ("Swift",)),)))


def test_bad_horizon_setting_message(tmp_path):
    from metrics.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        catalog_with(tmp_path, {"promise_horizon_days: 7": "promise_horizon_days: 0"})
    text = str(err.value)
    assert "promise_horizon_days" in text and "metrics.yaml:" in text
