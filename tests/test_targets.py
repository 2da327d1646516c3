"""One target per population: a filter or split gets the volume-weighted target of its customers."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from metrics.catalog import load_catalog
from metrics.details import run_details
from metrics.sqlgen import Query
from metrics.targets import DerivedTarget, TargetPart, weighted_target
from tests.conftest import write_csv
from tests.metric_support import CONFIG, FIXTURE, build_fixture_warehouse, engine

CATALOG = load_catalog(CONFIG)
# Week 9-15 Mar 2026 (as of the 15th), measured orders: key account C1 has O1, O2, O9, O12 (4),
# mid-market C3 has O6, O7 (2), retail C2 has O10 (1). OTIF targets: 95% key accounts, else 90%.
WEEK = Query(
    metrics=("otif",),
    date_from=dt.date(2026, 3, 9),
    date_to=dt.date(2026, 3, 15),
    as_of=dt.date(2026, 3, 15),
)
MIXED_NORTH = (4 * 0.95 + 2 * 0.90) / 6


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """The metric fixture with portfolio 'KA' holding exactly the key accounts (C1)."""
    tmp = tmp_path_factory.mktemp("targets")
    source = tmp / "source"
    shutil.copytree(FIXTURE, source)
    write_csv(
        source / "customers.csv",
        ["customer_id", "name", "segment", "region", "portfolio", "portfolio_manager"],
        [
            ["C1", "Acme", "key account", "North", "KA", "Ann Lee"],
            ["C2", "Bolt", "retail", "South", "P2", "Bob Ray"],
            ["C3", "Cove", "mid-market", "North", "P1", "Ann Lee"],
        ],
    )
    return build_fixture_warehouse(tmp, source)


def _one(db, q: Query) -> dict:
    rows = run_details(engine(db), CATALOG, q, compare=False).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_the_same_population_gets_the_same_target_by_portfolio_or_by_segment(db):
    by_portfolio = _one(db, WEEK.replace(where=(("portfolio", ("KA",)),)))
    by_segment = _one(db, WEEK.replace(where=(("segment", ("key account",)),)))
    by_customer = _one(db, WEEK.replace(where=(("customer_id", ("C1",)),)))
    assert by_portfolio["n"] == by_segment["n"] == by_customer["n"] == 4
    assert by_portfolio["target"] == by_segment["target"] == by_customer["target"] == 0.95
    assert by_portfolio["target_note"] == "95% for 4 measured orders (segment key account)"


def test_a_split_gives_each_group_the_target_of_its_customers(db):
    split = run_details(engine(db), CATALOG, WEEK.replace(by=("portfolio",)), compare=False)
    assert dict(zip(split["portfolio"], split["target"])) == {"KA": 0.95, "P1": 0.90, "P2": 0.90}
    segments = run_details(engine(db), CATALOG, WEEK.replace(by=("segment",)), compare=False)
    assert dict(zip(segments["segment"], segments["target"]))["key account"] == 0.95


def test_a_mixed_population_gets_the_volume_weighted_target(db):
    north = _one(db, WEEK.replace(where=(("region", ("North",)),)))
    assert north["n"] == 6 and north["target"] == pytest.approx(MIXED_NORTH)
    assert north["target_note"] == (
        "93.3%: weighted by volume, segment key account 95% x 67%"
        " and everyone else 90% x 33% of 6 measured orders"
    )
    by_region = run_details(engine(db), CATALOG, WEEK.replace(by=("region",)), compare=False)
    assert dict(zip(by_region["region"], by_region["target"])) == pytest.approx(
        {"North": MIXED_NORTH, "South": 0.90}
    )
    total = _one(db, WEEK)
    assert total["target"] == pytest.approx((4 * 0.95 + 3 * 0.90) / 7)


def test_a_filter_by_several_values_weighs_each(db):
    both = _one(db, WEEK.replace(where=(("portfolio", ("KA", "P2")),)))
    assert both["n"] == 5 and both["target"] == pytest.approx((4 * 0.95 + 0.90) / 5)


def test_each_period_of_a_trend_is_weighted_by_its_own_volume(db):
    q = WEEK.replace(grain="week", date_from=dt.date(2026, 3, 2), where=(("region", ("North",)),))
    rows = {r["period"]: r for r in run_details(engine(db), CATALOG, q, compare=False).to_dicts()}
    assert rows[dt.date(2026, 3, 9)]["target"] == pytest.approx(MIXED_NORTH)


def test_a_population_with_nothing_measured_keeps_its_customers_target(db):
    later = WEEK.replace(
        date_from=dt.date(2026, 3, 16),
        date_to=dt.date(2026, 3, 22),
        where=(("customer_id", ("C1",)),),
    )
    row = _one(db, later)
    assert row["n"] == 0 and row["target"] == 0.95


def test_a_metric_without_per_customer_targets_keeps_its_target(db):
    row = _one(db, WEEK.replace(metrics=("otif_line",), where=(("region", ("North",)),)))
    assert row["target"] == 0.92 and row["target_note"].startswith("92% for ")


def test_weighted_target_merges_equal_parts_and_ignores_empty_ones():
    parts = [
        TargetPart(0.95, 122, "segment key account"),
        TargetPart(0.92, 500, None),
        TargetPart(0.92, 380, None),
        TargetPart(0.80, 0, "segment retail"),
    ]
    derived = weighted_target(parts)
    assert derived.value == pytest.approx((0.95 * 122 + 0.92 * 880) / 1002)
    assert derived.parts == (
        TargetPart(0.95, 122, "segment key account"),
        TargetPart(0.92, 880, None),
    )
    assert derived.describe("percent", "orders") == (
        "92.4%: weighted by volume, segment key account 95% x 12%"
        " and everyone else 92% x 88% of 1,002 orders"
    )
    assert weighted_target([TargetPart(0.92, 0, None)]) == DerivedTarget(None, ())
    single = weighted_target([TargetPart(120.0, 1, None)])
    assert single.value == 120 and single.describe("decimal", "orders") == "120 for 1 order"
