"""Department KPIs against their customer-centric counterparts."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from metrics.catalog import Catalog


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
