"""Targets and red/amber/green status of metric values.

A metric's target may differ per customer (``by_dimension``, e.g. key accounts 95%). The target
of a population (a filter, or one group of a split) is then derived from the targets of the
customers in it, weighted by how much each counts in the value (the metric's sample size n), so
the same population gets the same target however it was selected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from metrics.spec import MetricBase, Target


def base_target(m: MetricBase) -> float | None:
    """The metric's plain target, before any date or dimension override."""
    t = m.target
    return None if t is None else (t if isinstance(t, (int, float)) else t.value)


def rule_dimensions(m: MetricBase) -> tuple[str, ...]:
    """The dimensions the metric's target differs by (e.g. segment), in rule order."""
    return tuple(m.target.by_dimension) if isinstance(m.target, Target) else ()


def target_rule(
    m: MetricBase, *, on: dt.date | None, dims: Mapping[str, object]
) -> tuple[float | None, str | None]:
    """The target for rows with these dimension values on a date, and the rule that set it
    ('segment key account'; None for the metric's general target)."""
    t = m.target
    if t is None or isinstance(t, (int, float)):
        return t, None
    for dim, values in t.by_dimension.items():
        value = dims.get(dim)
        if value is not None and str(value) in values:
            return values[str(value)], f"{dim} {value}"
    current = t.value
    for change in sorted(t.changes, key=lambda c: c.date):
        if on is not None and change.date <= on:
            current = change.value
    return current, None


def target_for(m: MetricBase, *, on: dt.date | None, dims: Mapping[str, object]) -> float | None:
    """The metric's target on a date, for a row with these dimension values."""
    return target_rule(m, on=on, dims=dims)[0]


@dataclass(frozen=True)
class TargetPart:
    """Rows of a population that share one target: how many count (n) and which rule set it."""

    value: float
    n: int
    rule: str | None  # e.g. 'segment key account'; None: the metric's general target


@dataclass(frozen=True)
class DerivedTarget:
    """The target of a population and how it was derived."""

    value: float | None
    parts: tuple[TargetPart, ...]  # the populations weighed; one when everyone shares a target

    @property
    def mixed(self) -> bool:
        """Parts with different targets: the value is a weighted mean of them."""
        return len({p.value for p in self.parts}) > 1

    def describe(self, fmt: str, noun: str | None) -> str:
        """'95% for 122 measured orders (segment key account)', or for a mixed population
        '92.4%: weighted by volume, segment key account 95% x 12% and everyone else 92% x 88%
        of 1,002 measured orders'. Without a ``noun`` (n counts no one thing, as
        for a derived metric) the counts are left out of a single target's text."""
        if self.value is None:
            return "no target"
        shown = target_text(self.value, fmt)
        if not self.parts:
            return f"{shown} (nothing measured yet to weigh targets by)"
        if not self.mixed:
            n, rules = sum(p.n for p in self.parts), {p.rule for p in self.parts}
            rule = rules.pop() if len(rules) == 1 else None
            counted = f" for {_count(n, noun)}" if noun else ""
            return shown + counted + (f" ({rule})" if rule else "")
        total = sum(p.n for p in self.parts)
        pieces = [
            f"{p.rule or 'everyone else'} {target_text(p.value, fmt)} x {p.n / total:.0%}"
            for p in self.parts
        ]
        listed = ", ".join(pieces[:-1]) + " and " + pieces[-1]
        return f"{shown}: weighted by volume, {listed} of {_count(total, noun)}"


def weighted_target(parts: Iterable[TargetPart]) -> DerivedTarget:
    """The volume-weighted target of populations (parts with the same target and rule merged;
    parts with nothing measured carry no weight). No part with volume: no derived value."""
    merged: dict[tuple[float, str | None], int] = {}
    for p in parts:
        if p.n > 0:
            merged[(p.value, p.rule)] = merged.get((p.value, p.rule), 0) + p.n
    kept = tuple(
        TargetPart(value, n, rule)
        for (value, rule), n in sorted(merged.items(), key=lambda kv: (kv[0][1] is None, -kv[1]))
    )
    total = sum(p.n for p in kept)
    if not total:
        return DerivedTarget(None, ())
    if len({p.value for p in kept}) == 1:
        return DerivedTarget(kept[0].value, kept)
    return DerivedTarget(sum(p.value * p.n for p in kept) / total, kept)


def _count(n: int, noun: str | None) -> str:
    """'122 measured orders', '1 measured order'."""
    if not noun:
        return f"n={n:,}"
    return f"{n:,} {noun[:-1] if n == 1 and noun.endswith('s') else noun}"


def target_text(value: float, fmt: str) -> str:
    """A target as people read it: 95%, 92.4%, 120, 5.5."""
    if fmt == "percent":
        value *= 100
    text = f"{value:,.1f}".rstrip("0").rstrip(".")
    return text + {"percent": "%", "duration": " s"}.get(fmt, "")


SMALL = "small"  # the status of a value over fewer than min_sample measured units
# The status column's codes in the review's words (cli.md, "The review as data").
REVIEW_STATUS = {
    "green": "on_target",
    "amber": "near_target",
    "red": "off_target",
    SMALL: "small_sample",
}


def judge(
    value: float | None,
    target: float | None,
    *,
    n: int | None,
    direction: str,
    min_sample: int,
    amber: float = 0.0,
) -> str | None:
    """A value against its target in the review's words: ``small_sample`` when measured over
    fewer than ``min_sample`` units (never judged on or off target, whatever the value), else
    ``on_target`` on or past it, ``near_target`` within ``amber`` short of it, ``off_target``.
    None: no value, or (with enough units) no target to judge against."""
    if value is None:
        return None
    if n is not None and n < min_sample:
        return "small_sample"
    if target is None:
        return None
    gap = value - target if direction == "up" else target - value
    if gap >= 0:
        return "on_target"
    return "near_target" if -gap <= amber else "off_target"


def status(
    m: MetricBase, value: float | None, target: float | None, n: int | None = None
) -> str | None:
    """'green' on or past target, 'amber' within the amber band short of it, else 'red';
    'small' over fewer than the metric's ``min_sample`` units (``n``), whatever the value."""
    said = judge(
        value,
        target,
        n=n,
        direction=m.direction,
        min_sample=m.min_sample,
        amber=m.bands.amber if m.bands else 0.0,
    )
    return None if said is None else {v: k for k, v in REVIEW_STATUS.items()}[said]
