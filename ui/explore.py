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
from present.chart_builders import SERIES
from present.explore_charts import by_dimension, over_time
from ui import charts, customer_data, data
from ui.filters import View

EVERY = ("total", "day", "week", "month", "quarter")
NONE = "(none)"
CHART_LIMIT = 40  # bars drawn; the table keeps every row
LINE_LIMIT = len(SERIES)  # lines drawn over time: as many as there are distinct colours
NAMED = {"customer_id": "customers"}  # dimensions charted by name rather than by id


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


def metric_name(catalog: Catalog, name: str) -> str:
    """A metric as the picker lists it: its label, with its name only when another shares it."""
    label = catalog.metrics[name].label
    shared = sum(m.label == label for m in catalog.metrics.values()) > 1
    return f"{label} ({name})" if shared else label


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
    chart's selection state, or None (nothing drawn) for a single total. At most CHART_LIMIT
    bars or LINE_LIMIT lines are drawn (the values with the largest samples), said in a caption
    under the chart."""
    options = {"on_select": "rerun", "selection_mode": "pick", "key": key}
    currency = fmt.currency_symbol(data.catalog().spec.settings.reporting_currency)
    drawn = largest_samples(frame, dim, CHART_LIMIT if every == "total" else LINE_LIMIT)
    if every != "total":
        event = charts.draw(over_time, drawn, m, dim, grain=every, currency=currency, **options)
    elif dim:
        event = charts.draw(
            by_dimension, drawn, m, dim, picked=pick.value, currency=currency, **options
        )
    else:
        return None
    caption = limit_caption(drawn, frame, dim)
    if caption:
        st.caption(caption)
    return event


def largest_samples(frame: pl.DataFrame, dim: str | None, limit: int = CHART_LIMIT) -> pl.DataFrame:
    """At most ``limit`` dimension values, the largest samples first."""
    if not dim or frame.is_empty():
        return frame
    sizes = frame.group_by(dim).agg(pl.col("n").sum())
    top = sizes.sort(["n", dim], descending=[True, False], nulls_last=True).head(limit)[dim]
    return frame.filter(pl.col(dim).is_in(top.implode()))


def limit_caption(drawn: pl.DataFrame, frame: pl.DataFrame, dim: str | None) -> str | None:
    """What a chart of fewer values than the table shows: 'Chart shows the 40 customers with the
    largest samples (most measured records) of 277; the table lists all 277.'"""
    if not dim or dim not in frame.columns:
        return None
    shown, total = drawn[dim].n_unique(), frame[dim].n_unique()
    if shown >= total:
        return None
    what = NAMED.get(dim, "values")
    return (
        f"Chart shows the {shown} {what} with the largest samples (most measured records) of "
        f"{total:,}; the table lists all {total:,}."
    )


def chart_frame(frame: pl.DataFrame, dim: str | None) -> pl.DataFrame:
    """The frame a chart draws: every row (``draw_chart`` keeps the largest samples and says
    so), a customer's bar or line named by the customer's name (``label``), not its id."""
    if dim not in NAMED or frame.is_empty():
        return frame
    src = data.source()
    as_of = data.as_of(src)
    directory = customer_data.directory(src, as_of) if as_of else None
    return with_names(frame, dim, directory)


def with_names(frame: pl.DataFrame, dim: str, directory: pl.DataFrame | None) -> pl.DataFrame:
    """``label``: each customer's name (with its id where two share a name), else the value."""
    if directory is None or directory.is_empty():
        return frame.with_columns(label=pl.col(dim).cast(pl.String))
    names = directory.select(pl.col("customer_id").alias(dim), pl.col("name").alias("_name"))
    named = frame.join(names, on=dim, how="left", maintain_order="left")
    twice = named.group_by("_name").agg(pl.col(dim).n_unique().alias("_ids"))
    return (
        named.join(twice, on="_name", how="left", maintain_order="left")
        .with_columns(
            label=pl.when(pl.col("_name").is_null())
            .then(pl.col(dim).cast(pl.String))
            .when(pl.col("_ids") > 1)
            .then(pl.format("{} ({})", pl.col("_name"), pl.col(dim)))
            .otherwise(pl.col("_name"))
        )
        .drop("_name", "_ids")
    )
