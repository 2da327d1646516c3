"""Every shipped metric against values computed by hand on tests/fixtures/metrics.

The fixture's cases (as of 2026-03-15):
O1 on time in full (early delivery); O2 split shipment, second part late (late_dispatch);
O3 over-shipped; O4 in transit; O5 promised after the requested date; O6 short shipped
(its remainder ships after as-of); O7 not shipped; O8 due after as-of (not measured);
O9 one cancelled line, one zero-quantity line, one OTIF line with a damaged unit;
O10 delivered after as-of (in transit at as-of); O11 one line due after as-of (order not
measured, its other line is); O12 dispatched on plan, delivered late (late_transit).
Contacts: K1 -> K2 exactly 168 h later (a repeat); K2 -> K3 168 h + 1 s later (not);
K4 abandoned; K6 without customer; K7 followed by abandoned K8; K9 after as-of.
"""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.catalog import load_catalog
from metrics.query import default_as_of, fetch_rows, run_query
from metrics.sqlgen import Query
from tests.metric_support import CONFIG, build_fixture_warehouse, catalog_with, engine

AS_OF = dt.date(2026, 3, 15)

EXPECTED = {
    "otif": 3 / 10,
    "otif_line": 5 / 12,
    "on_time": 4 / 10,
    "in_full": 6 / 10,
    "perfect_order": 2 / 10,
    "promise_kept": 11 / 12,
    "csat": 2 / 3,
    "nps": -25.0,
    "ces": 16 / 3,
    "fcr": 2 / 4,
    "sales_per_contact": 50 / 6,
    "contacts": 8,
    "measured_orders": 10,
    "contacts_per_100_orders": 80.0,
    "revenue": 69.0,
    "cost_to_serve": 43 / 10,
    "fill_rate": 57 / 63,
    "line_fill_rate": 10 / 12,
    "on_time_shipment": 8 / 9,
    "aht_sec": 960 / 6,
    "abandon_rate": 2 / 8,
    "service_level": 4 / 8,
    "fcr_agent": 4 / 6,
    "wismo_after_broken_promise": 1 / 4,  # K1 (O1 kept), K2, K4 (no order), K5 (O4 broken)
    "active_customers": 3,
    # Comments up to as-of: R1 "great" (no theme), R2 "still waiting" (late delivery); R5 "late"
    # is dated after as-of, R3 and R4 have none.
    "commented_responses": 2,
    "theme_late_delivery": 1 / 2,
    "theme_other": 1 / 2,
    **{
        f"theme_{t}": 0.0
        for t in (
            "split_delivery",
            "incomplete_order",
            "damaged",
            "repeat_contact",
            "rushed_call",
            "hold_time",
            "website",
        )
    },  # fmt: skip
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture_warehouse(tmp_path_factory.mktemp("metrics"))


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONFIG)


def test_every_shipped_metric_has_a_hand_computed_value(catalog):
    assert set(catalog.metrics) == set(EXPECTED)


@pytest.mark.parametrize("metric", sorted(EXPECTED))
def test_metric_value(db, catalog, metric):
    got = run_query(engine(db), catalog, Query(metrics=(metric,), as_of=AS_OF)).values().item()
    assert got == pytest.approx(EXPECTED[metric])


def test_default_as_of_is_latest_shipment_contact_or_response_date(db):
    assert default_as_of(engine(db)) == dt.date(2026, 3, 16)


def test_weekly_otif_is_recomputed_per_week(db, catalog):
    res = run_query(
        engine(db), catalog, Query(metrics=("otif",), grain="week", as_of=AS_OF)
    ).values()
    assert res.to_dicts() == [
        {"period": dt.date(2026, 3, 2), "otif": pytest.approx(1 / 3)},
        {"period": dt.date(2026, 3, 9), "otif": pytest.approx(2 / 7)},
    ]


def test_ratio_by_dimension_is_recomputed_not_averaged(db, catalog):
    res = run_query(engine(db), catalog, Query(metrics=("otif",), by=("region",), as_of=AS_OF))
    by_region = {r["region"]: r for r in res.frame.to_dicts()}
    assert by_region["North"]["otif"] == pytest.approx(2 / 6)
    assert by_region["South"]["otif"] == pytest.approx(1 / 4)
    total = EXPECTED["otif"]
    assert (
        sum(r["otif__num"] for r in by_region.values())
        / sum(r["otif__den"] for r in by_region.values())
        == total
    )
    assert total != pytest.approx((2 / 6 + 1 / 4) / 2)


def test_miss_reasons_follow_the_spec_order(db, catalog):
    rows = fetch_rows(engine(db), catalog, "otif", Query(metrics=(), as_of=AS_OF), failing=True)
    reasons = dict(zip(rows["order_id"], rows["miss_reason"]))
    assert reasons == {
        "O2": "late_dispatch",
        "O4": "in_transit",
        "O5": "promised_late",
        "O6": "short_shipped",
        "O7": "not_shipped",
        "O10": "in_transit",
        "O12": "late_transit",
    }


def test_miss_reason_counts_by_dimension(db, catalog):
    q = Query(metrics=("measured_orders",), by=("miss_reason",), as_of=AS_OF)
    counts = {
        r["miss_reason"]: r["measured_orders"]
        for r in run_query(engine(db), catalog, q).values().to_dicts()
    }
    assert counts == {
        None: 3,
        "in_transit": 2,
        "late_dispatch": 1,
        "late_transit": 1,
        "not_shipped": 1,
        "promised_late": 1,
        "short_shipped": 1,
    }


def test_rows_behind_a_value_are_its_denominator(db, catalog):
    rows = fetch_rows(engine(db), catalog, "otif", Query(metrics=(), as_of=AS_OF), failing=False)
    assert sorted(rows["order_id"]) == sorted(
        ["O1", "O2", "O3", "O4", "O5", "O6", "O7", "O9", "O10", "O12"]
    )
    calls = fetch_rows(
        engine(db), catalog, "abandon_rate", Query(metrics=(), as_of=AS_OF), failing=True
    )
    assert sorted(calls["call_id"]) == ["K4", "K8"]


def test_satisfaction_after_contacts_by_queue(db, catalog):
    q = Query(metrics=("csat", "nps"), by=("queue",), as_of=AS_OF)
    rows = {r["queue"]: r for r in run_query(engine(db), catalog, q).values().to_dicts()}
    assert rows["tech"]["csat"] == 1.0 and rows["tech"]["nps"] == 0.0  # R3 about K7
    assert rows["orders"]["csat"] is None and rows["orders"]["nps"] == -100.0  # R4 about K2
    assert rows[None]["csat"] == pytest.approx(1 / 2)  # R1, R2 are not about a contact


def test_filters_and_date_range(db, catalog):
    q = Query(
        metrics=("otif", "contacts"),
        where=(("region", ("South",)),),
        date_from=dt.date(2026, 3, 6),
        date_to=dt.date(2026, 3, 10),
        as_of=AS_OF,
    )
    row = run_query(engine(db), catalog, q).values().to_dicts()[0]
    assert row["otif"] == pytest.approx(0.0)  # O4, O5, O10 (O3 is due 03-05)
    assert row["contacts"] == 0  # C2's contacts are dated 03-02


def test_empty_denominator_is_null_not_zero(db, catalog):
    q = Query(
        metrics=("otif", "csat", "contacts_per_100_orders", "contacts"),
        where=(("region", ("Atlantis",)),),
        as_of=AS_OF,
    )
    row = run_query(engine(db), catalog, q).values().to_dicts()[0]
    assert row == {"otif": None, "csat": None, "contacts_per_100_orders": None, "contacts": 0}


def test_due_date_setting_switches_to_promised_date(db, tmp_path):
    catalog = catalog_with(tmp_path, {"  due_date: requested ": "  due_date: promised "})
    got = run_query(engine(db), catalog, Query(metrics=("otif", "on_time"), as_of=AS_OF)).values()
    assert got.to_dicts() == [{"otif": pytest.approx(4 / 10), "on_time": pytest.approx(5 / 10)}]


def test_late_tolerance_setting(db, tmp_path):
    catalog = catalog_with(tmp_path, {"late_tolerance_days: 0": "late_tolerance_days: 2"})
    got = run_query(engine(db), catalog, Query(metrics=("otif",), as_of=AS_OF)).values().item()
    assert got == pytest.approx(5 / 10)


def test_as_of_moves_the_world(db, catalog):
    """At 03-16, O10's delivery exists (OTIF still fails: it was late); K9 and R5 exist."""
    q = Query(metrics=("contacts", "in_full", "csat"), as_of=dt.date(2026, 3, 16))
    row = run_query(engine(db), catalog, q).values().to_dicts()[0]
    assert row["contacts"] == 9
    assert row["in_full"] == pytest.approx(7 / 10)
    assert row["csat"] == pytest.approx(2 / 4)


def test_a_row_scope_on_a_dimension_the_metric_lacks_is_a_plain_error(db, catalog):
    """A viewer limited by site asks for NPS (no site): a plain message, not a binder error."""
    from metrics.errors import MetricsError

    with pytest.raises(MetricsError, match="metric 'nps' has no 'site'"):
        run_query(engine(db), catalog, Query(("nps",), scope=(("site", ("DC-East",)),)))
    scoped = run_query(engine(db), catalog, Query(("otif_line",), scope=(("site", ("DC-East",)),)))
    assert scoped.frame.height == 1
