"""The promise funnel: orders due, lost to each OTIF miss reason, kept; and the reason mix.

A missed order is still *open* while some of its ordered units are not yet delivered
(``miss_open`` in the models): its reason may still change (a split line short shipped
today is a late dispatch once its remainder ships), so every count of a reason comes
with how many of its misses are still open.
"""

from __future__ import annotations

import polars as pl

from metrics.catalog import Catalog
from metrics.engine import Engine
from metrics.query import run_query
from metrics.sqlgen import Query


def _reason_counts(cur: Engine, catalog: Catalog, q: Query) -> pl.DataFrame:
    """Measured orders per (period,) miss reason: orders and open misses (reason null = OTIF)."""
    res = run_query(
        cur, catalog, q.replace(metrics=("measured_orders",), by=("miss_reason", "miss_open"))
    )
    keys = ["period"] if q.grain else []
    return (
        res.frame.with_columns(pl.col("measured_orders").cast(pl.Int64).fill_null(0))
        .group_by([*keys, "miss_reason"])
        .agg(
            pl.col("measured_orders").sum().alias("orders"),
            pl.col("measured_orders")
            .filter(pl.col("miss_open").fill_null(False))
            .sum()
            .alias("open"),
        )
        .rename({"miss_reason": "reason"})
    )


def _reasons_frame(catalog: Catalog) -> pl.DataFrame:
    reasons = catalog.miss_reasons
    return pl.DataFrame(
        {
            "step": [r.label for r in reasons],
            "reason": [r.name for r in reasons],
            "owner": [r.owner for r in reasons],
        }
    )


def promise_funnel(cur: Engine, catalog: Catalog, q: Query) -> pl.DataFrame:
    """Orders due, then each miss reason's orders, then OTIF: a waterfall from 100 %.

    Columns: step, reason (null for the totals), owner (the reason's owning function, null
    for the totals), orders, open (misses still open; 0 for the totals), share (of orders
    due), start and end (the waterfall bar's top and bottom: orders due runs from 1 to 0).
    """
    counts = _reason_counts(cur, catalog, q.replace(grain=None))
    by_reason = {r: (o, k) for r, o, k in counts.select("reason", "orders", "open").iter_rows()}
    due = sum(o for o, _ in by_reason.values())
    kept = by_reason.get(None, (0, 0))[0]
    middle = _reasons_frame(catalog).with_columns(
        orders=pl.col("reason").replace_strict(
            {r: o for r, (o, _) in by_reason.items() if r}, default=0, return_dtype=pl.Int64
        ),
        open=pl.col("reason").replace_strict(
            {r: k for r, (_, k) in by_reason.items() if r}, default=0, return_dtype=pl.Int64
        ),
    )
    totals = {"reason": None, "owner": None, "open": 0}
    frame = pl.concat(
        [
            pl.DataFrame([{"step": "Orders due", **totals, "orders": due}], schema=middle.schema),
            middle,
            pl.DataFrame([{"step": "OTIF", **totals, "orders": kept}], schema=middle.schema),
        ]
    ).select("step", "reason", "owner", "orders", "open")
    share = pl.col("orders") / due if due else pl.lit(None, dtype=pl.Float64)
    frame = frame.with_columns(share=share)
    lost = pl.when(pl.col("reason").is_not_null()).then(pl.col("share")).otherwise(0.0)
    top = 1.0 - lost.cum_sum().shift(1, fill_value=0.0)
    is_due, is_kept = pl.col("step") == "Orders due", pl.col("step") == "OTIF"
    return frame.with_columns(
        start=pl.when(is_kept).then(pl.col("share")).when(is_due).then(1.0).otherwise(top),
        end=pl.when(is_kept | is_due).then(0.0).otherwise(top - lost),
    ).with_columns(pl.col("end").fill_null(0.0), pl.col("start").fill_null(0.0))


def reason_mix(
    cur: Engine, catalog: Catalog, q: Query, *, periods: int | None = None
) -> pl.DataFrame:
    """Missed orders per period and miss reason over ``q``'s periods (``q`` has a grain),
    the last ``periods`` of them when given, so a one-period swing is seen against the usual mix.

    One row per period with orders due and every reason (zeros included), in period then
    the spec's reason order. Columns: period, reason, step (its label), owner, orders,
    open (misses still open), missed (all missed orders of the period), due (orders due),
    share (of the period's missed orders; null without misses).
    """
    if not q.grain:
        raise ValueError("reason_mix needs a query with a grain (periods to compare)")
    counts = _reason_counts(cur, catalog, q)
    per_period = counts.group_by("period").agg(
        due=pl.col("orders").sum(),
        missed=pl.col("orders").filter(pl.col("reason").is_not_null()).sum(),
    )
    if periods is not None:
        per_period = per_period.sort("period").tail(periods)
    grid = per_period.join(_reasons_frame(catalog), how="cross")
    return (
        grid.join(counts, on=["period", "reason"], how="left")
        .with_columns(pl.col("orders", "open").fill_null(0).cast(pl.Int64))
        .with_columns(share=pl.when(pl.col("missed") > 0).then(pl.col("orders") / pl.col("missed")))
        .with_columns(
            pl.col("reason").cast(pl.Enum([r.name for r in catalog.miss_reasons])).alias("_order")
        )
        .sort("period", "_order")
        .select("period", "reason", "step", "owner", "orders", "open", "missed", "due", "share")
    )
