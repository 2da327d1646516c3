"""Targets and red/amber/green status of metric values."""

from __future__ import annotations

import datetime as dt
from typing import Mapping

from metrics.spec import MetricBase, Target


def base_target(m: MetricBase) -> float | None:
    """The metric's plain target, before any date or dimension override."""
    t = m.target
    return None if t is None else (t if isinstance(t, (int, float)) else t.value)


def target_for(m: MetricBase, *, on: dt.date | None, dims: Mapping[str, object]) -> float | None:
    """The metric's target on a date, for a row with these dimension values."""
    t = m.target
    if t is None or isinstance(t, (int, float)):
        return t
    assert isinstance(t, Target)
    for dim, values in t.by_dimension.items():
        value = dims.get(dim)
        if value is not None and str(value) in values:
            return values[str(value)]
    current = t.value
    for change in sorted(t.changes, key=lambda c: c.date):
        if on is not None and change.date <= on:
            current = change.value
    return current


def status(m: MetricBase, value: float | None, target: float | None) -> str | None:
    """'green' on or past target, 'amber' within the amber band short of it, else 'red'."""
    if value is None or target is None:
        return None
    gap = value - target if m.direction == "up" else target - value
    if gap >= 0:
        return "green"
    amber = m.bands.amber if m.bands else 0.0
    return "amber" if -gap <= amber else "red"
