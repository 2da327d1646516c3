"""Per-customer behaviour triggers for alerts, over the at-risk rule's counts.

Broken promises, detractors after a broken promise, contact surges and a key account's OTIF come
from ``metrics.customers.customer_signals`` (the Portfolios page's counts) with the trigger's own
window; orders placed against the customer's own baseline are counted here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl

from metrics.catalog import Catalog
from metrics.customers import customer_signals
from metrics.engine import Engine
from metrics.query import execute
from metrics.spec import AtRisk, ContactSurge
from metrics.sqlgen import Compiled, filter_conditions

Filters = tuple[tuple[str, tuple[str, ...]], ...]


def window_counts(
    cur: Engine,
    catalog: Catalog,
    *,
    as_of: dt.date,
    days: int,
    baseline_windows: int,
    filters: Filters,
) -> pl.DataFrame:
    """Every customer in ``filters`` with the at-risk counts over the last ``days`` days up to
    as-of (orders, broken_promises, otif, detractor_answers, contacts, usual_contacts) and the
    orders placed in that window (``orders_placed``) against the mean of the ``baseline_windows``
    windows just before (``usual_orders_placed``)."""
    rule = AtRisk(
        window_days=days,
        min_signals=1,
        contact_surge=ContactSurge(baseline_windows=baseline_windows),
    )
    windowed = dataclasses.replace(catalog, spec=catalog.spec.model_copy(update={"at_risk": rule}))
    counts = customer_signals(cur, windowed, as_of=as_of, where=filters)
    return counts.join(
        _orders_placed(cur, as_of, days, baseline_windows, filters), on="customer_id", how="left"
    ).with_columns(pl.col("orders_placed", "usual_orders_placed").fill_null(0))


def _orders_placed(
    cur: Engine, as_of: dt.date, days: int, windows: int, filters: Filters
) -> pl.DataFrame:
    params: dict[str, object] = {"as_of": as_of, "days": days, "windows": windows}
    conds = filter_conditions(filters, params, alias="cu.", prefix="t")
    sql = f"""
    SELECT o.customer_id,
           count(DISTINCT o.order_id) FILTER (WHERE o.order_date > $as_of - $days::INTEGER)
             AS orders_placed,
           count(DISTINCT o.order_id) FILTER (WHERE o.order_date <= $as_of - $days::INTEGER)
             / $windows::DOUBLE AS usual_orders_placed
    FROM orders o JOIN customers cu ON cu.customer_id = o.customer_id
    WHERE o.order_date <= $as_of
      AND o.order_date > $as_of - $days::INTEGER * ($windows::INTEGER + 1)
      {"".join(f" AND {c}" for c in conds)}
    GROUP BY 1"""
    return execute(cur, Compiled(sql, params))
