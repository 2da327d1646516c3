"""Properties that hold for any data: OTIF bounds, ratios recomputed from parts, additive totals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.catalog import load_catalog
from metrics.query import run_query
from metrics.schema import SQL_TYPES, TABLES
from metrics.sqlgen import Query
from store.warehouse import DuckDBEngine
from tests.metric_support import CONFIG

DAY0 = dt.date(2026, 1, 1)
AS_OF = DAY0 + dt.timedelta(days=30)
CATALOG = load_catalog(CONFIG)

days = st.integers(min_value=0, max_value=40).map(lambda d: DAY0 + dt.timedelta(days=d))
maybe_days = st.one_of(st.none(), days)

line = st.fixed_dictionaries(
    {
        "customer": st.sampled_from(["C1", "C2", "C3"]),
        "requested": days,
        "promised": maybe_days,
        "planned": maybe_days,
        "qty": st.integers(0, 5),
        "price": st.one_of(st.none(), st.integers(0, 9)),
        "status": st.sampled_from(["open", "open", "open", "cancelled"]),
        "shipments": st.lists(
            st.tuples(days, st.one_of(st.none(), st.integers(0, 6)), st.integers(0, 4)), max_size=3
        ),
    }
)
order = st.lists(line, min_size=1, max_size=3)
call = st.tuples(st.sampled_from(["C1", "C2", "C3", None]), st.integers(0, 40 * 24), st.booleans())


@pytest.fixture(scope="module")
def blank() -> Iterator[duckdb.DuckDBPyConnection]:
    """One in-memory database with the canonical tables, emptied for each example (a new
    connection per example cost more than the query it answers)."""
    con = duckdb.connect()
    for t in TABLES.values():
        con.sql(
            f"CREATE TABLE {t.name} ({', '.join(f'{c.name} {SQL_TYPES[c.type]}' for c in t.columns)})"
        )
    yield con
    con.close()


def _warehouse(con, orders, calls, *, bounded: bool = False) -> DuckDBEngine:
    """Canonical tables holding only the generated rows; ``bounded``: no line ships more than
    it ordered."""
    for t in TABLES.values():
        con.sql(f"DELETE FROM {t.name}")
    con.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("C1", "a", "key account", "North", "P1", "Ann"),
            ("C2", "b", "retail", "South", "P2", "Bob"),
            ("C3", "c", "retail", "North", "P1", "Ann"),
        ],
    )
    lines, ships = [], []
    for o, lines_of in enumerate(orders):
        for li, ln in enumerate(lines_of):
            lines.append(
                (
                    f"O{o}",
                    str(li + 1),
                    ln["customer"],
                    "S",
                    "DC",
                    "web",
                    DAY0,
                    ln["requested"],
                    ln["promised"],
                    ln["planned"],
                    ln["qty"],
                    ln["price"],
                    ln["status"],
                )
            )
            left = ln["qty"] if bounded else 10**6
            for si, (ship, transit, qty) in enumerate(ln["shipments"]):
                qty = min(qty, left)
                if bounded and qty == 0:
                    continue
                left -= qty
                delivered = None if transit is None else ship + dt.timedelta(days=transit)
                ships.append((f"S{si}", f"O{o}", str(li + 1), "X", ship, delivered, qty, 0, 1.0))
    con.executemany(
        f"INSERT INTO orders ({', '.join(TABLES['orders'].column_names[:13])}) VALUES ({', '.join('?' * 13)})",
        lines,
    )
    if ships:
        con.executemany(
            f"INSERT INTO shipments ({', '.join(TABLES['shipments'].column_names[:9])}) VALUES ({', '.join('?' * 9)})",
            ships,
        )
    rows = [
        (
            f"K{i}",
            c,
            None,
            "q",
            "a",
            dt.datetime.combine(DAY0, dt.time()) + dt.timedelta(hours=h),
            0,
            60,
            0,
            0,
            ab,
            False,
            "r",
            0,
        )
        for i, (c, h, ab) in enumerate(calls)
    ]
    if rows:
        con.executemany(f"INSERT INTO calls VALUES ({', '.join('?' * 14)})", rows)
    return DuckDBEngine(con)


def _q(**kw) -> Query:
    return Query(as_of=AS_OF, **kw)


@pytest.mark.slow
@pytest.mark.alone  # the two long ones on two workers
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(order, min_size=1, max_size=8), st.lists(call, max_size=10))
def test_otif_lies_between_the_frechet_bounds(blank, orders, calls):
    """Holds when no line is over-shipped (see the next test for why that matters)."""
    con = _warehouse(blank, orders, calls, bounded=True)
    for grain_metrics in (("otif", "on_time", "in_full"),):
        row = run_query(con, CATALOG, _q(metrics=grain_metrics)).values().to_dicts()[0]
        if row["otif"] is None:
            assert row["on_time"] is None and row["in_full"] is None
            continue
        assert (
            row["on_time"] + row["in_full"] - 1 - 1e-12
            <= row["otif"]
            <= min(row["on_time"], row["in_full"]) + 1e-12
        )
        for v in row.values():
            assert 0 <= v <= 1


@pytest.mark.slow
@pytest.mark.alone
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(order, min_size=1, max_size=8), st.lists(call, max_size=10))
def test_totals_are_recomputed_from_the_parts_of_their_groups(blank, orders, calls):
    con = _warehouse(blank, orders, calls)
    ratios = ("otif", "fill_rate", "otif_line")
    additive = ("revenue", "measured_orders", "contacts")
    total = run_query(con, CATALOG, _q(metrics=ratios + additive)).frame.to_dicts()[0]
    for by in ({"by": ("region",)}, {"grain": "week"}):
        groups = run_query(con, CATALOG, _q(metrics=ratios + additive, **by)).frame
        for m in additive:
            assert groups[m].fill_null(0).sum() == pytest.approx(total[m])
        for m in ratios:
            num, den = (
                groups[f"{m}__num"].fill_null(0).sum(),
                groups[f"{m}__den"].fill_null(0).sum(),
            )
            expected = None if den == 0 else num / den
            assert total[m] == pytest.approx(expected)


def test_a_late_extra_shipment_makes_an_otif_line_not_on_time(blank):
    """The spec's 'on time' looks at the line's latest delivery, so units beyond the quantity
    ordered that arrive late make a line OTIF (ordered units came by due) but not on time."""
    line = {
        "customer": "C1",
        "requested": DAY0,
        "promised": None,
        "planned": None,
        "qty": 1,
        "price": None,
        "status": "open",
        "shipments": [(DAY0, 0, 1), (DAY0, 1, 1)],
    }  # 1 unit on the due date, 1 extra a day late
    row = run_query(
        _warehouse(blank, [[line]], []), CATALOG, _q(metrics=("otif", "on_time", "in_full"))
    ).values()
    assert row.to_dicts() == [{"otif": 1.0, "on_time": 0.0, "in_full": 1.0}]
