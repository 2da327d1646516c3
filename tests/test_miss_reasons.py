"""OTIF miss reasons, their owners and open misses, pinned by hand-computed cases.

tests/fixtures/miss_reasons, as of 2026-03-15 (due date = requested date):
A1 not shipped. A2 half shipped (4 ordered, 2 shipped): short shipped. A3 short shipped AND
promised after the requested date: short_shipped wins. A4 promised late AND dispatched after
plan: promised_late wins. A5 dispatched after plan, delivered late: late_dispatch. A6
dispatched after plan AND not delivered: late_dispatch wins over in_transit. A7 dispatched on
plan, delivered after as-of: in_transit. A8 on plan, delivered late: late_transit. A9 no
planned date (late_dispatch skipped), delivered late: late_transit. A10 OTIF.
B1 line 2 late dispatch (closed), line 10 short shipped (open): the order is late_dispatch
(line 2 before line 10 in numeric order) and still open. B2 line 1 OTIF, line 2 in transit,
line 3 not shipped: in_transit. C1 a cancelled line and a zero-quantity line with shipments
(freight 7 and 2), an OTIF line (freight 5, and 100 shipped after as-of): OTIF, freight 14.
D1 due after as-of: not measured (its freight 50 does not count).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from metrics.catalog import load_catalog, parse_catalog
from metrics.errors import ConfigError
from metrics.funnel import promise_funnel, reason_mix
from metrics.located_yaml import parse_located
from metrics.query import fetch_rows, run_query
from metrics.spec import MISS_REASONS
from metrics.sqlgen import Query
from tests.metric_support import CONFIG, FIXTURE, build_fixture_warehouse, catalog_with, engine

AS_OF = dt.date(2026, 3, 15)
SOURCE = FIXTURE.parent / "miss_reasons"

LINES = {  # (order, line): (reason, still open)
    ("A1", "1"): ("not_shipped", True),
    ("A2", "1"): ("short_shipped", True),
    ("A3", "1"): ("short_shipped", True),
    ("A4", "1"): ("promised_late", False),
    ("A5", "1"): ("late_dispatch", False),
    ("A6", "1"): ("late_dispatch", True),
    ("A7", "1"): ("in_transit", True),
    ("A8", "1"): ("late_transit", False),
    ("A9", "1"): ("late_transit", False),
    ("A10", "1"): (None, False),
    ("B1", "2"): ("late_dispatch", False),
    ("B1", "10"): ("short_shipped", True),
    ("B2", "1"): (None, False),
    ("B2", "2"): ("in_transit", True),
    ("B2", "3"): ("not_shipped", True),
    ("C1", "3"): (None, False),
}
ORDERS = {  # order: (reason, still open)
    "A1": ("not_shipped", True),
    "A2": ("short_shipped", True),
    "A3": ("short_shipped", True),
    "A4": ("promised_late", False),
    "A5": ("late_dispatch", False),
    "A6": ("late_dispatch", True),
    "A7": ("in_transit", True),
    "A8": ("late_transit", False),
    "A9": ("late_transit", False),
    "A10": (None, False),
    "B1": ("late_dispatch", True),
    "B2": ("in_transit", True),
    "C1": (None, False),
}
SWAPS = [  # adjacent WHEN branches of the CASE, each swap caught by a case above
    (
        "WHEN f.qty_shipped = 0 THEN 'not_shipped'",
        "WHEN f.qty_shipped < f.qty_ordered THEN 'short_shipped'",
    ),
    (
        "WHEN f.qty_shipped < f.qty_ordered THEN 'short_shipped'",
        "WHEN f.promised_date > f.requested_date THEN 'promised_late'",
    ),
    (
        "WHEN f.promised_date > f.requested_date THEN 'promised_late'",
        "WHEN f.planned_ship_date IS NOT NULL AND f.qty_shipped_by_plan < f.qty_ordered THEN 'late_dispatch'",
    ),
    (
        "WHEN f.planned_ship_date IS NOT NULL AND f.qty_shipped_by_plan < f.qty_ordered THEN 'late_dispatch'",
        "WHEN f.qty_delivered < f.qty_shipped THEN 'in_transit'",
    ),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture_warehouse(tmp_path_factory.mktemp("miss"), SOURCE)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONFIG)


def line_reasons(db, catalog) -> dict[tuple[str, str], tuple[str | None, bool]]:
    rows = fetch_rows(
        engine(db), catalog, "otif_line", Query(metrics=("otif_line",), as_of=AS_OF), limit=100
    )
    flags = _open_lines(db, catalog)
    return {
        (o, li): (r, flags[(o, li)])
        for o, li, r in rows.select("order_id", "line_id", "miss_reason").iter_rows()
    }


def _open_lines(db, catalog) -> dict[tuple[str, str], bool]:
    """miss_open of each line, read through the engine's records of the lines model."""
    out = {}
    for flag in (True, False):
        q = Query(metrics=("otif_line",), where=(("miss_open", (str(flag).lower(),)),), as_of=AS_OF)
        rows = fetch_rows(engine(db), catalog, "otif_line", q, limit=100)
        out.update({(o, li): flag for o, li in rows.select("order_id", "line_id").iter_rows()})
    return out


def test_each_line_gets_the_first_matching_reason_and_its_open_flag(db, catalog):
    assert line_reasons(db, catalog) == LINES


def test_an_order_takes_the_reason_of_its_first_failing_line_in_numeric_order(db, catalog):
    rows = fetch_rows(engine(db), catalog, "otif", Query(metrics=("otif",), as_of=AS_OF), limit=100)
    reasons = dict(rows.select("order_id", "miss_reason").iter_rows())
    assert reasons == {o: r for o, (r, _) in ORDERS.items()}


def test_the_funnel_counts_orders_and_open_misses_per_reason_with_owners(db, catalog):
    funnel = promise_funnel(engine(db), catalog, Query(metrics=("measured_orders",), as_of=AS_OF))
    assert funnel["step"].to_list() == [
        "Orders due",
        "Not shipped",
        "Short shipped",
        "Promised late",
        "Late dispatch",
        "Still in transit",
        "Late in transit",
        "OTIF",
    ]
    assert funnel["orders"].to_list() == [13, 1, 2, 1, 3, 2, 2, 2]
    assert funnel["open"].to_list() == [0, 1, 2, 0, 2, 2, 0, 0]
    assert funnel["owner"].to_list() == [
        None,
        "Supply planning",
        "Supply planning",
        "Sales",
        "Site (warehouse)",
        "Logistics",
        "Logistics",
        None,
    ]
    due = funnel.row(0, named=True)
    assert (due["start"], due["end"]) == (1.0, 0.0)  # drawn as a full bar
    kept = funnel.row(-1, named=True)
    assert kept["end"] == 0.0 and kept["start"] == pytest.approx(2 / 13)
    missed = funnel.filter(pl.col("reason").is_not_null())
    assert (missed["start"] - missed["end"]).sum() == pytest.approx(11 / 13)
    assert missed["end"][-1] == pytest.approx(2 / 13)  # the misses end where OTIF begins


def test_reason_mix_counts_each_period_with_every_reason(db, catalog):
    q = Query(metrics=("measured_orders",), grain="week", as_of=AS_OF)
    mix = reason_mix(engine(db), catalog, q)
    assert mix["period"].unique().sort().to_list() == [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]
    assert mix.height == 2 * len(MISS_REASONS)
    week2 = mix.filter(
        pl.col("period") == dt.date(2026, 3, 9)
    )  # due 10 Mar: A1-3, A6, A7, A10, B1, B2, C1
    assert dict(week2.select("reason", "orders").iter_rows()) == {
        "not_shipped": 1,
        "short_shipped": 2,
        "promised_late": 0,
        "late_dispatch": 2,
        "in_transit": 2,
        "late_transit": 0,
    }
    assert week2["open"].sum() == 7 and week2["missed"][0] == 7 and week2["due"][0] == 9
    week1 = mix.filter(pl.col("period") == dt.date(2026, 3, 2))  # due 5 Mar: A4, A5, A8, A9
    assert week1["open"].sum() == 0 and week1["missed"][0] == 4
    assert week1.filter(pl.col("reason") == "late_transit")["share"].item() == pytest.approx(0.5)
    assert reason_mix(engine(db), catalog, q, periods=1)["period"].unique().to_list() == [
        dt.date(2026, 3, 9)
    ]


def test_cost_to_serve_counts_the_freight_of_cancelled_and_zero_quantity_lines(db, catalog):
    got = run_query(engine(db), catalog, Query(metrics=("cost_to_serve",), as_of=AS_OF))
    assert got.values().item() == pytest.approx(27 / 13)  # A2-A10: 9, B1: 2, B2: 2, C1: 7 + 2 + 5
    q = Query(metrics=("cost_to_serve",), where=(("customer_id", ("C1",)),), as_of=AS_OF)
    rows = fetch_rows(engine(db), catalog, "cost_to_serve", q, limit=100)
    assert dict(rows.select("order_id", "freight_cost").iter_rows())["C1"] == 14


@pytest.mark.parametrize("first,second", SWAPS, ids=[f"swap-{i}" for i in range(len(SWAPS))])
def test_swapping_two_checks_changes_an_attribution(db, tmp_path, first, second):
    """The cases above pin the order: each swap of adjacent checks moves some line."""
    swapped = catalog_with(tmp_path, {first: "@@", second: first, "@@": second})
    assert line_reasons(db, swapped) != LINES


BAD = [
    (
        "unknown reason",
        (
            "  late_transit: {label: Late in transit, owner: Logistics}\n",
            "  late_transit: {label: Late in transit, owner: Logistics}\n  lost_in_space: {label: Lost, owner: Logistics}\n",
        ),
        ["miss_reasons.lost_in_space", "unknown key 'lost_in_space'"],
    ),
    (
        "missing owner",
        (
            "  promised_late: {label: Promised late, owner: Sales}",
            "  promised_late: {label: Promised late}",
        ),
        ["miss_reasons.promised_late", "required key 'owner' is missing"],
    ),
    (
        "missing reason",
        ("  in_transit: {label: Still in transit, owner: Logistics}\n", ""),
        ["miss_reasons", "required key 'in_transit' is missing"],
    ),
    (
        "misspelt reason",
        ("  late_dispatch: {label:", "  late_dispach: {label:"),
        ["unknown key 'late_dispach'", "did you mean 'late_dispatch'?"],
    ),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_miss_reasons_are_reported_with_file_and_line(case):
    _, (old, new), fragments = case
    text = CONFIG.read_text()
    assert old in text
    with pytest.raises(ConfigError) as err:
        parse_catalog(parse_located(text.replace(old, new, 1), "metrics.yaml"))
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message
    assert message.startswith("metrics.yaml:")


def test_a_file_without_miss_reasons_says_what_is_missing():
    text = CONFIG.read_text()
    start = text.index("miss_reasons:\n")
    end = text.index("\ndimensions:\n")
    with pytest.raises(ConfigError) as err:
        parse_catalog(parse_located(text[:start] + text[end:], "metrics.yaml"))
    assert "required section 'miss_reasons' is missing" in str(err.value)


def test_owners_and_labels_come_from_the_config_in_the_spec_order(catalog):
    assert tuple(r.name for r in catalog.miss_reasons) == MISS_REASONS
    owners = {r.name: r.owner for r in catalog.miss_reasons}
    assert owners == {
        "not_shipped": "Supply planning",
        "short_shipped": "Supply planning",
        "promised_late": "Sales",
        "late_dispatch": "Site (warehouse)",
        "in_transit": "Logistics",
        "late_transit": "Logistics",
    }
