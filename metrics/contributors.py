"""Where the promise broke: missed lines by dimension value, beyond what volume explains."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from metrics.catalog import Catalog
from metrics.engine import Engine
from metrics.query import run_query
from metrics.sqlgen import Query

_NULL_LABEL = {"carrier": "(not shipped)", "site": "(no site)"}  # what an empty value means
OWNER_OF = {"portfolio": "portfolio_manager"}  # the dimension naming who answers for a value


def miss_contributors(
    cur: Engine, catalog: Catalog, q: Query, dims: Sequence[str], *, top: int = 6
) -> dict[str, pl.DataFrame]:
    """Missed lines by each dimension's values, biggest first (one statement for all dimensions).

    Per dimension, columns: value, owner (who answers for the value, e.g. a portfolio's
    manager; null where the dimension has none), lines, missed, otif (line OTIF), share
    (of all missed lines) and excess: misses beyond what the value's volume alone explains.
    Counts are additive, so each dimension's rows are summed from the joint grouping.
    """
    owners = [OWNER_OF[d] for d in dims if d in OWNER_OF and OWNER_OF[d] not in dims]
    keys = (*dims, *owners)
    res = run_query(cur, catalog, q.replace(metrics=("otif_line",), by=keys, grain=None))
    parts = res.frame.select(
        *keys,
        pl.col("otif_line__den").cast(pl.Int64).alias("lines"),
        pl.col("otif_line__num").cast(pl.Int64).alias("kept"),
    )
    return {dim: _contributors(parts, dim, top) for dim in dims}


def _contributors(parts: pl.DataFrame, dim: str, top: int) -> pl.DataFrame:
    owner = (
        pl.col(OWNER_OF[dim]).drop_nulls().cast(pl.String).unique().sort().str.join(", ")
        if dim in OWNER_OF
        else pl.lit(None, dtype=pl.String)
    )
    frame = (
        parts.group_by(
            pl.col(dim).cast(pl.String).fill_null(_NULL_LABEL.get(dim, "(none)")).alias("value")
        )
        .agg(pl.col("lines").sum(), pl.col("kept").sum(), owner.alias("owner"))
        .select(
            "value",
            pl.when(pl.col("owner") != "").then(pl.col("owner")).alias("owner"),
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
