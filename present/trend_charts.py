"""Charts of a metric over time against its target: the trend (with last year and the actions
decided) and a pair's attainment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import altair as alt
import polars as pl

from metrics.periods import period_start
from metrics.spec import MetricBase
from present import format as fmt
from present.chart_builders import (
    BLUE,
    GREY,
    LIGHT,
    LIGHT_TEXT,
    ORANGE,
    STATUS_SCALE,
    template,
    tick_labels,
)


def _action_notes(
    periods: list[dt.date], grain: str | None, actions: Sequence[tuple[dt.date, str]]
) -> list[str | None]:
    """Per period, the actions dated in it ('A3 Add a second shift; A4 ...'), or None."""
    notes: dict[dt.date, list[str]] = {}
    for day, text in actions:
        start = period_start(day, grain) if grain else day
        notes.setdefault(start, []).append(text)
    return ["; ".join(notes[p]) if p in notes else None for p in periods]


def _trend_frame(
    frame: pl.DataFrame,
    *_args: Any,
    grain: str | None = None,
    actions: Sequence[tuple[dt.date, str]] = (),
    **_kwargs: Any,
) -> pl.DataFrame:
    """Adds ``tick`` (the period's axis label), ``ly`` (last year's value, if known), ``last``
    and ``action`` (the actions decided in the period, if any)."""
    frame = frame.sort("period")
    ly = pl.col("ly_value") if "ly_value" in frame.columns else pl.lit(None, dtype=pl.Float64)
    periods = frame["period"].to_list()
    return frame.with_columns(
        tick=pl.Series(tick_labels(periods, grain), dtype=pl.String),
        ly=ly.cast(pl.Float64),
        last=pl.int_range(pl.len()) == pl.len() - 1,
        action=pl.Series(_action_notes(periods, grain, actions), dtype=pl.String),
    )


def _has_ly(frame: pl.DataFrame, *_args: Any, **_kwargs: Any) -> bool:
    return frame["ly"].drop_nulls().len() > 0


def _trend_shape(frame: pl.DataFrame, *_args: Any, **_kwargs: Any) -> tuple[bool, bool]:
    return _has_ly(frame), frame["action"].drop_nulls().len() > 0


@template(prepare=_trend_frame, shape=_trend_shape)
def trend(
    frame: pl.DataFrame,
    m: MetricBase,
    *,
    height: int = 220,
    grain: str | None = None,
    actions: Sequence[tuple[dt.date, str]] = (),
) -> alt.LayerChart:
    """Value per period (one tick per period), points coloured by status, target dashed,
    last year's values as a lighter labelled line; partial periods as triangles; each action
    of the log (``actions``: its date and text) a dotted rule marked ◆ in its period."""
    axis = fmt.axis_format(m.format)
    x = alt.X(
        "tick:O",
        sort=alt.EncodingSortField(field="period", op="min"),
        title=None,
        axis=alt.Axis(labelAngle=0, labelOverlap="greedy"),
    )
    base = alt.Chart(frame).encode(x=x)
    y = alt.Y("value:Q", title=None, axis=alt.Axis(format=axis), scale=alt.Scale(zero=False))
    line = base.mark_line(color=BLUE).encode(y=y)
    points = base.mark_point(size=70, filled=True).encode(
        y="value:Q",
        color=alt.Color("status:N", scale=STATUS_SCALE, legend=None),
        shape=alt.Shape(
            "partial:N",
            scale=alt.Scale(domain=[False, True], range=["circle", "triangle"]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("period:T", title="Period from", format="%d %b %Y"),
            alt.Tooltip("value:Q", title=m.label, format=axis),
            alt.Tooltip("ly:Q", title="Last year", format=axis),
            alt.Tooltip("target:Q", title="Target", format=axis),
            alt.Tooltip("n:Q", title="Sample", format=","),
            alt.Tooltip("partial:N", title="Partial"),
        ],
    )
    target = base.mark_line(strokeDash=[6, 4], color=GREY).encode(y="target:Q")
    layers = [line, target, points]
    if _has_ly(frame):
        layers.insert(0, base.mark_line(color=LIGHT, strokeWidth=2).encode(y="ly:Q"))
        layers.append(
            base.mark_text(align="left", dx=6, color=LIGHT_TEXT, fontSize=11)
            .encode(y="ly:Q", text=alt.value("last year"))
            .transform_filter(alt.datum.last)
        )
    if _trend_shape(frame)[1]:
        marked = base.transform_filter("datum.action != null")
        tip = [
            alt.Tooltip("period:T", title="Period from", format="%d %b %Y"),
            alt.Tooltip("action:N", title="Action"),
        ]
        layers.append(marked.mark_rule(color="black", strokeDash=[2, 3]).encode(tooltip=tip))
        layers.append(
            marked.mark_text(text="◆", fontSize=14, color="black", baseline="top").encode(
                y=alt.value(0), tooltip=tip
            )
        )
    return alt.layer(*layers).properties(height=height)


def _labels(frame: pl.DataFrame, **_options: Any) -> tuple[str, ...]:
    """Customer, then department."""
    return tuple(frame.sort("role")["label"].unique(maintain_order=True).to_list())


@template(shape=_labels)
def attainment(frame: pl.DataFrame, *, height: int = 200) -> alt.LayerChart:
    """Two metrics of different units on one scale: value as a share of target (100 % = on target).

    ``frame`` has period, label, role (customer|department), attainment (lower-is-better: target / value).
    """
    labels = list(_labels(frame))
    base = alt.Chart(frame).encode(x=alt.X("period:T", title=None, axis=alt.Axis(format="%d %b")))
    lines = base.mark_line(point=True).encode(
        y=alt.Y(
            "attainment:Q",
            title="% of target",
            axis=alt.Axis(format=".0%"),
            scale=alt.Scale(zero=False),
        ),
        color=alt.Color(
            "label:N",
            title=None,
            legend=alt.Legend(orient="top"),
            scale=alt.Scale(domain=labels, range=[BLUE, ORANGE]),
        ),
        tooltip=[
            alt.Tooltip("period:T", format="%d %b %Y"),
            "label:N",
            alt.Tooltip("shown:N", title="Value"),
            alt.Tooltip("attainment:Q", format=".0%"),
        ],
    )
    rule = (
        alt.Chart(pl.DataFrame({"y": [1.0]}))
        .mark_rule(strokeDash=[6, 4], color=GREY)
        .encode(y="y:Q")
    )
    return alt.layer(rule, lines).properties(height=height)
