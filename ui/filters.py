"""Filters every page shares (region, segment, portfolio, period), bound to the URL.

They are drawn in the sidebar by ``dashboard.py`` before the page runs, so
their state carries across pages, and a pasted link restores them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from metrics import clock
from metrics.periods import (
    last_complete_period,
    period_end,
    period_start,
    recent_periods,
    shift_period,
)
from metrics.review_model import TREND
from metrics.sqlgen import Query
from present import format as fmt
from ui import data
from ui.guard import WAREHOUSE_ERRORS

GRAINS = ("week", "month", "quarter")
LATEST = "latest"  # the period choice that follows the data: its latest complete period
HISTORY = {"week": 104, "month": 24, "quarter": 8}
DIMENSIONS = ("region", "segment", "portfolio")


@dataclass(frozen=True)
class View:
    """The slice every page shows: filters, the period under review and as-of."""

    where: tuple[tuple[str, tuple[str, ...]], ...]
    grain: str
    start: dt.date
    end: dt.date
    as_of: dt.date
    latest: bool = False  # chosen as "the latest complete period", not as a date

    @property
    def partial(self) -> bool:
        return self.end > self.as_of

    @property
    def label(self) -> str:
        text = fmt.period_label(self.start, self.end, self.grain)
        return f"{text} (partial: data to {self.as_of:%d %b})" if self.partial else text

    def query(self, *metrics: str, **changes) -> Query:
        return Query(
            metrics=metrics,
            date_from=self.start,
            date_to=self.end,
            where=self.where,
            as_of=self.as_of,
        ).replace(**changes)

    def trend_query(self, *metrics: str, periods: int = TREND, grain: str | None = None) -> Query:
        """The ``periods`` periods of ``grain`` ending with the one under review."""
        grain = grain or self.grain
        last = period_start(self.end, grain)
        first = shift_period(last, grain, -(periods - 1))
        end = min(period_end(last, grain), self.as_of)
        return Query(
            metrics=metrics,
            grain=grain,
            date_from=first,
            date_to=end,
            where=self.where,
            as_of=self.as_of,
        )


def _reset_period() -> None:
    """On a new period type, review its latest complete period (the selectbox's first option,
    so the widget has no default value of its own to conflict with this one)."""
    st.session_state["period"] = LATEST


def latest_label(as_of: dt.date, grain: str, *, stale: bool = False) -> str:
    """'Latest complete week (Week 46 · 9–15 Nov 2026)'; '… in the data' when the data is stale."""
    start = last_complete_period(as_of, grain)
    where = " in the data" if stale else ""
    return f"Latest complete {grain}{where} ({fmt.period_label(start, period_end(start, grain), grain)})"


def _warn_bad_param(name: str, allowed: list[str], what: str) -> None:
    """A link naming a value the app does not know gets a plain note, not a traceback."""
    raw = st.query_params.get(name)
    if raw and raw not in allowed:
        st.session_state.setdefault("_url_notes", []).append(
            f"The link's {what} '{raw}' is not one we know; showing the default instead."
        )


def sidebar() -> None:
    """Draw the shared filters; pages read them with ``current_view``."""
    with st.sidebar:
        st.markdown("**Filters** · apply to every page")
        try:
            src = data.source()
            known = data.as_of(src)
            options = {d: data.dimension_values(src, d) for d in DIMENSIONS}
        except WAREHOUSE_ERRORS:  # the page itself explains what is wrong with the warehouse
            known, options = None, {d: [] for d in DIMENSIONS}
        as_of = known or clock.today()
        st.session_state["_url_notes"] = []
        for dim in DIMENSIONS:
            st.multiselect(
                dim.capitalize(), options[dim], key=dim, bind="query-params", placeholder="All"
            )
        _warn_bad_param("grain", list(GRAINS), "period type")
        grain = (
            st.segmented_control(
                "Period",
                GRAINS,
                key="grain",
                bind="query-params",
                default="week",
                on_change=_reset_period,
            )
            or "week"
        )
        starts = [d.isoformat() for d in recent_periods(as_of, grain, HISTORY[grain])]
        _warn_bad_param("period", [LATEST, *starts], "period")
        stale = known is not None and data.staleness(known).stale
        # options are the URL's words ("latest" or the period's first day): a bound widget
        # writes the option's label into the link, so no format_func here
        chosen = st.selectbox(
            f"{grain.capitalize()} starting", [LATEST, *starts], key="period", bind="query-params"
        )
        if chosen in starts:
            st.caption(_period_option(chosen, grain))
        else:
            st.caption(latest_label(as_of, grain, stale=stale))
        st.caption(f"Data as of **{known:%a %d %b %Y}**" if known else "No data loaded yet")


def _period_option(start: str, grain: str) -> str:
    day = dt.date.fromisoformat(start)
    return fmt.period_label(day, period_end(day, grain), grain)


def current_view(as_of: dt.date) -> View:
    """The view the sidebar's filters describe, for data as of ``as_of``."""
    s = st.session_state
    grain = s.get("grain") or "week"
    chosen = s.get("period") or LATEST
    try:
        start, latest = dt.date.fromisoformat(chosen), False
    except ValueError:  # "latest", or a value the sidebar already reported as unknown
        start, latest = last_complete_period(as_of, grain), True
    start = period_start(start, grain)
    where = tuple((d, tuple(s[d])) for d in DIMENSIONS if s.get(d))
    return View(where, grain, start, period_end(start, grain), as_of, latest)


def url_notes() -> list[str]:
    """Plain-text notes about link values the sidebar did not know (they quote the URL: escape)."""
    return list(st.session_state.get("_url_notes", []))
