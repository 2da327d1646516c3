"""What the weekly review shows, named once for the review page, the wall, the pack and
`northstar review --format json`: the customer outcomes beside OTIF, the trend window, the
history searched for shifts, which period a lagged metric shows, the status words and the
signal's verdict in words. The surfaces cannot disagree on these because they read them here."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from metrics.periods import measurable_start
from metrics.targets import REVIEW_STATUS

OUTCOMES = ("csat", "nps", "fcr", "contacts_per_100_orders")  # customer outcomes beside OTIF
TREND = 13  # periods on every trend of the review (the period under review the last)
HISTORY = {"week": 52, "month": 24, "quarter": 12}  # periods searched for sustained shifts
MIX = {"week": 13, "month": 12, "quarter": 8}  # periods of the reason mix

# The signal's verdict (metrics.signals.Reading.case) in the review's words: its headline and
# what it asks of the room. "Off target" reads "Near target" when the status says so.
VERDICT = {
    "off_target_stable": (
        "Off target and stable",
        "the gap is the system, not a bad {grain}: waiting will not close it, change the process.",
    ),
    "shift_worse": ("Real shift for the worse", "find what changed, now."),
    "shift_better": ("Real shift for the better", "find what changed and keep it."),
    "on_target": ("On target and stable", "no reaction needed on this move alone."),
    "no_target": ("Within the usual range", "no target to judge against."),
    "too_short": ("Not enough history for a signal test", ""),
}


def verdict(case: str, status: str | None, grain: str = "week") -> tuple[str, str]:
    """The headline and the ask of a signal verdict, in the status's own word."""
    head, ask = VERDICT.get(case, (case, ""))
    if case == "off_target_stable" and status == "amber":
        head = "Near target and stable"
    return head, ask.format(grain=grain)


def review_status(row: dict[str, Any] | None, min_sample: int) -> str | None:
    """A run_details row's status in the one vocabulary: on_target, near_target, off_target,
    small_sample (fewer than ``min_sample`` measured units), or None (no value or target)."""
    if not row or row.get("value") is None:
        return None
    if (row.get("n") or 0) < min_sample:
        return REVIEW_STATUS["small"]
    return REVIEW_STATUS.get(row.get("status") or "")


def row_of(frame: pl.DataFrame, metric: str, period: dt.date | None = None) -> dict | None:
    """The run_details row of one metric (in one period, for a frame by period), or None."""
    if frame.is_empty():
        return None
    rows = frame.filter(pl.col("metric") == metric)
    if period is not None:
        rows = rows.filter(pl.col("period") == period)
    return rows.row(0, named=True) if rows.height else None


def shown_period(start: dt.date, grain: str, as_of: dt.date, lag_days: int) -> dt.date:
    """The period a metric shows when ``start``'s is under review: that period, or for a
    lagged metric (FCR needs 7 days after a contact) its latest measurable one."""
    return measurable_start(start, grain, as_of, lag_days)


def shown_rows(
    details: pl.DataFrame, lags: dict[str, int], start: dt.date, grain: str, as_of: dt.date
) -> pl.DataFrame:
    """Each metric's row of the period it shows (``shown_period``; ``lags`` per metric)."""
    if details.is_empty():
        return details
    keep = [
        (pl.col("metric") == name)
        & (pl.col("period") == shown_period(start, grain, as_of, lags.get(name, 0)))
        for name in details["metric"].unique().to_list()
    ]
    return details.filter(pl.any_horizontal(keep))


def misses(funnel: pl.DataFrame) -> pl.DataFrame:
    """The promise funnel's miss reasons that broke at least one order."""
    if funnel.is_empty():
        return funnel
    return funnel.filter(pl.col("reason").is_not_null() & (pl.col("orders") > 0))


def top_causes(funnel: pl.DataFrame, k: int | None = None) -> pl.DataFrame:
    """The miss reasons, most orders first (the first ``k``), with their share of misses."""
    missed = misses(funnel)
    if missed.is_empty():
        return missed
    total = missed["orders"].sum()
    ranked = missed.sort("orders", descending=True, maintain_order=True)
    return (ranked if k is None else ranked.head(k)).with_columns(
        of_missed=pl.col("orders") / total
    )
