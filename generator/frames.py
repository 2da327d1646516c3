"""Small numpy helpers shared by the table builders: draws and typed polars columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from generator.master import Master


def pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of a (rows x categories) probability matrix."""
    cum = probs.cumsum(axis=1)
    idx = (rng.random(len(probs))[:, None] > cum).sum(axis=1)
    return np.minimum(idx, probs.shape[1] - 1)


def labels(names: tuple[str, ...], idx: np.ndarray, null: np.ndarray | None = None) -> pl.Series:
    """Category names for an index array (null where masked), without a Python loop."""
    return nulled(pl.Series(list(names), dtype=pl.String).gather(idx), null)


def customer_ids(m: Master, idx: np.ndarray) -> pl.Series:
    """Customer ids for customer indexes; -1 means an unknown customer (null)."""
    return labels(tuple(m.customer_ids), np.maximum(idx, 0), idx < 0).alias("customer_id")


def nulled(series: pl.Series, mask: np.ndarray | None) -> pl.Series:
    """The series with the masked positions set to null."""
    if mask is None or not mask.any():
        return series
    return (
        pl.select(pl.when(pl.Series(mask)).then(None).otherwise(series))
        .to_series()
        .alias(series.name)
    )


def dates(name: str, days: np.ndarray, null: np.ndarray | None = None) -> pl.Series:
    """A Date column from days since 1970."""
    return nulled(pl.Series(name, days.astype(np.int32)).cast(pl.Date), null)


def stamps(name: str, seconds: np.ndarray) -> pl.Series:
    """A Datetime column from seconds since 1970."""
    return pl.Series(name, seconds.astype(np.int64) * 1_000_000).cast(pl.Datetime("us"))


def prefixed(prefix: str, numbers: np.ndarray, suffix: np.ndarray | None = None) -> pl.Series:
    """Ids such as SO1000001 or SH1000001-2."""
    s = pl.Series(numbers.astype(np.int64)).cast(pl.String)
    expr = pl.lit(prefix) + pl.lit(s)
    if suffix is not None:
        expr = expr + pl.lit("-") + pl.lit(pl.Series(suffix.astype(np.int64)).cast(pl.String))
    return pl.select(expr).to_series()


def office_seconds(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A time within office hours (08:00-18:00, busier mid-morning) on each day."""
    return days.astype(np.int64) * 86400 + (
        8 * 3600 + rng.beta(2.0, 2.6, len(days)) * 36000
    ).astype(np.int64)
