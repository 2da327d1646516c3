"""Old KPIs vs North Star: the conflict rule, the ranking by gap and the split, by hand."""

from __future__ import annotations

import polars as pl
import pytest

from metrics import pairs
from metrics.catalog import load_catalog
from tests.metric_support import CONFIG

CATALOG = load_catalog(CONFIG)
TARGETS = {  # the shipped targets of the paired metrics
    "fill_rate": 0.97,
    "otif": 0.92,
    "on_time_shipment": 0.95,
    "on_time": 0.93,
    "aht_sec": 360.0,
    "fcr": 0.45,
    "csat": 0.85,
    "service_level": 0.65,
    "fcr_agent": 0.80,
}


def details(values: dict[str, tuple[float | None, str | None]], n: int = 100) -> pl.DataFrame:
    """run_details-like rows: metric, value, its shipped target, the given status, a sample n."""
    return pl.DataFrame(
        {
            "metric": list(values),
            "value": [v for v, _ in values.values()],
            "target": [TARGETS[m] for m in values],
            "status": [s for _, s in values.values()],
            "n": [n] * len(values),
        },
        schema={
            "metric": pl.String,
            "value": pl.Float64,
            "target": pl.Float64,
            "status": pl.String,
            "n": pl.Int64,
        },
    )


def row(rows: pl.DataFrame, department: str, customer: str) -> dict:
    hit = rows.filter((pl.col("department") == department) & (pl.col("customer") == customer))
    assert hit.height == 1
    return hit.row(0, named=True)


def test_an_amber_department_beside_a_red_customer_is_a_conflict():
    rows = pairs.pair_rows(
        details({"fill_rate": (0.957, "amber"), "otif": (0.756, "red")}), CATALOG
    )
    r = row(rows, "fill_rate", "otif")
    assert r["conflict"]
    # (0.92 - 0.756) / 0.92 - (0.97 - 0.957) / 0.97 = 0.178261 - 0.013402
    assert r["cust_shortfall"] == pytest.approx(0.178261, abs=1e-6)
    assert r["dept_shortfall"] == pytest.approx(0.013402, abs=1e-6)
    assert r["gap"] == pytest.approx(0.164859, abs=1e-6)


@pytest.mark.parametrize(
    "dept, cust",
    [
        ((0.96, "green"), (0.95, "green")),  # both fine
        ((0.90, "red"), (0.80, "red")),  # the department KPI admits the problem
        ((0.96, "green"), (0.90, "amber")),  # the customer near target is not off target
        ((0.96, "green"), (None, None)),  # the customer side not measured yet
    ],
)
def test_other_status_pairs_are_not_conflicts(dept, cust):
    rows = pairs.pair_rows(details({"on_time_shipment": dept, "on_time": cust}), CATALOG)
    assert not row(rows, "on_time_shipment", "on_time")["conflict"]


def test_a_small_sample_on_either_side_is_not_a_conflict():
    small = details({"fill_rate": (0.957, "amber"), "otif": (0.756, "red")}, n=29)  # min 30
    assert not pairs.pair_rows(small, CATALOG)["conflict"].any()


def test_lower_is_better_department_kpis_and_the_ranking_by_gap():
    values = {
        "aht_sec": (300.0, "green"),  # 60 s under its 360 s target: shortfall -1/6
        "fcr": (0.30, "red"),  # (0.45 - 0.30) / 0.45 = 1/3
        "csat": (0.70, "red"),  # (0.85 - 0.70) / 0.85 = 0.176471
        "service_level": (0.70, "green"),  # (0.65 - 0.70) / 0.65 = -0.076923
        "fcr_agent": (0.85, "green"),  # (0.80 - 0.85) / 0.80 = -0.0625
        "fill_rate": (0.957, "amber"),
        "otif": (0.756, "red"),
        "on_time_shipment": (0.96, "green"),
        "on_time": (0.95, "green"),
    }
    rows = pairs.pair_rows(details(values), CATALOG)
    got = [
        (r["department"], r["customer"], round(r["gap"], 6), r["conflict"])
        for r in rows.rows(named=True)
    ]
    assert got == [
        ("aht_sec", "fcr", 0.5, True),  # 1/3 + 1/6
        ("fcr_agent", "fcr", 0.395833, True),  # 1/3 + 0.0625
        ("aht_sec", "csat", 0.343137, True),  # 0.176471 + 1/6
        ("service_level", "csat", 0.253394, True),  # 0.176471 + 0.076923
        ("fill_rate", "otif", 0.164859, True),
        ("on_time_shipment", "on_time", -0.010979, False),  # -0.021505 - -0.010526
    ]


def test_a_slow_but_amber_handle_time_beside_red_csat_is_a_conflict():
    rows = pairs.pair_rows(details({"aht_sec": (400.0, "amber"), "csat": (0.70, "red")}), CATALOG)
    r = row(rows, "aht_sec", "csat")
    assert r["conflict"]
    assert r["dept_shortfall"] == pytest.approx(40 / 360)  # over target: worse
    assert r["gap"] == pytest.approx(0.15 / 0.85 - 40 / 360)


def split_details() -> pl.DataFrame:
    """fill_rate and otif per portfolio manager, with a row for no manager."""
    frame = pl.DataFrame(
        {
            "portfolio_manager": ["Ann", "Ann", "Bob", "Bob", None, None],
            "metric": ["fill_rate", "otif"] * 3,
            "value": [0.99, 0.95, 0.96, 0.70, 0.98, 0.80],
            "target": [0.97, 0.92] * 3,
            "status": ["green", "green", "amber", "red", "green", "red"],
            "n": [100] * 6,
        }
    )
    return frame


def test_a_split_keeps_rows_without_a_value_and_flags_the_pair():
    rows = pairs.pair_rows(split_details(), CATALOG, ["portfolio_manager"])
    got = [(r["portfolio_manager"], r["conflict"]) for r in rows.rows(named=True)]
    # conflicts first, widest gap first: Bob (0.239130 - 0.010309), then no manager
    assert got == [("Bob", True), (None, True), ("Ann", False)]
    totals = pairs.pair_rows(
        details({"fill_rate": (0.98, "green"), "otif": (0.95, "green")}), CATALOG
    )
    ranked = pairs.rank_pairs(totals, rows)
    r = ranked.row(0, named=True)
    assert (r["conflict"], r["split_conflicts"], r["flagged"]) == (False, 2, True)
    assert pairs.rank_pairs(totals)["flagged"].to_list() == [False]


def test_split_dimensions_are_those_both_sides_of_a_pair_offer():
    dims = pairs.split_dimensions(CATALOG)
    assert {"region", "segment", "portfolio", "portfolio_manager", "queue"} <= set(dims)
    assert "sku" not in dims  # fill rate has it, OTIF does not; no other pair has it
    assert "miss_reason" not in dims  # the customer side's outcome, not a population
    assert pairs.pairs_split_by(CATALOG, "channel") == ("fill_rate", "otif")
    assert set(pairs.pairs_split_by(CATALOG, "queue")) == {
        "aht_sec",
        "fcr",
        "csat",
        "service_level",
        "fcr_agent",
    }
