"""The promise funnel: orders due, lost to each OTIF miss reason, kept."""

from __future__ import annotations

import duckdb
import polars as pl

from metrics.catalog import Catalog
from metrics.query import run_query
from metrics.sqlgen import Query

# The spec's OTIF miss reasons, first match wins, in this order.
MISS_REASONS: tuple[str, ...] = (
    "not_shipped",
    "short_shipped",
    "promised_late",
    "late_dispatch",
    "in_transit",
    "late_transit",
)
MISS_LABELS = {
    "not_shipped": "Not shipped",
    "short_shipped": "Short shipped",
    "promised_late": "Promised late",
    "late_dispatch": "Late dispatch",
    "in_transit": "Still in transit",
    "late_transit": "Late in transit",
}


def promise_funnel(cur: duckdb.DuckDBPyConnection, catalog: Catalog, q: Query) -> pl.DataFrame:
    """Orders due, then each miss reason's orders, then OTIF: a waterfall from 100 %.

    Columns: step, reason (null for the totals), orders, share (of orders due),
    start and end (cumulative shares for the waterfall bars).
    """
    res = run_query(
        cur, catalog, q.replace(metrics=("measured_orders",), by=("miss_reason",), grain=None)
    )
    counts = dict(res.frame.select("miss_reason", "measured_orders").iter_rows())
    due = sum(int(v or 0) for v in counts.values())
    rows = [("Orders due", None, due)]
    rows += [(MISS_LABELS[r], r, int(counts.get(r) or 0)) for r in MISS_REASONS]
    rows.append(("OTIF", None, int(counts.get(None) or 0)))
    frame = pl.DataFrame(
        rows, schema={"step": pl.String, "reason": pl.String, "orders": pl.Int64}, orient="row"
    )
    share = pl.col("orders") / due if due else pl.lit(None, dtype=pl.Float64)
    frame = frame.with_columns(share=share)
    lost = pl.when(pl.col("reason").is_not_null()).then(pl.col("share")).otherwise(0.0)
    top = 1.0 - lost.cum_sum().shift(1, fill_value=0.0)
    return frame.with_columns(
        end=pl.when(pl.col("step") == "OTIF").then(0.0).otherwise(top - lost),
        start=pl.when(pl.col("step") == "OTIF").then(pl.col("share")).otherwise(top),
    ).with_columns(pl.col("end").fill_null(0.0), pl.col("start").fill_null(0.0))
