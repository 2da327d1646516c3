"""Per-customer behaviour triggers for alerts, over the at-risk rule's counts.

Broken promises, detractors after a broken promise, contact surges and a key account's OTIF come
from ``metrics.customers.signal_counts`` (the Portfolios page's counts) with each trigger's own
window; orders placed against the customer's own baseline are counted here. Every window is
counted in one pass.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.catalog import Catalog
from metrics.customers import Window, signal_counts
from metrics.engine import Engine
from metrics.query import execute
from metrics.sqlgen import Compiled, filter_conditions

Filters = tuple[tuple[str, tuple[str, ...]], ...]


def window_counts(
    cur: Engine,
    catalog: Catalog,
    *,
    as_of: dt.date,
    windows: list[Window],
    filters: Filters,
) -> dict[Window, pl.DataFrame]:
    """For each (days, baseline windows): every customer in ``filters`` with the at-risk counts
    over the last ``days`` days up to as-of (orders, broken_promises, otif, detractor_answers,
    contacts, usual_contacts) and the orders placed in that window (``orders_placed``) against the
    mean of the ``baseline windows`` windows just before (``usual_orders_placed``)."""
    windows = list(dict.fromkeys(windows))
    counts = signal_counts(cur, catalog, as_of=as_of, windows=windows, where=filters)
    placed = _orders_placed(cur, as_of, windows, filters)
    out = {}
    for i, (window, frame) in enumerate(zip(windows, counts)):
        mine = placed.select(
            "customer_id",
            pl.col(f"orders_placed_{i}").alias("orders_placed"),
            pl.col(f"usual_orders_placed_{i}").alias("usual_orders_placed"),
        )
        out[window] = frame.join(mine, on="customer_id", how="left").with_columns(
            pl.col("orders_placed", "usual_orders_placed").fill_null(0)
        )
    return out


def _orders_placed(
    cur: Engine, as_of: dt.date, windows: list[Window], filters: Filters
) -> pl.DataFrame:
    """Per customer and window i: the orders with a line placed in its days (``orders_placed_i``)
    and the mean of its baseline windows just before (``usual_orders_placed_i``)."""
    params: dict[str, object] = {
        "as_of": as_of,
        "widest": max(days * (baseline + 1) for days, baseline in windows),
    }
    flags, counts = [], []
    for i, (days, baseline) in enumerate(windows):
        params |= {f"days_{i}": days, f"windows_{i}": baseline}
        start = f"$as_of - $days_{i}::INTEGER"
        flags += [
            f"bool_or(o.order_date > {start}) AS placed_{i}",
            f"bool_or(o.order_date <= {start}"
            f" AND o.order_date > $as_of - $days_{i}::INTEGER * ($windows_{i}::INTEGER + 1))"
            f" AS before_{i}",
        ]
        counts += [
            f"count(*) FILTER (WHERE placed_{i}) AS orders_placed_{i}",
            f"count(*) FILTER (WHERE before_{i}) / $windows_{i}::DOUBLE AS usual_orders_placed_{i}",
        ]
    conds = filter_conditions(filters, params, alias="cu.", prefix="t")
    sql = f"""
    SELECT customer_id, {", ".join(counts)}
    FROM (SELECT o.customer_id, o.order_id, {", ".join(flags)}
          FROM orders o JOIN customers cu ON cu.customer_id = o.customer_id
          WHERE o.order_date <= $as_of AND o.order_date > $as_of - $widest::INTEGER
            {"".join(f" AND {c}" for c in conds)}
          GROUP BY o.customer_id, o.order_id)
    GROUP BY 1"""
    return execute(cur, Compiled(sql, params))
