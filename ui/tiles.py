"""KPI tiles: value, target, status, change and sample size in one glance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from metrics.spec import MetricBase
from present import format as fmt

COMPARE_TEXT = {"prev": "vs last {grain}", "ly": "vs a year ago"}


def delta_color(m: MetricBase) -> str:
    """Lower-is-better metrics colour a fall green."""
    return "inverse" if m.direction == "down" else "normal"


def caption(row: Mapping[str, Any], m: MetricBase) -> str:
    """'off target · target 90.0% · n=126 · owner: COO' plus a small-sample warning."""
    shown = row.get("status") not in (None, "small")  # a small sample is said by its note
    parts = [fmt.STATUS_TEXT[row["status"]]] if shown else []
    if row.get("target") is not None:
        note = row.get("target_note") or ""
        basis = note if "weighted by volume" in note else fmt.value(row["target"], m.format)
        parts.append(f"target {basis}")
    if row.get("n") is not None:
        parts.append(f"n={row['n']:,}")
    note = fmt.sample_note(row.get("n"), m.min_sample)
    if note:
        parts.append(f":orange[:material/warning: {note}]")
    parts.append(f"owner: **{m.owner}**")
    return " · ".join(parts)


def kpi(
    row: Mapping[str, Any] | None,
    m: MetricBase,
    *,
    grain: str = "week",
    compare: str = "prev",
    label: str | None = None,
    chart: Sequence[float] | None = None,
    status_badge: bool = False,
    narrow: bool = False,
) -> None:
    """One metric as a bordered tile; ``row`` is a run_details row (or None when empty).

    The status shows as a coloured dot, or with ``status_badge`` as a coloured word; the
    caption under it names the metric's owner. ``narrow`` tiles (a quarter of a page or less)
    keep their comparison beside the change, where it is not cut off.
    """
    label = label or m.label
    if row is None or row.get("value") is None:
        st.metric(label, "—", border=True, help=m.description)
        st.caption(f"nothing measured in this period yet · owner: **{m.owner}**")
        return
    small = fmt.sample_note(row.get("n"), m.min_sample) is not None
    shown = fmt.value(row["value"], m.format)
    delta = None if row.get("partial") else fmt.delta(row.get(f"delta_{compare}"), m.format)
    description = COMPARE_TEXT[compare].format(grain=grain) if delta else None
    if delta and narrow:  # the comparison under the value would be cut off: put it in the delta
        delta, description = f"{delta} {description}", None
    # A narrow tile's title has no room for the words: ⚠, said in full in the caption under it.
    badge = (" :orange-badge[⚠]" if narrow else " :orange-badge[small sample]") if small else ""
    status = row.get("status")
    title = (
        f"{label} {fmt.STATUS_BADGE[status]}"
        if status_badge and status
        else f"{fmt.STATUS_ICON[status]} {label}"
    )
    st.metric(
        f"{title}{badge}",
        shown,
        delta,
        delta_color=delta_color(m),
        delta_description=description,
        border=True,
        chart_data=list(chart) if chart else None,
        help=m.description,
    )
    st.caption(caption(row, m) + (" · partial period: not compared" if row.get("partial") else ""))
