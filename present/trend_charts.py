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
    STATUS_SHAPE_SCALE,
    STATUS_WORD_SCALE,
    STATUS_WORDS,
    target_label,
    template,
    tick_labels,
    value_axis,
    with_words,
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
    m: MetricBase,
    *_args: Any,
    grain: str | None = None,
    actions: Sequence[tuple[dt.date, str]] = (),
    currency: str | None = None,
    **_kwargs: Any,
) -> pl.DataFrame:
    """Adds ``tick`` (the period's axis label), ``ly`` (last year's value, if known), ``last``,
    ``ly_text`` (last year's label at its line's end, saying how many periods it covers when
    the data does not reach a year back for all of them), ``action`` (the actions decided in
    the period, if any), ``mark`` (the point's shape: its status in words, or partial) and the
    words of ``with_words``."""
    frame = frame.sort("period")
    ly = pl.col("ly_value") if "ly_value" in frame.columns else pl.lit(None, dtype=pl.Float64)
    periods = frame["period"].to_list()
    frame = with_words(
        frame.with_columns(
            tick=pl.Series(tick_labels(periods, grain), dtype=pl.String),
            ly=ly.cast(pl.Float64),
            action=pl.Series(_action_notes(periods, grain, actions), dtype=pl.String),
        ),
        m,
        currency=currency,
    )
    known = frame["ly"].drop_nulls().len()
    cover = "" if known in (0, frame.height) else f" ({known} of {frame.height})"
    last_ly = frame.filter(pl.col("ly").is_not_null())["period"].max() if known else None
    partial = pl.col("partial").fill_null(False) if "partial" in frame.columns else pl.lit(False)
    return frame.with_columns(
        last=pl.int_range(pl.len()) == pl.len() - 1,
        ly_text=pl.when(pl.col("period") == pl.lit(last_ly, dtype=frame.schema["period"])).then(
            pl.lit(f"last year{cover}")
        ),
        mark=pl.when(partial).then(pl.lit("partial")).otherwise(pl.col("judged")),
    )


def _has_ly(frame: pl.DataFrame, *_args: Any, **_kwargs: Any) -> bool:
    return frame["ly"].drop_nulls().len() > 0


def _trend_shape(frame: pl.DataFrame, *_args: Any, **_kwargs: Any) -> tuple[bool, bool, bool]:
    return (
        _has_ly(frame),
        frame["action"].drop_nulls().len() > 0,
        frame["target_text"].drop_nulls().len() > 0,
    )


MARKS = [*STATUS_WORDS, "partial"]  # the trend's point shapes: the status, or a partial period


@template(prepare=_trend_frame, shape=_trend_shape)
def trend(
    frame: pl.DataFrame,
    m: MetricBase,
    *,
    height: int = 250,
    grain: str | None = None,
    actions: Sequence[tuple[dt.date, str]] = (),
    currency: str | None = None,
) -> alt.LayerChart:
    """Value per period (one tick per period), points coloured and shaped by status (a small
    sample hollow and grey, never on or off target), the target dashed and labelled at its end,
    last year's values as a lighter labelled line with its points; partial periods as
    triangles; each action of the log (``actions``: its date and text) a dotted rule marked ◆
    in its period. The y scale holds this year, last year and the target, with room above."""
    axis = fmt.axis_format(m.format)
    has_ly, has_actions, has_target = _trend_shape(frame)
    x = alt.X(
        "tick:O",
        sort=alt.EncodingSortField(field="period", op="min"),
        title=None,
        axis=alt.Axis(labelAngle=0, labelOverlap="greedy"),
    )
    base = alt.Chart(frame).encode(x=x)
    y = alt.Y(
        "value:Q",
        title=None,
        axis=value_axis(m.format, currency),
        scale=alt.Scale(zero=False, nice=True, padding=14),  # nothing drawn on the frame's edge
    )
    line = base.mark_line(color=BLUE).encode(y=y)
    tooltip = [
        alt.Tooltip("period:T", title="Period from", format="%d %b %Y"),
        alt.Tooltip("shown:N", title=m.label),
        alt.Tooltip("judged:N", title="Status"),
        alt.Tooltip("ly:Q", title="Last year", format=axis),
        alt.Tooltip("target:Q", title="Target", format=axis),
        alt.Tooltip("n:Q", title="Sample", format=","),
        alt.Tooltip("partial:N", title="Partial"),
    ]
    # one legend: each status (and a partial period) by colour and shape, in words (a chart too
    # short to spare its height, such as a pair's, goes without: its page says the colours)
    legend = (
        None
        if height < 200
        else alt.Legend(
            orient="top",
            symbolSize=50,
            labelFontSize=11,
            padding=0,
            offset=4,
            columnPadding=10,
            values=MARKS[:4] + MARKS[5:],
        )
    )
    color = alt.Color(
        "mark:N",
        title=None,
        scale=alt.Scale(domain=MARKS, range=[*STATUS_WORD_SCALE.range, BLUE]),
        legend=legend,
    )
    shape = alt.Shape(
        "mark:N",
        title=None,
        scale=alt.Scale(domain=MARKS, range=[*STATUS_SHAPE_SCALE.range, "triangle"]),
        legend=legend,
    )
    points = base.mark_point(size=70, filled=True).encode(
        y="value:Q", color=color, shape=shape, tooltip=tooltip
    )
    small = base.mark_point(size=70, filled=False, strokeWidth=2).encode(
        y="value:Q", color=color, shape=shape, tooltip=tooltip
    )
    layers = [
        line,
        base.mark_line(strokeDash=[6, 4], color=GREY).encode(y="target:Q"),
        points.transform_filter("!datum.small"),
        small.transform_filter("datum.small"),
    ]
    if has_target:
        layers.append(target_label(base))
    if has_ly:
        ly_tip = [alt.Tooltip("period:T", title="Period from", format="%d %b %Y")]
        ly_tip.append(alt.Tooltip("ly:Q", title="Last year", format=axis))
        layers.insert(0, base.mark_line(color=LIGHT, strokeWidth=2).encode(y="ly:Q"))
        layers.insert(
            1, base.mark_point(color=LIGHT, filled=True, size=30).encode(y="ly:Q", tooltip=ly_tip)
        )
        layers.append(
            base.mark_text(align="left", dx=8, color=LIGHT_TEXT, fontSize=11)
            .encode(y="ly:Q", text="ly_text:N")
            .transform_filter("datum.ly_text != null")
        )
    if has_actions:
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
