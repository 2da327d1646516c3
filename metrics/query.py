"""The query API that the dashboard and the command line share.

``run_query`` answers metrics x dimensions x grain x range x filters x as-of
(``metrics.details`` adds targets, status and comparisons); ``fetch_rows``
returns the records behind a value. Every statement goes through ``execute``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from metrics.as_of import default_as_of, resolve_as_of  # noqa: F401 (re-exported)
from metrics.catalog import Catalog, did_you_mean
from metrics.engine import Engine, execute
from metrics.errors import MetricsError
from metrics.materialize import read_materialized
from metrics.moved_models import moved_models
from metrics.sqlgen import GRAINS, TAG, Query, Stored, compile_query, compile_rows

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


def _elsewhere(catalog: Catalog, name: str, dim: str) -> str:
    """Where a dimension a metric lacks can be had: its own records carry no single value of it
    (an order can span sites), a sibling metric's records do (``otif_line`` has ``site``)."""
    if dim not in catalog.spec.dimensions:
        return ""
    siblings = [
        other
        for other in catalog.metrics
        if other != name
        and (other.startswith(f"{name}_") or name.startswith(f"{other}_"))
        and dim in catalog.dimensions_of(other)
    ]
    if not siblings:
        return ""
    records = catalog.models[catalog.models_of(name)[0]].spec.label.lower()
    label = catalog.spec.dimensions[dim].label.lower()
    also = " or ".join(f"'{s}'" for s in siblings)
    return (
        f" ({name} counts {records}, and one of them can span several values of {label}: "
        f"use {also}, which has '{dim}')"
    )


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
                    f"{did_you_mean(dim, offered)}{_elsewhere(catalog, name, dim)}; "
                    f"it has: {', '.join(offered)}"
                )
        for dim in dict(q.scope):  # the viewer's rows: a metric without that dimension is out
            if dim not in offered:
                raise MetricsError(
                    f"metric '{name}' has no '{dim}', so it cannot be limited to your rows"
                    f" (limited by {dim}); it has: {', '.join(offered)}"
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
