"""Promises at risk: the forward-looking twin of OTIF.

An open order line (not cancelled, quantity ordered above 0) due in the next
``settings.promise_horizon_days`` days after as-of (as-of itself excluded: a line due on
as-of is already measured by OTIF) is *at risk* when it is already behind:

- ``past_plan``: its planned ship date is before as-of and not all of it has shipped;
- ``partly_shipped``: some of it has shipped and the remainder is still open.

Shipments count when dispatched on or before as-of. The owner of a line is its customer's
portfolio manager (the promise) and its site (the dispatch).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.catalog import Catalog
from metrics.engine import Engine
from metrics.errors import MetricsError
from metrics.query import CUSTOMER_DIMS, execute, resolve_as_of
from metrics.sqlgen import Compiled, Query, filter_conditions, settings_params, used_params

LINE_DIMS = ("site", "sku", "channel")
DIMENSIONS = (*CUSTOMER_DIMS, *LINE_DIMS)  # what a promise at risk can be filtered and counted by
COLUMNS = (
    "order_id",
    "line_id",
    "customer_id",
    "customer",
    "portfolio",
    "portfolio_manager",
    "site",
    "sku",
    "due_date",
    "planned_ship_date",
    "qty_ordered",
    "qty_shipped",
    "qty_open",
    "value",
    "open_value",
    "why",
)

_SQL = """
WITH due AS (
  SELECT o.order_id, o.line_id, o.customer_id, o.site, o.sku, o.channel,
         o.planned_ship_date, o.qty_ordered, coalesce(o.unit_price, 0) AS unit_price,
         CASE WHEN $due_basis = 'promised' THEN coalesce(o.promised_date, o.requested_date)
              ELSE o.requested_date END AS due_date
  FROM orders o
  WHERE coalesce(o.status, 'open') <> 'cancelled' AND o.qty_ordered > 0
),
upcoming AS (
  SELECT * FROM due
  WHERE due_date > $as_of AND due_date <= $as_of + $horizon_days::INTEGER
),
ship AS (
  SELECT s.order_id, s.line_id, sum(s.qty_shipped) AS qty_shipped
  FROM shipments s JOIN upcoming u ON u.order_id = s.order_id AND u.line_id = s.line_id
  WHERE s.ship_date <= $as_of
  GROUP BY s.order_id, s.line_id
),
lines AS (
  SELECT u.*, coalesce(sh.qty_shipped, 0) AS qty_shipped,
         c.name AS customer, c.region, c.segment, c.portfolio, c.portfolio_manager
  FROM upcoming u
  LEFT JOIN ship sh ON sh.order_id = u.order_id AND sh.line_id = u.line_id
  LEFT JOIN customers c ON c.customer_id = u.customer_id
)
SELECT order_id, line_id, customer_id, customer, region, segment, portfolio, portfolio_manager,
       site, sku, channel, due_date, planned_ship_date, qty_ordered, qty_shipped,
       qty_ordered - qty_shipped AS qty_open,
       qty_ordered * unit_price AS value,
       (qty_ordered - qty_shipped) * unit_price AS open_value,
       CASE WHEN qty_shipped > 0 THEN 'partly_shipped' ELSE 'past_plan' END AS why
FROM lines
WHERE qty_shipped < qty_ordered
  AND (qty_shipped > 0 OR planned_ship_date < $as_of)
"""

WHY = {
    "past_plan": "Not shipped, past its planned ship date",
    "partly_shipped": "Partly shipped, remainder open",
}


def horizon_days(catalog: Catalog) -> int:
    return catalog.spec.settings.promise_horizon_days


def promises_at_risk(
    cur: Engine, catalog: Catalog, q: Query, *, days: int | None = None
) -> pl.DataFrame:
    """Open lines due in the ``days`` (default: the setting) days after ``q.as_of`` (default:
    the warehouse's) that are already behind, filtered by ``q.filters`` (the asked-for filters
    and the viewer's scope). Soonest due first, then biggest value. Columns: see ``COLUMNS``
    (plus region, segment, channel); ``why`` is ``past_plan`` or ``partly_shipped``."""
    for dim, _ in q.filters:
        if dim not in DIMENSIONS:
            raise MetricsError(
                f"promises at risk cannot be filtered by '{dim}'; use one of {', '.join(DIMENSIONS)}"
            )
    days = horizon_days(catalog) if days is None else days
    if days < 1:
        raise MetricsError(f"the horizon of promises at risk must be 1 day or more, not {days}")
    as_of = resolve_as_of(cur, q.as_of)
    params: dict[str, object] = {**settings_params(catalog, as_of), "horizon_days": days}
    conds = filter_conditions(q.filters, params, alias="r.", prefix="p")
    where = f"\nWHERE {' AND '.join(conds)}" if conds else ""
    sql = f"SELECT r.* FROM ({_SQL}) r{where}\nORDER BY due_date, value DESC, order_id, line_id"
    return execute(cur, Compiled(sql, used_params(sql, params)))


def at_risk_counts(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    """Lines at risk, their customers and open value per ``by`` (e.g. portfolio or site), most
    lines first; lines without a value for ``by`` form their own group (null)."""
    if by not in frame.columns:
        raise MetricsError(f"promises at risk cannot be counted by '{by}'")
    return (
        frame.group_by(by)
        .agg(
            lines=pl.len(),
            orders=pl.col("order_id").n_unique(),
            customers=pl.col("customer_id").n_unique(),
            open_value=pl.col("open_value").sum(),
            soonest_due=pl.col("due_date").min(),
        )
        .sort(["lines", "open_value", by], descending=[True, True, False], nulls_last=True)
    )


def horizon(as_of: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The first and last due dates a promise at risk can have."""
    return as_of + dt.timedelta(days=1), as_of + dt.timedelta(days=days)
