"""Explore's state: the URL-bound choices, the picked bar or row, and the chart.

Choices live in bound widgets (metric, by, every, failing); the picked value
lives in plain query parameters ``pick`` (dimension value) and ``at`` (period
start), so a pasted link narrows the records the same way a click does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from metrics.catalog import Catalog, did_you_mean
from metrics.customers import CUSTOMER_DIMS
from metrics.periods import period_end
from metrics.spec import MetricBase
from metrics.sqlgen import Query
from present import format as fmt
from present.explore_charts import by_dimension, over_time
from ui import charts
from ui.filters import View

EVERY = ("total", "day", "week", "month", "quarter")
NONE = "(none)"
CHART_LIMIT = 40  # bars or lines drawn; the table keeps every row


@dataclass(frozen=True)
class Pick:
    value: str | None = None  # a value of the ``by`` dimension
    at: dt.date | None = None  # a period start

    @property
    def empty(self) -> bool:
        return self.value is None and self.at is None

    def describe(self, dim: str | None, grain: str) -> str:
        """The pick in words, for a markdown caption (its value from the link, escaped)."""
        value = fmt.escape_markdown(self.value)
        parts = [f"{dim} = {value}"] if self.value is not None and dim else []
        parts += [fmt.period_caption(self.at, grain)] if self.at else []
        return " · ".join(parts)

    def is_no_value(self, dim: str | None) -> bool:
        """The pick is the row of records without a value for ``dim`` ('(no customer)', ...)."""
        return dim is not None and self.value == fmt.no_value_label(dim)


def note(text: str) -> None:
    st.session_state.setdefault("_explore_notes", []).append(text)


def check_url(catalog: Catalog) -> None:
    """Plain notes for link values the widgets would silently drop."""
    st.session_state["_explore_notes"] = []
    metric = st.query_params.get("metric")
    if metric and metric not in catalog.metrics:
        note(
            f"The link names an unknown metric '{metric}'{did_you_mean(metric, catalog.metrics)}; "
            "showing OTIF instead."
        )
        return
    by = st.query_params.get("by")
    offered = catalog.dimensions_of(metric or "otif")
    if by and by != NONE and by not in offered:
        note(f"'{by}' is not a dimension of {metric or 'otif'}; it has: {', '.join(offered)}.")
    every = st.query_params.get("every")
    if every and every not in EVERY:
        note(f"The link's grain '{every}' is not one of {', '.join(EVERY)}; showing the total.")


def url_selectbox(
    label: str, options: list[str], *, key: str, default: str, format_func=str, on_change=None
) -> str:
    """A selectbox whose value is the option's name in the URL (``?key=name``), shown by its label."""
    if key not in st.session_state:
        raw = st.query_params.get(key)
        st.session_state[key] = raw if raw in options else default
    elif st.session_state[key] not in options:
        st.session_state[key] = default
    value = st.selectbox(label, options, key=key, format_func=format_func, on_change=on_change)
    st.query_params[key] = value
    return value


def url_toggle(label: str, *, key: str, help: str | None = None) -> bool:
    if key not in st.session_state:
        st.session_state[key] = st.query_params.get(key) in ("1", "true", "yes")
    value = st.toggle(label, key=key, help=help)
    if value:
        st.query_params[key] = "1"
    else:
        st.query_params.pop(key, None)
    return value


def reset_pick() -> None:
    for key in ("pick", "at"):
        st.query_params.pop(key, None)
    st.session_state["_explore_nonce"] = st.session_state.get("_explore_nonce", 0) + 1
    st.session_state.pop("_explore_clicks", None)


def new_click(
    table_event: Any, chart_event: Any, frame: pl.DataFrame, dim: str | None
) -> Pick | None:
    """The pick of a click made since the last run (kept in the URL), or None."""
    previous = st.session_state.get("_explore_clicks", ([], []))
    pick, st.session_state["_explore_clicks"] = event_pick(
        table_event, chart_event, frame, dim, previous
    )
    if pick is not None:
        store_pick(pick)
    return pick


def nonce() -> int:
    return st.session_state.get("_explore_nonce", 0)


def url_pick() -> Pick:
    at_text = st.query_params.get("at")
    try:
        at = dt.date.fromisoformat(at_text) if at_text else None
    except ValueError:
        note(f"The link's period '{at_text}' is not a date (YYYY-MM-DD); ignoring it.")
        at = None
    return Pick(st.query_params.get("pick") or None, at)


def event_pick(
    table_event: Any,
    chart_event: Any,
    frame: pl.DataFrame,
    dim: str | None,
    previous: tuple[list, list] = ([], []),
) -> tuple[Pick | None, tuple[list, list]]:
    """What the latest click asks for, and the click state to compare the next run against.

    A newly clicked row or mark gives its pick; a cleared selection gives an empty
    pick (everything); no new click gives None (keep the link's pick).
    """
    rows = list(_get(_get(table_event, "selection"), "rows") or [])
    marks = list(_get(_get(chart_event, "selection"), "pick") or [])
    now = (rows, marks)
    if marks != previous[1]:
        return (_mark_pick(marks[0], dim) if marks else Pick()), now
    if rows != previous[0]:
        if rows and rows[0] < frame.height:
            row = frame.row(rows[0], named=True)
            return Pick(_text(row.get(dim)) if dim else None, row.get("period")), now
        return Pick(), now
    return None, now


def _mark_pick(mark: dict[str, Any], dim: str | None) -> Pick:
    at = mark.get("period")
    if isinstance(at, (int, float)):  # Vega-Lite gives times as epoch milliseconds
        at = dt.datetime.fromtimestamp(at / 1000, dt.UTC).date()
    return Pick(_text(mark.get(dim)) if dim else None, at)


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def store_pick(pick: Pick) -> None:
    """Put the pick in the URL (or take it out when empty)."""
    for key, value in (("pick", pick.value), ("at", pick.at.isoformat() if pick.at else None)):
        if value:
            st.query_params[key] = value
        else:
            st.query_params.pop(key, None)


def aggregate_query(view: View, metric: str, dim: str | None, every: str) -> Query:
    by = (dim,) if dim else ()
    if every == "total":
        return view.query(metric, by=by)
    return view.trend_query(metric, grain=every).replace(by=by)


def records_query(agg: Query, dim: str | None, pick: Pick) -> Query:
    """The aggregate's query narrowed to the picked value and period."""
    q = agg.replace(grain=None, by=())
    if dim and pick.value is not None and not pick.is_no_value(dim):
        q = q.replace(where=q.where + ((dim, (pick.value,)),))
    if pick.at and agg.grain:
        q = q.replace(date_from=pick.at, date_to=min(period_end(pick.at, agg.grain), agg.as_of))
    return q


def narrow_records(records: pl.DataFrame, dim: str | None, pick: Pick) -> pl.DataFrame:
    """The records of a picked '(no customer)'-style row: those without a value for ``dim``."""
    if not pick.is_no_value(dim):
        return records
    if dim in records.columns:
        return records.filter(pl.col(dim).is_null())
    if dim in CUSTOMER_DIMS and "customer_id" in records.columns:  # no customer, no region
        return records.filter(pl.col("customer_id").is_null())
    return records


def draw_chart(
    frame: pl.DataFrame, m: MetricBase, dim: str | None, every: str, pick: Pick, *, key: str
):
    """Bars per dimension value for a total, lines over time otherwise, clickable; returns the
    chart's selection state, or None (nothing drawn) for a single total."""
    options = {"on_select": "rerun", "selection_mode": "pick", "key": key}
    if every != "total":
        return charts.draw(over_time, frame, m, dim, **options)
    if dim:
        return charts.draw(by_dimension, frame, m, dim, picked=pick.value, **options)
    return None


def chart_frame(frame: pl.DataFrame, dim: str | None) -> pl.DataFrame:
    """At most CHART_LIMIT dimension values, the largest samples first."""
    if not dim or frame.is_empty():
        return frame
    top = (
        frame.group_by(dim).agg(pl.col("n").sum()).sort("n", descending=True).head(CHART_LIMIT)[dim]
    )
    return frame.filter(pl.col(dim).is_in(top.implode()))
