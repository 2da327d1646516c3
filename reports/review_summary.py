"""The pack's first lines: where we stand, what changed, what to decide (three sentences from
the same review data as the rest of the pack)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from metrics.catalog import Catalog
from metrics.causes import read_causes
from present import format as fmt
from reports.document import Section
from reports.review_data import ReviewData
from state.action_log import Action


def _stand(data: ReviewData, catalog: Catalog) -> str:
    m = catalog.metric("otif")
    head = data.head or {}
    if not data.headline or head.get("value") is None:
        return "Where we stand: no OTIF to judge in this week for these rows."
    status = fmt.STATUS_TEXT.get(head.get("status"), fmt.STATUS_TEXT[None])
    return (
        f"Where we stand: OTIF {fmt.value(head['value'], m.format)} against "
        f"{fmt.value(head.get('target'), m.format)} ({status}) over "
        f"{int(head.get('n') or 0):,} orders."
    )


def _changed(data: ReviewData) -> str:
    reading = data.reading
    series = getattr(reading, "series", None) if reading else None
    if series is None or series.verdict == "too_few_periods":
        return "What changed: too few weeks yet to tell a change from chance."
    if series.verdict == "outside_limits":
        return f"What changed: this week is {series.rule}, beyond what chance explains."
    if series.shifts:
        s = series.shifts[0]
        return (
            f"What changed: the level moved {'up' if s.up else 'down'} from "
            f"{s.start_date:%d %b %Y} ({s.before:.1%} to {s.after:.1%}); this week is within "
            "its natural limits."
            if s.start_date
            else f"What changed: the level moved {'up' if s.up else 'down'}."
        )
    return "What changed: nothing beyond chance; the process is stable."


def _decide(data: ReviewData, actions: Sequence[Action], today: dt.date) -> str:
    parts = []
    causes = read_causes(data.funnel) if data.funnel.height else None
    if causes and causes.settled_top:
        top = causes.settled_top
        parts.append(f"{top.label.lower()} leads the settled misses ({top.owner})")
    if data.at_risk.height:
        lost = int(data.at_risk["cannot_make_it"].sum())
        parts.append(
            f"{data.at_risk.height:,} promises at risk, {lost:,} of them can no longer make it"
        )
    overdue = sum(a.overdue(today) for a in actions)
    if overdue:
        parts.append(f"{overdue:,} overdue action{'s' if overdue != 1 else ''}")
    if not parts:
        return "What to decide: nothing is asked of the room this week."
    return "What to decide: " + "; ".join(parts) + "."


def summary(
    data: ReviewData, catalog: Catalog, actions: Sequence[Action], today: dt.date
) -> Section:
    return Section(
        "Summary", (_stand(data, catalog), _changed(data), _decide(data, actions, today))
    )
