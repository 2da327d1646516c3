"""Analyses behind the weekly review, built on the query API.

Pure functions: a cursor and the catalogue in, Polars frames or frozen
results out. No Streamlit. Every statement uses bound parameters.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

from metrics.catalog import Catalog
from metrics.query import execute, run_query, stored_models
from metrics.sqlgen import Compiled, Query, model_ctes, settings_params, used_params

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
_MONTHS = {"month": 1, "quarter": 3, "year": 12}  # period lengths in months


# ---- periods -------------------------------------------------------------------


def period_start(day: dt.date, grain: str) -> dt.date:
    """The first day of the period holding ``day`` (weeks start on Monday)."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    months = _MONTHS.get(grain)
    if months is None:
        raise ValueError(f"unknown grain: {grain}")
    return dt.date(day.year, (day.month - 1) // months * months + 1, 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, its day clamped to the month's end (as Polars offsets do)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _offset(day: dt.date, grain: str, n: int) -> dt.date:
    if grain == "day":
        return day + dt.timedelta(days=n)
    if grain == "week":
        return day + dt.timedelta(weeks=n)
    if grain not in _MONTHS:
        raise ValueError(f"unknown grain: {grain}")
    return _add_months(day, n * _MONTHS[grain])


def period_end(start: dt.date, grain: str) -> dt.date:
    return _offset(start, grain, 1) - dt.timedelta(days=1)


def shift_period(start: dt.date, grain: str, n: int) -> dt.date:
    """The start of the period ``n`` periods after (negative: before) ``start``."""
    return _offset(start, grain, n)


def last_complete_period(as_of: dt.date, grain: str) -> dt.date:
    """Start of the latest period that ends on or before as-of."""
    start = period_start(as_of, grain)
    return start if period_end(start, grain) <= as_of else shift_period(start, grain, -1)


def recent_periods(as_of: dt.date, grain: str, count: int) -> list[dt.date]:
    """Starts of the ``count`` latest periods up to the one holding as-of, newest first."""
    first = period_start(as_of, grain)
    return [shift_period(first, grain, -i) for i in range(count)]


# ---- signal or noise (XmR process behaviour chart) -------------------------------


@dataclass(frozen=True)
class Signal:
    verdict: str  # "signal" | "noise" | "too_short"
    rule: str  # which rule fired, in words
    centre: float | None = None
    lower: float | None = None
    upper: float | None = None


def xmr_signal(history: Sequence[float], latest: float, *, run_length: int = 8) -> Signal:
    """Is ``latest`` a real change against ``history``? Wheeler's XmR rules.

    Limits are the history's mean +/- 2.66 x its average moving range. A signal
    is a point outside the limits, or the latest ``run_length`` points (history
    + latest) all on one side of the centre line.
    """
    points = [float(v) for v in history if v is not None]
    if len(points) < 6:
        return Signal("too_short", f"needs 6 earlier periods, has {len(points)}")
    centre = sum(points) / len(points)
    mr = sum(abs(a - b) for a, b in zip(points[1:], points[:-1])) / (len(points) - 1)
    lower, upper = centre - 2.66 * mr, centre + 2.66 * mr
    limits = {"centre": centre, "lower": lower, "upper": upper}
    if latest > upper or latest < lower:
        side = "above" if latest > upper else "below"
        return Signal("signal", f"outside the natural limits ({side})", **limits)
    run = (points + [latest])[-run_length:]
    if len(run) == run_length and (all(v > centre for v in run) or all(v < centre for v in run)):
        side = "above" if latest > centre else "below"
        return Signal("signal", f"{run_length} periods in a row {side} the average", **limits)
    return Signal("noise", "within the natural limits", **limits)


# ---- the promise funnel ------------------------------------------------------------


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


# ---- where the promise broke ------------------------------------------------------

_NULL_LABEL = {"carrier": "(not shipped)", "site": "(no site)"}  # what an empty value means


def miss_contributors(
    cur: duckdb.DuckDBPyConnection, catalog: Catalog, q: Query, dims: Sequence[str], *, top: int = 6
) -> dict[str, pl.DataFrame]:
    """Missed lines by each dimension's values, biggest first (one statement for all dimensions).

    Per dimension, columns: value, lines, missed, otif (line OTIF), share (of
    all missed lines) and excess: misses beyond what the value's volume alone explains.
    Counts are additive, so each dimension's rows are summed from the joint grouping.
    """
    res = run_query(cur, catalog, q.replace(metrics=("otif_line",), by=tuple(dims), grain=None))
    parts = res.frame.select(
        *dims,
        pl.col("otif_line__den").cast(pl.Int64).alias("lines"),
        pl.col("otif_line__num").cast(pl.Int64).alias("kept"),
    )
    return {dim: _contributors(parts, dim, top) for dim in dims}


def _contributors(parts: pl.DataFrame, dim: str, top: int) -> pl.DataFrame:
    frame = (
        parts.group_by(
            pl.col(dim).cast(pl.String).fill_null(_NULL_LABEL.get(dim, "(none)")).alias("value")
        )
        .agg(pl.col("lines").sum(), pl.col("kept").sum())
        .select(
            "value",
            "lines",
            (pl.col("lines") - pl.col("kept")).alias("missed"),
            (pl.col("kept") / pl.col("lines")).alias("otif"),
        )
    )
    total_missed, total_lines = frame["missed"].sum(), frame["lines"].sum()
    if not total_missed:
        return frame.with_columns(share=pl.lit(0.0), excess=pl.lit(0.0)).head(0)
    rate = total_missed / total_lines
    return (
        frame.with_columns(
            share=pl.col("missed") / total_missed, excess=pl.col("missed") - pl.col("lines") * rate
        )
        .sort(["missed", "value"], descending=[True, False])
        .head(top)
    )


# ---- the customer cost of a broken promise -----------------------------------------


def satisfaction_by_otif(
    cur: duckdb.DuckDBPyConnection, catalog: Catalog, q: Query, as_of: dt.date
) -> pl.DataFrame:
    """CSAT and NPS of responses about OTIF orders against those about missed orders.

    Responses dated in ``q``'s range, joined to their measured order; ``q``'s
    filters apply to the response's customer. Columns: otif, responses,
    csat (share 4-5), csat_n, nps (-100..100), nps_n.
    """
    params = settings_params(catalog, as_of)
    conds = []
    if q.date_from:
        params["date_from"] = q.date_from
        conds.append("r.response_date >= $date_from")
    if q.date_to:
        params["date_to"] = q.date_to
        conds.append("r.response_date <= $date_to")
    for i, (dim, values) in enumerate(q.where):
        if dim not in catalog.models["responses"].spec.dimensions:
            continue
        names = [f"$w{i}_{j}" for j in range(len(values))]
        params.update({n[1:]: v for n, v in zip(names, values)})
        conds.append(f"r.{dim} IN ({', '.join(names)})")
    where = f"WHERE {' AND '.join(conds)}" if conds else ""
    sql = f"""{model_ctes(catalog, ["responses", "customer_orders"], stored_models(cur, catalog, as_of))}
SELECT o.otif, count(*) AS responses,
       avg(CASE WHEN r.csat >= 4 THEN 1.0 ELSE 0.0 END) FILTER (WHERE r.csat IS NOT NULL) AS csat,
       count(r.csat) AS csat_n,
       100 * avg(CASE WHEN r.nps >= 9 THEN 1.0 WHEN r.nps <= 6 THEN -1.0 ELSE 0.0 END)
         FILTER (WHERE r.nps IS NOT NULL) AS nps,
       count(r.nps) AS nps_n
FROM responses r JOIN customer_orders o USING (order_id)
{where}
GROUP BY o.otif ORDER BY o.otif DESC"""
    return execute(cur, Compiled(sql, used_params(sql, params)))


# ---- filters, freshness and the load log -------------------------------------------


def customer_dimension_values(cur: duckdb.DuckDBPyConnection, dim: str) -> list[str]:
    """Distinct values of a customers column (region, segment, portfolio ...), sorted."""
    if dim not in {"region", "segment", "portfolio", "portfolio_manager"}:
        raise ValueError(f"not a customer dimension: {dim}")
    frame = execute(
        cur,
        Compiled(f"SELECT DISTINCT {dim} AS v FROM customers WHERE {dim} IS NOT NULL ORDER BY 1"),
    )
    return frame["v"].to_list()


_LATEST = {  # the newest business date each extract holds
    "orders": "max(order_date)",
    "shipments": "max(greatest(ship_date, coalesce(delivered_date, ship_date)))",
    "calls": "max(CAST(started_at AS DATE))",
    "surveys": "max(CAST(responded_at AS DATE))",
}


def _tables(cur: duckdb.DuckDBPyConnection) -> set[str]:
    return set(
        execute(cur, Compiled("SELECT table_name FROM information_schema.tables"))["table_name"]
    )


def freshness(
    cur: duckdb.DuckDBPyConnection, as_of: dt.date | None, *, stale_days: int = 7
) -> pl.DataFrame:
    """Per extract: rows, newest date, days behind as-of, stale flag and when it was last loaded."""
    present = _tables(cur)
    parts = [
        f"SELECT '{t}' AS extract, count(*) AS rows, {expr} AS latest FROM {t}"
        for t, expr in _LATEST.items()
        if t in present
    ]
    if not parts:
        return pl.DataFrame(
            schema={
                "extract": pl.String,
                "rows": pl.Int64,
                "latest": pl.Date,
                "days_behind": pl.Int64,
                "stale": pl.Boolean,
                "last_loaded": pl.Datetime,
            }
        )
    frame = execute(cur, Compiled(" UNION ALL ".join(parts)))
    behind = (pl.lit(as_of) - pl.col("latest")).dt.total_days() if as_of else pl.lit(None, pl.Int64)
    frame = frame.with_columns(days_behind=behind).with_columns(
        stale=pl.col("latest").is_null() | (pl.col("days_behind") > stale_days)
    )
    loads = load_log(cur)
    if loads.is_empty():
        return frame.with_columns(last_loaded=pl.lit(None, dtype=pl.Datetime))
    last = loads.group_by("table").agg(pl.col("loaded_at").max().alias("last_loaded"))
    return frame.join(last, left_on="extract", right_on="table", how="left")


def load_log(cur: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every file load: rows read, loaded and rejected, newest first (empty if never loaded)."""
    if "loads" not in _tables(cur):
        return pl.DataFrame(
            schema={
                "file": pl.String,
                "table": pl.String,
                "rows_read": pl.Int64,
                "rows_loaded": pl.Int64,
                "rows_rejected": pl.Int64,
                "loaded_at": pl.Datetime,
                "file_mtime": pl.Datetime,
            }
        )
    return execute(
        cur,
        Compiled(
            'SELECT file, "table", rows_read, rows_loaded, rows_rejected, loaded_at, file_mtime'
            " FROM loads ORDER BY loaded_at DESC, file"
        ),
    )


def reject_reasons(cur: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Rejected rows counted by file, table, rule and column."""
    if "rejects" not in _tables(cur):
        return pl.DataFrame(
            schema={
                "file": pl.String,
                "table": pl.String,
                "rule": pl.String,
                "column": pl.String,
                "rows": pl.Int64,
                "example": pl.String,
            }
        )
    return execute(
        cur,
        Compiled(
            'SELECT file, "table", rule, "column", count(*) AS rows, any_value(message) AS example'
            " FROM rejects GROUP BY ALL ORDER BY rows DESC, file, rule"
        ),
    )


def rejected_rows(cur: duckdb.DuckDBPyConnection, *, limit: int = 500) -> pl.DataFrame:
    if "rejects" not in _tables(cur):
        return pl.DataFrame()
    return execute(
        cur,
        Compiled(
            'SELECT file, "row", "table", rule, "column", value, message, raw FROM rejects'
            ' ORDER BY file, "row" LIMIT $limit',
            {"limit": limit},
        ),
    )


# ---- department KPIs against their customer-centric counterparts -------------------


def pair_metrics(catalog: Catalog) -> tuple[str, ...]:
    """Every metric that appears in a pair, once, departments first."""
    names = [p.department for p in catalog.pairs] + [p.customer for p in catalog.pairs]
    return tuple(dict.fromkeys(names))


def pair_rows(details: pl.DataFrame, catalog: Catalog, keys: Sequence[str] = ()) -> pl.DataFrame:
    """One row per pair (and dimension value): both sides' value, target and status.

    ``conflict`` marks the department green while the customer is red; those
    rows come first, then pairs in catalogue order.
    """
    keys = list(keys)
    side = details.select(*keys, "metric", "value", "target", "status", "n")
    frames = []
    for i, p in enumerate(catalog.pairs):
        dept = side.filter(pl.col("metric") == p.department).drop("metric")
        cust = side.filter(pl.col("metric") == p.customer).drop("metric")
        joined = (
            dept.rename({c: f"dept_{c}" for c in dept.columns if c not in keys}).join(
                cust.rename({c: f"cust_{c}" for c in cust.columns if c not in keys}),
                on=keys,
                how="full",
                coalesce=True,
                nulls_equal=True,
            )
            if keys
            else pl.concat(
                [dept.rename(lambda c: f"dept_{c}"), cust.rename(lambda c: f"cust_{c}")],
                how="horizontal",
            )
            if dept.height and cust.height
            else pl.DataFrame()
        )
        if joined.is_empty():
            continue
        frames.append(
            joined.with_columns(
                pair=pl.lit(i),
                department=pl.lit(p.department),
                customer=pl.lit(p.customer),
                reveals=pl.lit(p.reveals),
            )
        )
    if not frames:
        return pl.DataFrame()
    out = pl.concat(frames, how="diagonal_relaxed")
    conflict = (pl.col("dept_status") == "green") & (pl.col("cust_status") == "red")
    return out.with_columns(conflict=conflict.fill_null(False)).sort(
        [pl.col("conflict").any().over("pair"), "pair", "conflict"], descending=[True, False, True]
    )


def attainment(details: pl.DataFrame, catalog: Catalog) -> pl.DataFrame:
    """Each value as a share of its target (target / value for lower-is-better), to compare units."""
    down = [
        n for n in details["metric"].unique().to_list() if catalog.metric(n).direction == "down"
    ]
    ratio = (
        pl.when(pl.col("metric").is_in(down))
        .then(pl.col("target") / pl.col("value"))
        .otherwise(pl.col("value") / pl.col("target"))
    )
    labels = {n: catalog.metric(n).label for n in details["metric"].unique().to_list()}
    return details.with_columns(attainment=ratio, label=pl.col("metric").replace_strict(labels))


def conflicts_first(totals: pl.DataFrame, detail: pl.DataFrame | None) -> pl.DataFrame:
    """Order pair totals so pairs with any conflict (in ``detail`` when split) come first."""
    source = detail if detail is not None and not detail.is_empty() else totals
    flagged = set(source.filter(pl.col("conflict"))["pair"].to_list())
    return totals.with_columns(flagged=pl.col("pair").is_in(list(flagged))).sort(
        ["flagged", "pair"], descending=[True, False]
    )
