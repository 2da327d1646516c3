"""Period arithmetic: starts, ends and shifts of days, ISO weeks, months, quarters and years."""

from __future__ import annotations

import calendar
import datetime as dt

_MONTHS = {"month": 1, "quarter": 3, "year": 12}  # period lengths in months


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


# "The same period a year later": 52 weeks for days and weeks (the same weekday), else 12 months.
_YEAR = {
    "day": ("day", 364),
    "week": ("week", 52),
    "month": ("month", 12),
    "quarter": ("quarter", 4),
    "year": ("year", 1),
}


def same_period_years(start: dt.date, grain: str, n: int) -> dt.date:
    """The start of the same period ``n`` years after (negative: before) ``start``."""
    unit, per_year = _YEAR[grain]
    return _offset(start, unit, n * per_year)


def measurable_start(start: dt.date, grain: str, as_of: dt.date, lag_days: int) -> dt.date:
    """The first day of the latest period, ``start``'s or an earlier one, that a metric needing
    ``lag_days`` after a period's end can be measured over in full by ``as_of``."""
    if lag_days <= 0:
        return start
    last = as_of - dt.timedelta(days=lag_days)
    while period_end(start, grain) > last:
        start = shift_period(start, grain, -1)
    return start


def last_complete_period(as_of: dt.date, grain: str) -> dt.date:
    """Start of the latest period that ends on or before as-of."""
    start = period_start(as_of, grain)
    return start if period_end(start, grain) <= as_of else shift_period(start, grain, -1)


def recent_periods(as_of: dt.date, grain: str, count: int) -> list[dt.date]:
    """Starts of the ``count`` latest periods up to the one holding as-of, newest first."""
    first = period_start(as_of, grain)
    return [shift_period(first, grain, -i) for i in range(count)]
