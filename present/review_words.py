"""The review's decision in three sentences: where we stand, what changed, what to decide.
The first screen of the review page and the first lines of the pack say them alike, from the
same numbers (the period's OTIF row, its signal, its causes, the promises at risk)."""

from __future__ import annotations

from typing import Any

from metrics.causes import Causes
from metrics.signals import Reading
from present import format as fmt


def stand(head: dict[str, Any] | None, label: str, fmt_name: str, owner: str, unit: str) -> str:
    """'Where we stand: OTIF 75.6% against 93.0% (off target) over 1,054 orders. Owner: COO.'"""
    if not head or head.get("value") is None:
        return f"Where we stand: no {label} to judge in this {unit} for these rows."
    status = fmt.STATUS_TEXT.get(head.get("status"), fmt.STATUS_TEXT[None])
    return (
        f"Where we stand: {label} {fmt.value(head['value'], fmt_name)} against "
        f"{fmt.value(head.get('target'), fmt_name)} ({status}) over "
        f"{fmt.plural(int(head.get('n') or 0), 'order')}. Owner: {owner}."
    )


def changed(reading: Reading | None, unit: str = "week") -> str:
    series = reading.series if reading else None
    if series is None or series.verdict == "too_few_periods":
        return f"What changed: too few {unit}s yet to tell a change from chance."
    if series.verdict == "outside_limits":
        return f"What changed: this {unit} is {series.rule}, beyond what chance explains."
    if series.shifts:
        s = series.shifts[0]
        return (
            f"What changed: the level moved {'up' if s.up else 'down'} from "
            f"{s.start_date:%d %b %Y} ({s.before:.1%} to {s.after:.1%}); this {unit} is within "
            "its natural limits."
            if s.start_date
            else f"What changed: the level moved {'up' if s.up else 'down'}."
        )
    return "What changed: nothing beyond chance; the process is stable."


def decide(
    causes: Causes | None, at_risk: int, cannot_make_it: int, overdue: int, unit: str = "week"
) -> str:
    """The settled top cause and its owner, the open misses and who acts on them, the promises
    at risk, the overdue actions; or that nothing is asked of the room."""
    parts = []
    if causes and causes.settled_top:
        top = causes.settled_top
        parts.append(f"{top.label.lower()} leads the settled misses ({top.owner})")
    if causes and causes.still_open:
        stuck = ", ".join(f"{s.orders:,} {s.where} ({s.acts})" for s in causes.stuck)
        parts.append(f"{causes.still_open:,} of {causes.missed:,} misses still open: {stuck}")
    if at_risk:
        parts.append(
            f"{at_risk:,} promises at risk, {cannot_make_it:,} of them can no longer make it"
        )
    if overdue:
        parts.append(f"{overdue:,} overdue action{'s' if overdue != 1 else ''}")
    if not parts:
        return f"What to decide: nothing is asked of the room this {unit}."
    return "What to decide: " + "; ".join(parts) + "."
