"""Department KPIs against their customer-centric counterparts.

A pair is in *conflict* when the department KPI looks acceptable (on or near its
target: green or amber) while its customer-side counterpart is off target (red),
both measured on at least their minimum sample. Pairs are ranked by how far
apart the two sides are: the customer side's shortfall against its target,
relative to that target, minus the department side's (a side better than its
target has a negative shortfall).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

import polars as pl

from metrics.catalog import Catalog, Pair
from metrics.periods import measurable_start

ACCEPTABLE = ("green", "amber")  # a department KPI on or near its target
NOT_SPLITS = ("miss_reason",)  # an outcome of the customer side, not a population to split by


def pair_metrics(catalog: Catalog) -> tuple[str, ...]:
    """Every metric that appears in a pair, once, departments first."""
    names = [p.department for p in catalog.pairs] + [p.customer for p in catalog.pairs]
    return tuple(dict.fromkeys(names))


def shared_dimensions(catalog: Catalog, pair: Pair) -> list[str]:
    """Dimensions both sides of ``pair`` can be split by."""
    cust = set(catalog.dimensions_of(pair.customer))
    return [d for d in catalog.dimensions_of(pair.department) if d in cust and d not in NOT_SPLITS]


def split_dimensions(catalog: Catalog) -> list[str]:
    """Dimensions at least one pair can be split by, in the catalogue's order."""
    offered = {d for p in catalog.pairs for d in shared_dimensions(catalog, p)}
    return [d for d in catalog.spec.dimensions if d in offered]


def pairs_split_by(catalog: Catalog, dim: str) -> tuple[str, ...]:
    """The metrics of the pairs that ``dim`` splits on both sides."""
    names = [
        n
        for p in catalog.pairs
        if dim in shared_dimensions(catalog, p)
        for n in (p.department, p.customer)
    ]
    return tuple(dict.fromkeys(names))


def shortfall(value: pl.Expr, target: pl.Expr, direction: str) -> pl.Expr:
    """How far ``value`` falls short of ``target``, as a share of the target (negative: better)."""
    gap = target - value if direction == "up" else value - target
    return pl.when(target != 0).then(gap / target.abs())


def pair_period(
    catalog: Catalog, pair: Pair, start: dt.date, grain: str, as_of: dt.date
) -> dt.date:
    """The period a pair is read in: the one under review, or the latest both sides can be
    measured over in full (a lagged side, e.g. FCR, moves the pair back with it)."""
    lag = max(catalog.metric(pair.department).lag_days, catalog.metric(pair.customer).lag_days)
    return measurable_start(start, grain, as_of, lag)


def measured_pairs(
    periods: pl.DataFrame, catalog: Catalog, start: dt.date, grain: str, as_of: dt.date
) -> pl.DataFrame:
    """``pair_rows`` of the period under review from run_details by period, each pair read in
    its ``pair_period`` (named in column ``period``)."""
    if periods.is_empty():
        return pl.DataFrame()
    frames = []
    for i, p in enumerate(catalog.pairs):
        at = pair_period(catalog, p, start, grain, as_of)
        rows = periods.filter(pl.col("period") == at).drop("period")
        one = pair_rows(rows, catalog, only=(i,)) if rows.height else rows
        if one.height:
            frames.append(one.with_columns(period=pl.lit(at)))
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="diagonal_relaxed").sort(
        ["conflict", "gap", "pair"], descending=[True, True, False], nulls_last=True
    )


def pair_rows(
    details: pl.DataFrame,
    catalog: Catalog,
    keys: Sequence[str] = (),
    *,
    only: Collection[int] | None = None,
) -> pl.DataFrame:
    """One row per pair (and value of ``keys``): both sides' value, target, status and shortfall.

    ``gap`` is the customer side's shortfall minus the department side's; ``conflict``
    marks an acceptable department KPI beside an off-target customer outcome. Conflicts
    come first, then the widest gaps. ``only``: the pairs (by position) to read.
    """
    keys = list(keys)
    side = details.select(*keys, "metric", "value", "target", "status", "n")
    frames = []
    for i, p in enumerate(catalog.pairs):
        if only is not None and i not in only:
            continue
        dept = _side(side, catalog, p.department, "dept")
        cust = _side(side, catalog, p.customer, "cust")
        if dept.is_empty() or cust.is_empty():
            continue
        joined = (
            dept.join(cust, on=keys, how="full", coalesce=True, nulls_equal=True)
            if keys
            else pl.concat([dept, cust], how="horizontal")
        )
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
    conflict = (
        pl.col("dept_status").is_in(ACCEPTABLE)
        & (pl.col("cust_status") == "red")
        & pl.col("dept_enough")
        & pl.col("cust_enough")
    )
    return out.with_columns(
        gap=pl.col("cust_shortfall") - pl.col("dept_shortfall"), conflict=conflict.fill_null(False)
    ).sort(["conflict", "gap", "pair"], descending=[True, True, False], nulls_last=True)


def _side(side: pl.DataFrame, catalog: Catalog, name: str, prefix: str) -> pl.DataFrame:
    """One metric's rows, its columns prefixed, with its shortfall and whether n is enough."""
    m = catalog.metric(name)
    rows = side.filter(pl.col("metric") == name).drop("metric")
    rows = rows.with_columns(
        shortfall=shortfall(pl.col("value"), pl.col("target"), m.direction),
        enough=pl.col("value").is_not_null() & (pl.col("n").fill_null(0) >= max(m.min_sample, 1)),
    )
    own = ("value", "target", "status", "n", "shortfall", "enough")
    return rows.rename({c: f"{prefix}_{c}" for c in own})


def rank_pairs(totals: pl.DataFrame, detail: pl.DataFrame | None = None) -> pl.DataFrame:
    """Pair totals, flagged first (a conflict in the total, or in any row of ``detail`` when
    split), each group by the widest gap; ``flagged`` and ``split_conflicts`` added."""
    counts = (
        detail.group_by("pair").agg(split_conflicts=pl.col("conflict").sum().cast(pl.Int64))
        if detail is not None and not detail.is_empty()
        else pl.DataFrame(schema={"pair": pl.Int32, "split_conflicts": pl.Int64})
    )
    return (
        totals.join(counts, on="pair", how="left")
        .with_columns(pl.col("split_conflicts").fill_null(0))
        .with_columns(flagged=pl.col("conflict") | (pl.col("split_conflicts") > 0))
        .sort(["flagged", "gap", "pair"], descending=[True, True, False], nulls_last=True)
    )
