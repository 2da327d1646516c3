"""Metric details: each value with its target, status, significance and comparisons with the
previous period and the same period last year (``run_details``)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.as_of import resolve_as_of
from metrics.catalog import Catalog
from metrics.engine import Compiled, Engine, execute
from metrics.periods import last_complete_period, period_start, same_period_years, shift_period
from metrics.query import CUSTOMER_DIMS, QueryResult, run_query, validate_query
from metrics.spec import DerivedMetric
from metrics.sqlgen import Query
from metrics.targets import (
    DerivedTarget,
    TargetPart,
    rule_dimensions,
    status,
    target_for,
    target_rule,
    weighted_target,
)


def run_details(cur: Engine, catalog: Catalog, q: Query, *, compare: bool = True) -> pl.DataFrame:
    """One row per (period, dimensions, metric) with value, n, target, status and comparisons.

    A period that ends after as-of is flagged ``partial`` and not compared. ``target`` is the
    target of the row's population, derived from its customers' targets (see metrics.targets);
    ``target_note`` says how, e.g. '95% for 122 measured orders (segment key account)'.
    """
    validate_query(catalog, q)
    as_of = resolve_as_of(cur, q.as_of)
    q = q.replace(as_of=as_of)
    keys = (["period"] if q.grain else []) + list(q.by)
    if q.grain:
        long = _grain_details(cur, catalog, q, keys, compare)
    else:
        long = _total_details(cur, catalog, q, keys, compare)
    if long.is_empty():  # nothing measured: the same columns, no rows
        return _annotate(long, catalog, q, keys, {}, {})
    splits = _target_splits(cur, catalog, q, keys)
    return _annotate(long, catalog, q, keys, _customer_attributes(cur, q, long), splits)


def _long(result: QueryResult, keys: list[str]) -> pl.DataFrame:
    frames = [
        result.frame.select(
            *keys,
            pl.lit(m).alias("metric"),
            pl.col(m).cast(pl.Float64).alias("value"),
            pl.col(f"{m}__n").cast(pl.Int64).alias("n"),
        )
        for m in result.query.metrics
    ]
    return pl.concat(frames) if frames else pl.DataFrame()


def _grain_details(cur, catalog: Catalog, q: Query, keys: list[str], compare: bool) -> pl.DataFrame:
    wide_from = None
    if q.date_from is not None:
        wide_from = q.date_from - dt.timedelta(days=400) if compare else q.date_from
    long = _long(run_query(cur, catalog, q.replace(date_from=wide_from)), keys)
    if compare:
        starts = long["period"].drop_nulls().unique().to_list()
        for tag, shift in (("prev", shift_period), ("ly", same_period_years)):
            later = {p: shift(p, q.grain, 1) for p in starts}  # each value compares with the next
            shifted = long.select(
                *keys, "metric", pl.col("value").alias(f"{tag}_value")
            ).with_columns(pl.col("period").replace(later))
            long = long.join(shifted, on=[*keys, "metric"], how="left", nulls_equal=True)
    if q.date_from is not None:
        long = long.filter(pl.col("period") >= pl.lit(period_start(q.date_from, q.grain)))
    last_whole = last_complete_period(q.as_of, q.grain)
    return long.with_columns(partial=pl.col("period") > pl.lit(last_whole))


def _total_details(cur, catalog: Catalog, q: Query, keys: list[str], compare: bool) -> pl.DataFrame:
    long = _long(run_query(cur, catalog, q), keys)
    comparable = compare and q.date_from is not None and q.date_to is not None
    for tag in ("prev", "ly"):
        if comparable:
            length = q.date_to - q.date_from + dt.timedelta(days=1)
            shift = length if tag == "prev" else dt.timedelta(days=364)
            other = _long(
                run_query(
                    cur,
                    catalog,
                    q.replace(date_from=q.date_from - shift, date_to=q.date_to - shift),
                ),
                keys,
            )
            other = other.select(*keys, "metric", pl.col("value").alias(f"{tag}_value"))
            long = long.join(other, on=[*keys, "metric"], how="left", nulls_equal=True)
        else:
            long = long.with_columns(pl.lit(None, dtype=pl.Float64).alias(f"{tag}_value"))
    partial = q.date_to is not None and q.date_to > q.as_of
    return long.with_columns(partial=pl.lit(partial))


_CUSTOMER_ATTRIBUTES = tuple(d for d in CUSTOMER_DIMS if d != "customer_id")


def _customer_attributes(cur, q: Query, long: pl.DataFrame) -> dict[str, dict[str, object]]:
    """Region, segment, portfolio... of the customers a result is about, for per-dimension targets."""
    ids = (
        set(long["customer_id"].drop_nulls().to_list()) if "customer_id" in long.columns else set()
    )
    ids |= {v for d, vals in q.where if d == "customer_id" and len(vals) == 1 for v in vals}
    if not ids:
        return {}
    sql = (
        f"SELECT customer_id, {', '.join(_CUSTOMER_ATTRIBUTES)} FROM customers "
        f"WHERE customer_id IN (SELECT unnest($ids::VARCHAR[]))"
    )
    rows = execute(cur, Compiled(sql, {"ids": sorted(ids)}))
    return {r["customer_id"]: r for r in rows.iter_rows(named=True)}


Split = dict[tuple, list[tuple[dict[str, object], int]]]  # key -> (rule dimension values, n)


def _target_splits(cur, catalog: Catalog, q: Query, keys: list[str]) -> dict[str, Split]:
    """Per metric whose target differs by dimensions the result is not split by (e.g. segment):
    the sample size of each of those dimensions' values within each result row."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for name in q.metrics:
        offered = catalog.dimensions_of(name)
        rules = rule_dimensions(catalog.metric(name))
        extra = tuple(d for d in rules if d in offered and d not in q.by)
        if extra:
            groups.setdefault(extra, []).append(name)
    # the same groups the values were computed over (a grain's first period whole)
    base = q.replace(date_from=period_start(q.date_from, q.grain)) if q.grain and q.date_from else q
    splits: dict[str, Split] = {}
    for extra, names in groups.items():
        frame = run_query(cur, catalog, base.replace(metrics=tuple(names), by=q.by + extra)).frame
        for name in names:
            split: Split = {}
            for row in frame.select(*keys, *extra, f"{name}__n").iter_rows():
                key, values, n = row[: len(keys)], row[len(keys) : -1], row[-1]
                split.setdefault(key, []).append((dict(zip(extra, values)), n or 0))
            splits[name] = split
    return splits


def _row_target(
    m,
    split: Split | None,
    row: dict,
    keys: list[str],
    dims: dict[str, object],
    on: dt.date,
    customer: dict[str, object],
) -> DerivedTarget:
    """The target of one result row's population, weighted over the customers' own targets."""
    if m.target is None:
        return DerivedTarget(None, ())
    subs = [({}, row["n"] or 0)] if split is None else split.get(tuple(row[k] for k in keys), [])
    parts = []
    for sub, n in subs:
        value, rule = target_rule(m, on=on, dims={**dims, **sub})
        parts.append(TargetPart(value, n, rule))
    derived = weighted_target(parts)
    if derived.value is None:  # nothing measured to weigh: the row's own dimensions decide
        derived = DerivedTarget(target_for(m, on=on, dims={**customer, **dims}), ())
    return derived


def _annotate(
    long: pl.DataFrame,
    catalog: Catalog,
    q: Query,
    keys: list[str],
    customers: dict[str, dict[str, object]],
    splits: dict[str, Split],
) -> pl.DataFrame:
    for tag in ("prev", "ly"):
        if f"{tag}_value" not in long.columns:
            long = long.with_columns(pl.lit(None, dtype=pl.Float64).alias(f"{tag}_value"))
        compared = pl.when(~pl.col("partial")).then(pl.col("value") - pl.col(f"{tag}_value"))
        long = long.with_columns(compared.alias(f"delta_{tag}")).with_columns(
            (pl.col(f"delta_{tag}") / pl.col(f"{tag}_value").abs().replace(0, None)).alias(
                f"rel_{tag}"
            )
        )
    fixed = {d: vals[0] for d, vals in q.where if len(vals) == 1}
    targets, notes, statuses, significant = [], [], [], []
    for row in long.iter_rows(named=True):
        name = row["metric"]
        m = catalog.metric(name)
        on = row.get("period") or q.date_to or q.as_of
        dims = {**fixed, **{k: row[k] for k in keys if k != "period"}}
        customer = customers.get(dims.get("customer_id"), {})
        target = _row_target(m, splits.get(name), row, keys, dims, on, customer)
        targets.append(target.value)
        notes.append(target.describe(m.format, _noun(catalog, name)))
        statuses.append(status(m, row["value"], target.value, n=row["n"]))
        significant.append(row["n"] is not None and row["n"] >= m.min_sample)
    return long.with_columns(
        pl.Series("target", targets, dtype=pl.Float64),
        pl.Series("target_note", notes, dtype=pl.String),
        pl.Series("status", statuses, dtype=pl.String),
        pl.Series("significant", significant, dtype=pl.Boolean),
    )


def _noun(catalog: Catalog, name: str) -> str | None:
    """What a metric's n counts, e.g. 'measured orders' (its model's label); None for a derived
    metric, whose n is the smallest of its parts' counts."""
    m = catalog.metric(name)
    return None if isinstance(m, DerivedMetric) else catalog.models[m.model].spec.label.lower()
