"""Promises at risk: the forward-looking twin of OTIF.

An open order line (not cancelled, quantity ordered above 0, not fully shipped by as-of) due
in the next ``settings.promise_horizon_days`` days after as-of (as-of itself excluded: a line
due on as-of is already measured by OTIF) is *at risk* when it cannot reach the customer's due
date on the current plan:

- ``past_plan``: its planned ship date is before as-of;
- ``plan_too_late``: its planned ship date plus the usual transit time of its site is after
  its due date.

The usual transit time of a site is the median of delivered date minus ship date over its
shipments dispatched in the 13 weeks up to as-of and delivered by then (the company's median
for a site without any; 0 days when nothing was delivered). A line *can no longer make it*
when even a dispatch the day after as-of plus that transit arrives after its due date: those
come first. Shipments count when dispatched on or before as-of. The owner of a line is its
customer's portfolio manager (the promise) and its site (the dispatch); who acts now is the
owner of the matching OTIF miss reason (late dispatch for a line past its plan, not shipped
for a plan that is too late).
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
    "transit_days",
    "cannot_make_it",
    "why",
)

_SQL = """
WITH fx AS (  -- prices in the reporting currency, as the lines model (metrics.yaml: Money)
  SELECT currency, valid_from, rate,
         lead(valid_from) OVER (PARTITION BY currency ORDER BY valid_from) AS valid_until
  FROM fx_rates
),
order_fx AS (
  SELECT d.currency, d.order_date, fx.rate
  FROM (SELECT DISTINCT currency, order_date FROM orders WHERE currency <> $reporting_currency) d
  JOIN fx ON fx.currency = d.currency AND fx.valid_from <= d.order_date
         AND (fx.valid_until IS NULL OR d.order_date < fx.valid_until)
),
due AS (
  SELECT o.order_id, o.line_id, o.customer_id, o.site, o.sku, o.channel,
         o.planned_ship_date, o.qty_ordered,
         coalesce(CASE WHEN coalesce(o.currency, $reporting_currency) = $reporting_currency
                       THEN o.unit_price ELSE o.unit_price * r.rate END, 0) AS unit_price,
         CASE WHEN $due_basis = 'promised' THEN coalesce(o.promised_date, o.requested_date)
              ELSE o.requested_date END AS due_date
  FROM orders o
  LEFT JOIN order_fx r ON r.currency = o.currency AND r.order_date = o.order_date
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
trips AS (
  SELECT o.site, datediff('day', s.ship_date, s.delivered_date) AS days
  FROM shipments s JOIN orders o ON o.order_id = s.order_id AND o.line_id = s.line_id
  WHERE s.ship_date > $as_of - 91 AND s.ship_date <= $as_of AND s.delivered_date <= $as_of
    AND s.delivered_date >= s.ship_date
),
transit AS (SELECT site, median(days) AS days FROM trips GROUP BY site),
usual AS (SELECT coalesce(median(days), 0) AS days FROM trips),
lines AS (
  SELECT u.*, coalesce(sh.qty_shipped, 0) AS qty_shipped,
         coalesce(t.days, usual.days) AS transit_days,
         c.name AS customer, c.region, c.segment, c.portfolio, c.portfolio_manager
  FROM upcoming u
  CROSS JOIN usual
  LEFT JOIN transit t ON t.site = u.site
  LEFT JOIN ship sh ON sh.order_id = u.order_id AND sh.line_id = u.line_id
  LEFT JOIN customers c ON c.customer_id = u.customer_id
)
SELECT order_id, line_id, customer_id, customer, region, segment, portfolio, portfolio_manager,
       site, sku, channel, due_date, planned_ship_date, qty_ordered, qty_shipped,
       qty_ordered - qty_shipped AS qty_open,
       qty_ordered * unit_price AS value,
       (qty_ordered - qty_shipped) * unit_price AS open_value,
       transit_days,
       $as_of + 1 + ceil(transit_days)::INTEGER > due_date AS cannot_make_it,
       CASE WHEN planned_ship_date < $as_of THEN 'past_plan' ELSE 'plan_too_late' END AS why
FROM lines
WHERE qty_shipped < qty_ordered
  AND (planned_ship_date < $as_of
       OR planned_ship_date + ceil(transit_days)::INTEGER > due_date)
"""

WHY = {
    "past_plan": "Not shipped in full, past its planned ship date",
    "plan_too_late": "Planned ship date + usual transit is after the due date",
}
ACTS = {"past_plan": "late_dispatch", "plan_too_late": "not_shipped"}  # miss reason: who acts


def why_label() -> pl.Expr:
    """The reason a line is at risk, in words, led by "Can no longer make it" when so."""
    text = pl.col("why").replace_strict(WHY, default=None)
    return (
        pl.when(pl.col("cannot_make_it"))
        .then(pl.lit("Can no longer make it: ") + text)
        .otherwise(text)
        .alias("why")
    )


def who_acts(catalog: Catalog, why: str) -> str:
    """The function that acts on a line at risk now: the owner of its matching miss reason."""
    owners = {r.name: r.owner for r in catalog.miss_reasons}
    return owners.get(ACTS.get(why, ""), "")


def horizon_days(catalog: Catalog) -> int:
    return catalog.spec.settings.promise_horizon_days


def promises_at_risk(
    cur: Engine, catalog: Catalog, q: Query, *, days: int | None = None
) -> pl.DataFrame:
    """Open lines due in the ``days`` (default: the setting) days after ``q.as_of`` (default:
    the warehouse's) that cannot make their due date on the current plan, filtered by ``q.filters`` (the asked-for filters
    and the viewer's scope). Lines that can no longer make it first, then soonest due, then biggest value. Columns: see ``COLUMNS``
    (plus region, segment, channel); ``why`` is ``past_plan`` or ``plan_too_late``."""
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
    sql = f"SELECT r.* FROM ({_SQL}) r{where}\nORDER BY cannot_make_it DESC, due_date, value DESC, order_id, line_id"
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
