"""Pieces of the North Star review: headline, signal against target, funnel with its open
misses and owners, reason mix over time, drivers, satisfaction, and links to the records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import polars as pl
import streamlit as st

from metrics import clock
from metrics.catalog import Catalog
from metrics.causes import causes_text, read_causes
from metrics.periods import period_end
from metrics.review_model import (
    HISTORY,
    MIX,
    OUTCOMES,
    TREND,
    row_of,
    shown_period,
    top_causes,
    verdict,
)
from metrics.signals import Reading, period_reading
from metrics.spec import MetricBase
from present import format as fmt
from present import review_words
from ui import data, page, tiles
from ui.filters import View

DRIVERS = (
    ("region", "Region"),
    ("site", "Site"),
    ("carrier", "Carrier"),
    ("portfolio", "Portfolio · manager"),
)
SECTIONS = {  # the review's sections below its first screen, closed until opened: key -> title
    "funnel": "The promise funnel and top causes",
    "where": "Where we broke the promise",
    "at_risk": "Promises at risk",
    "cost": "The customer cost of a broken promise",
    "actions": "Action log",
}
ADJECTIVE = {"week": "weekly", "month": "monthly", "quarter": "quarterly"}
EXPLORE = "explore"  # Explore's address, relative to the review's


def title(grain: str) -> str:
    return f"North Star — {ADJECTIVE.get(grain, 'weekly')} review"


def queries(src: data.Source, view: View) -> list[Callable[[], Any]]:
    """The review's cached queries, run at once (``data.gather``): the trend window (TREND periods) of OTIF and the
    outcomes (with last period and last year), the promise funnel, the miss contributors,
    satisfaction by OTIF, OTIF over a longer history (for sustained shifts) and the reason mix."""
    return [
        lambda: data.details(src, view.trend_query("otif", *OUTCOMES, periods=TREND)),
        lambda: data.funnel(src, view.query("measured_orders")),
        lambda: data.contributors(src, view.query("otif_line"), tuple(d for d, _ in DRIVERS)),
        lambda: data.satisfaction(src, view.trend_query("csat", periods=TREND), view.as_of),
        lambda: data.details(
            src, view.trend_query("otif", periods=HISTORY[view.grain]), compare=False
        ),
        lambda: data.reasons_over_time(
            src, view.trend_query("measured_orders", periods=MIX[view.grain])
        ),
    ]


def company_headline(src: data.Source, view: View, name: str, m: MetricBase) -> None:
    """For a viewer whose rows the policy limits: the whole company's value of a company-wide
    metric (the North Star) in the same period, beside their own."""
    from ui import access

    v = access.viewer()
    if not v.scope or name not in v.company_wide:
        return
    q = view.query(name).replace(where=())
    row = first_row(data.details(src, q, company=True), name)
    tiles.kpi(row, m, grain=view.grain, label=f"{m.label} · whole company", narrow=True)
    st.caption("The company's North Star, open to every role; all else here is your rows only.")


def first_row(
    frame: pl.DataFrame, metric: str, period: dt.date | None = None
) -> dict[str, Any] | None:
    """The run_details row of one metric (in one period, for a frame by period), or None."""
    return row_of(frame, metric, period)


def measured_row(
    frame: pl.DataFrame, name: str, m: MetricBase, view: View
) -> tuple[dict[str, Any] | None, str | None]:
    """The row of ``name`` to show for the period under review and, for a lagged metric (FCR
    needs 7 days after the contact), a note naming the latest measurable period it shows."""
    period = shown_period(view.start, view.grain, view.as_of, m.lag_days)
    note = None
    if period != view.start:
        note = (
            f":material/schedule: {fmt.period_caption(period, view.grain)}, the latest "
            f"measurable: {m.label} needs {m.lag_days} days after a {view.grain} ends"
        )
    return first_row(frame, name, period), note


def compare_text(row: dict[str, Any] | None, m: MetricBase, tag: str, grain: str) -> str | None:
    if not row or row.get("partial") or row.get(f"{tag}_value") is None:
        return None
    when = "previous " + grain if tag == "prev" else f"same {grain} last year"
    return (
        f"{fmt.delta(row[f'delta_{tag}'], m.format)} vs the {when} "
        f"({fmt.value(row[f'{tag}_value'], m.format)})"
    )


def decision(
    head: dict[str, Any] | None,
    m: MetricBase,
    read: Reading,
    funnel: pl.DataFrame,
    at_risk: pl.DataFrame,
    logged: list,
    grain: str,
) -> None:
    """The first screen's three sentences (the pack's summary says the same): where we stand,
    what changed, what to decide (the settled top cause and its owner, the open misses and who
    acts, the promises at risk, overdue actions)."""
    lost = int(at_risk["cannot_make_it"].sum()) if at_risk.height else 0
    overdue = sum(a.overdue(clock.today()) for a in logged)
    lines = (
        review_words.stand(head, m.label, m.format, m.owner, grain),
        review_words.changed(read, grain),
        review_words.decide(
            read_causes(funnel) if funnel.height else None, at_risk.height, lost, overdue, grain
        ),
    )
    with st.container(border=True, key="decision"):
        for line in lines:
            lead, _, rest = line.partition(": ")
            st.markdown(f"**{lead}:** {fmt.escape_markdown(rest)}")


# ---- links to the records -----------------------------------------------------------------


def explore_link(view: View, metric: str, *, by: str | None = None, pick: str | None = None) -> str:
    """Explore with the review's filters and period, the failing records only (all values
    percent-encoded, so nothing from the data is ever read as markdown)."""
    params: list[tuple[str, str]] = [("metric", metric), ("failing", "1")]
    if by:
        params.append(("by", by))
        if pick is not None:
            params.append(("pick", pick))
    params += [(dim, v) for dim, values in view.where for v in values]
    params += [("grain", view.grain), ("period", view.start.isoformat())]
    return f"{EXPLORE}?{urlencode(params)}"


def records_link(view: View, metric: str, m: MetricBase, row: dict[str, Any] | None) -> None:
    """A link to a red number's failing records."""
    if row and row.get("status") == "red":
        st.markdown(f"[:material/list: Failing records of {m.label}]({explore_link(view, metric)})")


# ---- signal against target ------------------------------------------------------------------


def reading(
    history: pl.DataFrame, head: dict[str, Any] | None, start: dt.date, m: MetricBase
) -> tuple[Reading, list[dt.date]]:
    """The signal reading of the period under review (which starts on ``start``) against the
    complete, large-enough periods before it; and those periods, to name a shift's start."""
    return period_reading(history.filter(pl.col("metric") == "otif"), head, start, m.direction)


def gap_text(gap: float | None, target: float | None, m: MetricBase) -> str | None:
    """'16.4 pts under the 92.0% target' (or above it; 'on the target')."""
    if gap is None or target is None:
        return None
    size = (fmt.delta(abs(gap), m.format) or "").lstrip("+")
    if size == (fmt.delta(0.0, m.format) or "").lstrip("+"):
        return f"on the {fmt.value(target, m.format)} target"
    side = "under" if gap < 0 else "over"
    return f"{size} {side} the {fmt.value(target, m.format)} target"


def show_signal(
    read: Reading, periods: list[dt.date], head: dict[str, Any] | None, m: MetricBase, grain: str
) -> None:
    """The gap to target first, then which case applies and what it asks for."""
    target = head.get("target") if head else None
    gap = gap_text(read.gap, target, m)
    lead = f"**{gap[0].upper()}{gap[1:]}.** " if gap else ""
    band = (
        f"{fmt.value(read.signal.lower, m.format)} – {fmt.value(read.signal.upper, m.format)}"
        if read.signal.lower is not None
        else ""
    )
    since = (
        f" since the {grain} of {periods[read.since]:%d %b %Y}" if read.since and periods else ""
    )
    if head is None or head.get("partial"):
        st.info(
            f"{lead}:material/schedule: Partial period: the signal test waits until it is complete."
        )
    elif read.case == "too_short":
        st.info(f"{lead}{verdict(read.case, None)[0]} ({read.signal.rule}).")
    elif read.case == "off_target_stable":
        said, ask = verdict(read.case, head.get("status"), grain)
        st.warning(
            f"{lead}:material/build: **{said}**: this {grain} is within the usual "
            f"range{since} ({band}), so {ask}"
        )
    elif read.case in ("shift_worse", "shift_better"):
        better = read.case == "shift_better"
        word = (
            "up"
            if read.signal.centre is not None and head["value"] > read.signal.centre
            else "down"
        )
        said, ask = verdict(read.case, head.get("status"), grain)
        box = st.success if better else st.warning
        box(
            f"{lead}:material/campaign: **{said.replace('shift', f'shift {word}', 1)}**: "
            f"{read.signal.rule} "
            f"(usual range{since}: {band}). {ask[0].upper()}{ask[1:]}"
        )
    elif read.case == "on_target":
        said, ask = verdict(read.case, head.get("status"), grain)
        st.success(
            f"{lead}:material/check_circle: **{said}**: within the usual range "
            f"({band}). {ask[0].upper()}{ask[1:]}"
        )
    else:
        said, ask = verdict("no_target", None, grain)
        st.info(f"{said} ({band}); {ask}")
    shifts_note(read, periods, m, grain)


def shifts_note(read: Reading, periods: list[dt.date], m: MetricBase, grain: str) -> None:
    if not read.shifts:
        return
    parts = [
        f"{'up' if s.up else 'down'} from {fmt.value(s.before, m.format)} to "
        f"{fmt.value(s.after, m.format)} from "
        f"{fmt.period_label(periods[s.start], period_end(periods[s.start], grain), grain)}"
        for s in reversed(read.shifts)
        if s.start < len(periods)
    ]
    st.caption(
        f":material/moving: Sustained shifts in the last {len(periods)} {grain}s "
        "(level changes beyond chance at each week's volume), newest first: "
        + "; ".join(parts)
        + "."
    )


# ---- the promise funnel, its open misses and owners ----------------------------------------


def funnel_sentence(funnel: pl.DataFrame, grain: str = "week") -> str:
    return causes_text(read_causes(funnel), grain, strong=lambda t: f"**{t}**")


def causes_table(funnel: pl.DataFrame, view: View) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The miss reasons of the period, biggest first, with owner, open misses and a link."""
    causes = top_causes(funnel)
    frame = causes.select(
        pl.col("step").alias("Cause"),
        pl.col("owner").alias("Owner"),
        pl.col("orders").alias("Orders"),
        pl.col("open").alias("Open"),
        pl.col("reason")
        .map_elements(
            lambda r: explore_link(view, "otif", by="miss_reason", pick=r), return_dtype=pl.String
        )
        .alias("Records"),
    )
    config = {
        "Records": st.column_config.LinkColumn(
            "Records", display_text="orders ↗", help="The failing orders of this cause in Explore"
        ),
        "Open": st.column_config.NumberColumn(
            "Open",
            help="Misses whose units are not all delivered yet: their cause may change",
        ),
    }
    return frame, config


def mix_caption(mix: pl.DataFrame, grain: str) -> str:
    periods = mix["period"].unique().sort()
    if periods.is_empty():
        return "No missed orders in these periods."
    first, last = periods[0], periods[-1]
    return (
        f"**Miss reasons, {len(periods)} {grain}s** · {first:%d %b %Y} – "
        f"{period_end(last, grain):%d %b %Y} · share of each {grain}'s missed orders · "
        "pale = still open (cause may change)"
    )


def driver_frames(drivers: dict[str, pl.DataFrame], view: View) -> dict[str, pl.DataFrame]:
    """The contributors with a ``link`` to each value's failing lines in Explore."""
    return {
        dim: frame.with_columns(
            link=pl.col("value").map_elements(
                lambda v, d=dim: explore_link(view, "otif_line", by=d, pick=v),
                return_dtype=pl.String,
            )
        )
        if frame.height
        else frame.with_columns(link=pl.lit(None, dtype=pl.String))
        for dim, frame in drivers.items()
    }


# ---- satisfaction ---------------------------------------------------------------------------


def show_satisfaction(frame: pl.DataFrame, catalog: Catalog) -> None:
    """CSAT and NPS for OTIF orders against missed ones, each with its sample."""
    if frame.is_empty():
        st.info("No survey answers are linked to measured orders in this window.")
        return
    kept = frame.filter(pl.col("otif")).to_dicts()
    missed = frame.filter(~pl.col("otif")).to_dicts()
    cols = st.columns(4)
    for i, (name, label) in enumerate((("csat", "CSAT"), ("nps", "NPS"))):
        m = catalog.metric(name)
        good = kept[0] if kept else {}
        bad = missed[0] if missed else {}
        with cols[2 * i]:
            st.metric(f"{label} · order OTIF", fmt.value(good.get(name), m.format), border=True)
            st.caption(f"n={good.get(f'{name}_n', 0):,}" + _small(good.get(f"{name}_n"), m))
        with cols[2 * i + 1]:
            gap = (
                (bad.get(name) - good.get(name))
                if bad.get(name) is not None and good.get(name) is not None
                else None
            )
            st.metric(
                f"{label} · order missed",
                fmt.value(bad.get(name), m.format),
                fmt.delta(gap, m.format),
                delta_description="vs OTIF orders",
                border=True,
            )
            st.caption(f"n={bad.get(f'{name}_n', 0):,}" + _small(bad.get(f"{name}_n"), m))


def _small(n: int | None, m: MetricBase) -> str:
    note = fmt.sample_note(n, m.min_sample)
    return f" · :orange[:material/warning: {note}]" if note else ""


def section(key: str):
    """The review's section ``key`` (SECTIONS): ``ui.page.section``, True when open."""
    return page.section(SECTIONS[key], key)
