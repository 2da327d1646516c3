"""The query API that the dashboard and the command line share.

``run_query`` answers metrics x dimensions x grain x range x filters x as-of;
``run_details`` adds targets, status, significance and comparisons with the
previous period and the same period last year; ``fetch_rows`` returns the
records behind a value. Every statement goes through ``execute``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from metrics.catalog import Catalog, did_you_mean
from metrics.errors import MetricsError
from metrics.materialize import read_materialized
from metrics.sqlgen import GRAINS, Compiled, Query, compile_query, compile_rows
from metrics.targets import status, target_for

# Polars offsets of one period, and of "same period last year" (weekday-aligned for day/week).
_STEP = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}
_LAST_YEAR = {"day": "52w", "week": "52w", "month": "1y", "quarter": "1y", "year": "1y"}


@dataclass(frozen=True)
class QueryResult:
    query: Query
    as_of: dt.date
    frame: pl.DataFrame  # keys, then per metric: value, <m>__n (and <m>__num/__den for ratios)
    sql: str

    def values(self) -> pl.DataFrame:
        """Keys and one column per metric: the shape of the CLI's output."""
        keys = (["period"] if self.query.grain else []) + list(self.query.by)
        return self.frame.select([*keys, *self.query.metrics])


def execute(cur: duckdb.DuckDBPyConnection, compiled: Compiled) -> pl.DataFrame:
    """The one place a compiled statement runs; the result is read fully before returning."""
    try:
        return cur.sql(compiled.sql, params=compiled.params).pl()
    except duckdb.CatalogException as exc:
        raise MetricsError(f"the warehouse lacks something a metric needs: {str(exc).splitlines()[0]}"
                           " (load the extracts with 'northstar load', or run 'northstar demo')") from exc
    except duckdb.Error as exc:
        raise MetricsError(f"the query failed: {str(exc).splitlines()[0]}") from exc


def default_as_of(cur: duckdb.DuckDBPyConnection) -> dt.date | None:
    """Latest date in the loaded shipments (ship or delivery), contacts and responses."""
    sql = """
        SELECT max(d) FROM (
          SELECT max(ship_date) AS d FROM shipments
          UNION ALL SELECT max(delivered_date) FROM shipments
          UNION ALL SELECT max(CAST(started_at AS DATE)) FROM calls
          UNION ALL SELECT max(CAST(responded_at AS DATE)) FROM surveys)"""
    return execute(cur, Compiled(sql)).item()


def resolve_as_of(cur: duckdb.DuckDBPyConnection, requested: dt.date | None) -> dt.date:
    if requested is not None:
        return requested
    found = default_as_of(cur)
    if found is None:
        raise MetricsError("the warehouse holds no shipments, contacts or responses yet, so there is no"
                           " as-of date: load extracts first, or pass --as-of DATE")
    return found


def validate_query(catalog: Catalog, q: Query) -> None:
    """Every name in the query must come from the catalogue; raise with a helpful message."""
    if not q.metrics:
        raise MetricsError("no metric asked for; name one or more, e.g. --metric otif")
    for name in q.metrics:
        catalog.metric(name)
        offered = catalog.dimensions_of(name)
        for dim in [*q.by, *(d for d, _ in q.where)]:
            if dim not in offered:
                raise MetricsError(f"unknown dimension '{dim}' for metric '{name}'"
                                   f"{did_you_mean(dim, offered)}; it has: {', '.join(offered)}")
    if len(set(q.by)) != len(q.by):
        raise MetricsError("a dimension is named twice in --by")
    if q.grain is not None and q.grain not in GRAINS:
        raise MetricsError(f"unknown grain '{q.grain}'; use one of {', '.join(GRAINS)}")
    if q.date_from and q.date_to and q.date_from > q.date_to:
        raise MetricsError(f"--from {q.date_from} is after --to {q.date_to}")
    for dim, values in q.where:
        if not values:
            raise MetricsError(f"--where {dim}= names no value; write e.g. {dim}=A,B")


def stored_models(cur: duckdb.DuckDBPyConnection, catalog: Catalog, as_of: dt.date) -> frozenset[str]:
    """Models the warehouse holds materialised for this as-of and catalogue."""
    stored = read_materialized(cur)
    return stored.usable(catalog, as_of) if stored else frozenset()


def run_query(cur: duckdb.DuckDBPyConnection, catalog: Catalog, q: Query) -> QueryResult:
    validate_query(catalog, q)
    as_of = resolve_as_of(cur, q.as_of)
    compiled = compile_query(catalog, q, as_of, stored_models(cur, catalog, as_of))
    return QueryResult(q.replace(as_of=as_of), as_of, execute(cur, compiled), compiled.sql)


def fetch_rows(cur: duckdb.DuckDBPyConnection, catalog: Catalog, metric: str, q: Query, *,
               failing: bool = False, limit: int | None = 1000) -> pl.DataFrame:
    """The records behind a metric value (for ratios, those in its denominator)."""
    validate_query(catalog, q.replace(metrics=(metric,)))
    if limit is not None and limit < 0:
        raise MetricsError("--limit must be 0 or more")
    as_of = resolve_as_of(cur, q.as_of)
    stored = stored_models(cur, catalog, as_of)
    return execute(cur, compile_rows(catalog, metric, q, as_of, failing=failing, limit=limit, stored=stored))


def period_end(col: pl.Expr, grain: str) -> pl.Expr:
    return col.dt.offset_by(_STEP[grain]).dt.offset_by("-1d")


def run_details(cur: duckdb.DuckDBPyConnection, catalog: Catalog, q: Query, *,
                compare: bool = True) -> pl.DataFrame:
    """One row per (period, dimensions, metric) with value, n, target, status and comparisons.

    A period that ends after as-of is flagged ``partial`` and not compared.
    """
    validate_query(catalog, q)
    as_of = resolve_as_of(cur, q.as_of)
    q = q.replace(as_of=as_of)
    keys = (["period"] if q.grain else []) + list(q.by)
    if q.grain:
        long = _grain_details(cur, catalog, q, keys, compare)
    else:
        long = _total_details(cur, catalog, q, keys, compare)
    return _annotate(long, catalog, q, keys, _customer_attributes(cur, q, long))


def _long(result: QueryResult, keys: list[str]) -> pl.DataFrame:
    frames = [
        result.frame.select(*keys, pl.lit(m).alias("metric"), pl.col(m).cast(pl.Float64).alias("value"),
                            pl.col(f"{m}__n").cast(pl.Int64).alias("n"))
        for m in result.query.metrics
    ]
    return pl.concat(frames) if frames else pl.DataFrame()


def _grain_details(cur, catalog: Catalog, q: Query, keys: list[str], compare: bool) -> pl.DataFrame:
    wide_from = None
    if q.date_from is not None:
        wide_from = q.date_from - dt.timedelta(days=400) if compare else q.date_from
    long = _long(run_query(cur, catalog, q.replace(date_from=wide_from)), keys)
    if compare:
        for tag, offset in (("prev", _STEP[q.grain]), ("ly", _LAST_YEAR[q.grain])):
            shifted = long.select(*keys, "metric", pl.col("value").alias(f"{tag}_value")).with_columns(
                pl.col("period").dt.offset_by(offset)
            )
            long = long.join(shifted, on=[*keys, "metric"], how="left", nulls_equal=True)
    if q.date_from is not None:
        long = long.filter(pl.col("period") >= pl.lit(_period_start(q.date_from, q.grain)))
    return long.with_columns(partial=period_end(pl.col("period"), q.grain) > pl.lit(q.as_of))


def _period_start(day: dt.date, grain: str) -> dt.date:
    return pl.select(pl.lit(day).dt.truncate(_STEP[grain])).item()


def _total_details(cur, catalog: Catalog, q: Query, keys: list[str], compare: bool) -> pl.DataFrame:
    long = _long(run_query(cur, catalog, q), keys)
    comparable = compare and q.date_from is not None and q.date_to is not None
    for tag in ("prev", "ly"):
        if comparable:
            length = q.date_to - q.date_from + dt.timedelta(days=1)
            shift = length if tag == "prev" else dt.timedelta(days=364)
            other = _long(run_query(cur, catalog, q.replace(date_from=q.date_from - shift,
                                                             date_to=q.date_to - shift)), keys)
            other = other.select(*keys, "metric", pl.col("value").alias(f"{tag}_value"))
            long = long.join(other, on=[*keys, "metric"], how="left", nulls_equal=True)
        else:
            long = long.with_columns(pl.lit(None, dtype=pl.Float64).alias(f"{tag}_value"))
    partial = q.date_to is not None and q.date_to > q.as_of
    return long.with_columns(partial=pl.lit(partial))


_CUSTOMER_ATTRIBUTES = ("region", "segment", "portfolio", "portfolio_manager")


def _customer_attributes(cur, q: Query, long: pl.DataFrame) -> dict[str, dict[str, object]]:
    """Region, segment, portfolio... of the customers a result is about, for per-dimension targets."""
    ids = set(long["customer_id"].drop_nulls().to_list()) if "customer_id" in long.columns else set()
    ids |= {v for d, vals in q.where if d == "customer_id" and len(vals) == 1 for v in vals}
    if not ids:
        return {}
    sql = (f"SELECT customer_id, {', '.join(_CUSTOMER_ATTRIBUTES)} FROM customers "
           f"WHERE customer_id IN (SELECT unnest($ids::VARCHAR[]))")
    rows = execute(cur, Compiled(sql, {"ids": sorted(ids)}))
    return {r["customer_id"]: r for r in rows.iter_rows(named=True)}


def _annotate(long: pl.DataFrame, catalog: Catalog, q: Query, keys: list[str],
              customers: dict[str, dict[str, object]]) -> pl.DataFrame:
    if long.is_empty():
        return long
    for tag in ("prev", "ly"):
        if f"{tag}_value" not in long.columns:
            long = long.with_columns(pl.lit(None, dtype=pl.Float64).alias(f"{tag}_value"))
        compared = pl.when(~pl.col("partial")).then(pl.col("value") - pl.col(f"{tag}_value"))
        long = long.with_columns(compared.alias(f"delta_{tag}")).with_columns(
            (pl.col(f"delta_{tag}") / pl.col(f"{tag}_value").abs().replace(0, None)).alias(f"rel_{tag}")
        )
    fixed = {d: vals[0] for d, vals in q.where if len(vals) == 1}
    targets, statuses, significant = [], [], []
    for row in long.iter_rows(named=True):
        m = catalog.metric(row["metric"])
        on = row.get("period") or q.date_to or q.as_of
        dims = {**fixed, **{k: row[k] for k in keys if k != "period"}}
        dims = {**customers.get(dims.get("customer_id"), {}), **dims}
        target = target_for(m, on=on, dims=dims)
        targets.append(target)
        statuses.append(status(m, row["value"], target))
        significant.append(row["n"] is not None and row["n"] >= m.min_sample)
    return long.with_columns(
        pl.Series("target", targets, dtype=pl.Float64),
        pl.Series("status", statuses, dtype=pl.String),
        pl.Series("significant", significant, dtype=pl.Boolean),
    )
