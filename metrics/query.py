"""The query API that the dashboard and the command line share.

``run_query`` answers metrics x dimensions x grain x range x filters x as-of;
``run_details`` adds targets, status, significance and comparisons with the
previous period and the same period last year; ``fetch_rows`` returns the
records behind a value. Every statement goes through ``execute``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from metrics.as_of import default_as_of, resolve_as_of  # noqa: F401 (re-exported)
from metrics.catalog import Catalog, did_you_mean
from metrics.engine import Compiled, Engine, execute
from metrics.errors import MetricsError
from metrics.materialize import read_materialized
from metrics.moved_models import moved_models
from metrics.periods import last_complete_period, period_start, same_period_years, shift_period
from metrics.spec import DerivedMetric
from metrics.sqlgen import GRAINS, TAG, Query, Stored, compile_query, compile_rows
from metrics.targets import (
    DerivedTarget,
    TargetPart,
    rule_dimensions,
    status,
    target_for,
    target_rule,
    weighted_target,
)

# Rows that carry no value for a dimension form their own group (SQL groups nulls together), so
# the parts of a split add up to its total. Machine output keeps the null; people read a label.
CUSTOMER_DIMS = ("region", "segment", "portfolio", "portfolio_manager", "customer_id")
NO_VALUE_LABEL = "(none)"
NO_CUSTOMER_LABEL = "(no customer)"
NO_AGENT_LABEL = "(no agent)"


def no_value_label(dim: str) -> str:
    """How to show the group of rows without a value for ``dim``: contacts without a customer
    have no region or portfolio either, abandoned calls no agent."""
    if dim in CUSTOMER_DIMS:
        return NO_CUSTOMER_LABEL
    return NO_AGENT_LABEL if dim == "agent_id" else NO_VALUE_LABEL


def label_missing(frame: pl.DataFrame, dims: Iterable[str]) -> pl.DataFrame:
    """``frame`` with the empty values of these dimension columns shown as their label."""
    present = [d for d in dims if d in frame.columns]
    return frame.with_columns(
        pl.col(d).cast(pl.String).fill_null(no_value_label(d)) for d in present
    )


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

    def for_people(self) -> pl.DataFrame:
        """``values()`` with the group of rows without a dimension value labelled, e.g. '(no customer)'."""
        return label_missing(self.values(), self.query.by)


def validate_query(catalog: Catalog, q: Query) -> None:
    """Every name in the query must come from the catalogue; raise with a helpful message."""
    if not q.metrics:
        raise MetricsError("no metric asked for; name one or more, e.g. --metric otif")
    for name in q.metrics:
        catalog.metric(name)
        offered = catalog.dimensions_of(name)
        for dim in [*q.by, *(d for d, _ in q.where)]:
            if dim not in offered:
                raise MetricsError(
                    f"unknown dimension '{dim}' for metric '{name}'"
                    f"{did_you_mean(dim, offered)}; it has: {', '.join(offered)}"
                )
    if len(set(q.by)) != len(q.by):
        raise MetricsError("a dimension is named twice in --by")
    if q.grain is not None and q.grain not in GRAINS:
        raise MetricsError(f"unknown grain '{q.grain}'; use one of {', '.join(GRAINS)}")
    if q.date_from and q.date_to and q.date_from > q.date_to:
        raise MetricsError(f"--from {q.date_from} is after --to {q.date_to}")
    for dim, values in q.where:
        if not values:
            raise MetricsError(f"--where {dim}= names no value; write e.g. {dim}=A,B")


def stored_models(cur: Engine, catalog: Catalog, as_of: dt.date) -> frozenset[str]:
    """Models the warehouse holds materialised for this as-of and catalogue."""
    stored = read_materialized(cur)
    return stored.usable(catalog, as_of) if stored else frozenset()


def model_sources(cur: Engine, catalog: Catalog, as_of: dt.date, wanted: list[str]) -> Stored:
    """Where the ``wanted`` models are read from at ``as_of``: the stored tables built for it,
    else the stored models moved to it (metrics/moved_models.py), else nowhere (computed live)."""
    stored = read_materialized(cur)
    if stored is None:
        return frozenset()
    return stored.usable(catalog, as_of) or moved_models(cur, catalog, stored, as_of, wanted)


def _models_of(catalog: Catalog, metrics: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(m for name in metrics for m in catalog.models_of(name)))


def run_query(cur: Engine, catalog: Catalog, q: Query) -> QueryResult:
    validate_query(catalog, q)
    as_of = resolve_as_of(cur, q.as_of)
    stored = model_sources(cur, catalog, as_of, _models_of(catalog, q.metrics))
    compiled = compile_query(catalog, q, as_of, stored)
    return QueryResult(q.replace(as_of=as_of), as_of, execute(cur, compiled), compiled.sql)


def fetch_rows(
    cur: Engine,
    catalog: Catalog,
    metric: str,
    q: Query,
    *,
    failing: bool = False,
    limit: int | None = 1000,
) -> pl.DataFrame:
    """The records behind a metric value (for ratios, those in its denominator)."""
    validate_query(catalog, q.replace(metrics=(metric,)))
    if limit is not None and limit < 0:
        raise MetricsError("--limit must be 0 or more")
    as_of = resolve_as_of(cur, q.as_of)
    stored = model_sources(cur, catalog, as_of, catalog.models_of(metric))
    return execute(
        cur, compile_rows(catalog, metric, q, as_of, failing=failing, limit=limit, stored=stored)
    )


def fetch_rows_each(
    cur: Engine,
    catalog: Catalog,
    metric: str,
    queries: Sequence[Query],
    *,
    failing: bool = False,
    limit: int | None = 1000,
) -> list[pl.DataFrame]:
    """``fetch_rows`` for each query, equal to it, in one statement per batch: queries that
    differ only in one filter of a single value (one customer each, say) are read together
    and split by that value."""
    if limit is not None and limit < 0:
        raise MetricsError("--limit must be 0 or more")
    batches: dict[tuple[Query, str], list[int]] = {}
    for i, q in enumerate(queries):
        validate_query(catalog, q.replace(metrics=(metric,)))
        if len(q.where) == 1 and len(q.where[0][1]) == 1:  # one filter, one value
            batches.setdefault((q.replace(where=()), q.where[0][0]), []).append(i)
        else:
            batches[(q, "")] = [i]
    out: list[pl.DataFrame | None] = [None] * len(queries)
    for (base, dim), members in batches.items():
        if dim and len(members) > 1:
            _fetch_batch(
                cur,
                catalog,
                metric,
                base,
                dim,
                [(i, queries[i]) for i in members],
                failing,
                limit,
                out,
            )
        for i in members:
            if out[i] is None:  # not batched
                out[i] = fetch_rows(cur, catalog, metric, queries[i], failing=failing, limit=limit)
    return [frame for frame in out if frame is not None]


def _fetch_batch(
    cur: Engine,
    catalog: Catalog,
    metric: str,
    base: Query,
    dim: str,
    members: list[tuple[int, Query]],
    failing: bool,
    limit: int | None,
    out: list[pl.DataFrame | None],
) -> None:
    """Fill ``out`` for queries that differ only in ``dim``'s one value, from one statement;
    leave them unfilled when that dimension is not text (its values then compare otherwise)."""
    values = tuple(dict.fromkeys(q.where[0][1][0] for _, q in members))
    q = base.replace(where=((dim, values),))
    as_of = resolve_as_of(cur, q.as_of)
    stored = model_sources(cur, catalog, as_of, catalog.models_of(metric))
    compiled = compile_rows(
        catalog, metric, q, as_of, failing=failing, limit=limit, stored=stored, tag=dim
    )
    rows = execute(cur, compiled)
    if rows.schema[TAG] != pl.String:
        return
    for i, member in members:
        out[i] = rows.filter(pl.col(TAG) == member.where[0][1][0]).drop(TAG, f"{TAG}_n")


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
        statuses.append(status(m, row["value"], target.value))
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
