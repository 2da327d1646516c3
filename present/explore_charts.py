"""Explore's clickable charts: a metric per value of a dimension, and over time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import polars as pl

from metrics.spec import MetricBase
from present import format as fmt
from present.chart_builders import (
    BLUE,
    GREY,
    STATUS_SHAPE_SCALE,
    STATUS_WORD_SCALE,
    series_scale,
    target_label,
    template,
    unit_title,
    value_axis,
    with_words,
)

SMALL_EDGE = "#757575"  # the outline of a value over too few units (drawn hollow)


def _has_target(frame: pl.DataFrame) -> bool:
    return frame["target"].drop_nulls().len() > 0


def _ranked(
    frame: pl.DataFrame, m: MetricBase, dim: str, *, currency: str | None = None, **_options: Any
) -> pl.DataFrame:
    """Values as text (no value shown as its own labelled bar), best first, ``rank`` the bars'
    order; a value without a target is grey. ``label`` names a bar (a customer's name, where
    the page gave one; else the value itself)."""
    frame = fmt.label_missing(frame, [dim])
    label = pl.col("label") if "label" in frame.columns else pl.col(dim)
    ranked = (
        frame.with_columns(pl.col("status").fill_null("none"), label=label.cast(pl.String))
        .sort("value", descending=m.direction == "up", nulls_last=True)
        .with_columns(rank=pl.int_range(pl.len(), dtype=pl.UInt32))
    )
    words = with_words(ranked, m, currency=currency)
    lowest = pl.col("rank") == pl.col("rank").filter(pl.col("value") == pl.col("value").min()).min()
    return words.with_columns(  # the target's label over the lowest bar, where there is room
        target_text=pl.when(lowest).then(pl.col("target_text").drop_nulls().first())
    )


def _bars_shape(frame: pl.DataFrame, *_args: Any, **_options: Any) -> tuple[bool, bool]:
    return _has_target(frame), frame.height <= 8


@template(prepare=_ranked, shape=_bars_shape)
def by_dimension(
    frame: pl.DataFrame,
    m: MetricBase,
    dim: str,
    *,
    picked: str | None,
    height: int = 320,
    currency: str | None = None,
) -> alt.LayerChart:
    """A metric's value per dimension value (bars named by ``label``), clickable; status by
    colour and, above each bar, by shape, named in a legend; a value over too few units drawn
    hollow as a 'small sample'; the target a tick per bar, labelled once."""
    pick = alt.selection_point(name="pick", fields=[dim])
    has_target, few = _bars_shape(frame)
    x = alt.X(
        "label:N",
        sort=alt.EncodingSortField(field="rank", op="min"),
        title=None,
        axis=alt.Axis(labelAngle=0 if few else -40, labelLimit=160, labelOverlap=False),
    )
    opacity = (
        alt.condition(alt.datum[dim] == picked, alt.value(1.0), alt.value(0.35))
        if picked
        else alt.value(1.0)
    )
    tooltip = [
        alt.Tooltip("label:N", title=dim),
        alt.Tooltip("shown:N", title=m.label),
        alt.Tooltip("judged:N", title="Status"),
        alt.Tooltip("target:Q", title="Target", format=fmt.axis_format(m.format)),
        alt.Tooltip("n:Q", title="Sample", format=","),
    ]
    legend = (  # statuses only where there is a target to judge against
        alt.Legend(orient="top", title=None, labelFontSize=11, symbolSize=60)
        if has_target
        else None
    )
    color = alt.Color("judged:N", scale=STATUS_WORD_SCALE, legend=legend)
    base = alt.Chart(frame).encode(x=x)
    bars = (
        base.mark_bar()
        .encode(
            y=alt.Y("value:Q", title=unit_title(m), axis=value_axis(m.format, currency)),
            color=color,
            fillOpacity=alt.condition("datum.small", alt.value(0.15), alt.value(1.0)),
            stroke=alt.condition("datum.small", alt.value(SMALL_EDGE), alt.value(None)),
            strokeDash=alt.condition("datum.small", alt.value([3, 2]), alt.value([])),
            opacity=opacity,
            tooltip=tooltip,
        )
        .add_params(pick)
    )
    marks = base.mark_point(filled=True, size=45, yOffset=-9, stroke="white", strokeWidth=0.5)
    marks = marks.encode(
        y="value:Q",
        color=color,
        shape=alt.Shape("judged:N", scale=STATUS_SHAPE_SCALE, legend=legend),
        opacity=opacity,
        tooltip=tooltip,
    )
    layers: list[Any] = [bars]
    if has_target:
        layers.append(marks)
        tick = base.mark_tick(color="black", thickness=2, size=30 if few else 12)
        layers.append(tick.encode(y="target:Q"))
        layers.append(target_label(base, align="center"))
    # slanted names below many bars need room of their own (the page fits the whole chart)
    return alt.layer(*layers).properties(height=height if few else height + 100)


GRAIN_LABEL = {  # Vega expressions naming a period by its first day (UTC, as the data is)
    "day": "utcFormat(datum.value, '%a %-d %b')",
    "week": "utcFormat(datum.value, '%-d %b')",
    "month": "utcFormat(datum.value, '%b %Y')",
    "quarter": "'Q' + (floor(utcmonth(datum.value) / 3) + 1) + ' ' + utcyear(datum.value)",
    "year": "utcFormat(datum.value, '%Y')",
}


def grain_of(periods: list[dt.date]) -> str:
    """The grain a list of period starts was cut in (for a caller that did not say)."""
    if len(periods) < 2:
        return "day"
    gaps = {(b - a).days for a, b in zip(periods, periods[1:])}
    if all(p.day == 1 for p in periods):
        if all(p.month == 1 for p in periods):
            return "year"
        return "quarter" if all(p.month % 3 == 1 for p in periods) and min(gaps) > 80 else "month"
    if all(p.weekday() == 0 for p in periods) and min(gaps) >= 7:
        return "week"
    return "day"


def _timeline(
    frame: pl.DataFrame,
    m: MetricBase,
    dim: str | None,
    *,
    currency: str | None = None,
    **_options: Any,
) -> pl.DataFrame:
    return with_words(frame.sort("period", *([dim] if dim else [])), m, currency=currency)


def _line_shape(
    frame: pl.DataFrame, m: MetricBase, dim: str | None, *, grain: str | None = None, **_o: Any
) -> tuple:
    periods = tuple(frame["period"].unique().sort().to_list())
    series = _series(frame, dim)
    names = tuple(sorted(frame[series].cast(pl.String).unique().to_list())) if series else ()
    return _has_target(frame), periods, names, grain or grain_of(list(periods))


def _series(frame: pl.DataFrame, dim: str | None) -> str | None:
    """The column naming a line: ``label`` (a customer's name) where given, else ``dim``."""
    return ("label" if "label" in frame.columns else dim) if dim else None


def period_ticks(periods: tuple[dt.date, ...]) -> list[alt.DateTime]:
    """Tick values at the periods' first days (UTC midnight, as the dates reach the browser)."""
    return [alt.DateTime(year=p.year, month=p.month, date=p.day, utc=True) for p in periods]


@template(prepare=_timeline, shape=_line_shape)
def over_time(
    frame: pl.DataFrame,
    m: MetricBase,
    dim: str | None,
    *,
    height: int = 320,
    grain: str | None = None,
    currency: str | None = None,
) -> alt.LayerChart:
    """A metric per period (one line per dimension value, each its own colour, the same colour
    for a name in every chart), clickable points; a point over too few units hollow ('small
    sample' in its tooltip); the target dashed and labelled. Ticks on the periods' first days,
    labelled in the grain's way ('3 Nov', 'Nov 2025', 'Q4 2025')."""
    has_target, periods, names, grain = _line_shape(frame, m, dim, grain=grain)
    fields = ["period"] + ([dim] if dim else [])
    pick = alt.selection_point(name="pick", fields=fields)
    axis = alt.Axis(
        values=period_ticks(periods),
        labelExpr=GRAIN_LABEL.get(grain, GRAIN_LABEL["day"]),
        labelAngle=0,
        labelOverlap="greedy",
        grid=False,
    )
    base = alt.Chart(frame).encode(x=alt.X("period:T", title=None, axis=axis))
    series = _series(frame, dim)
    if series:
        scale = series_scale(names)
        color: Any = alt.Color(
            f"{series}:N", title=None, scale=scale, legend=alt.Legend(labelLimit=160)
        )
        stroke: Any = alt.Stroke(f"{series}:N", scale=scale, legend=None)
        fill = alt.condition(
            "datum.small", alt.value("white"), alt.Fill(f"{series}:N", scale=scale, legend=None)
        )
    else:
        color = stroke = alt.value(BLUE)
        fill = alt.condition("datum.small", alt.value("white"), alt.value(BLUE))
    y = alt.Y(
        "value:Q",
        title=unit_title(m),
        axis=value_axis(m.format, currency),
        scale=alt.Scale(zero=False, nice=False, padding=10),
    )
    tooltip = [
        alt.Tooltip("period:T", title="Period from", format="%d %b %Y"),
        *([alt.Tooltip(f"{series}:N", title=dim)] if series else []),
        alt.Tooltip("shown:N", title=m.label),
        alt.Tooltip("judged:N", title="Status"),
        alt.Tooltip("n:Q", title="Sample", format=","),
    ]
    line = base.mark_line().encode(y=y, color=color)
    points = (
        base.mark_point(size=60, filled=True, strokeWidth=2)
        .encode(y="value:Q", stroke=stroke, fill=fill, tooltip=tooltip)
        .add_params(pick)
    )
    layers: list[Any] = [line, points]
    if has_target and not dim:
        layers.append(base.mark_line(strokeDash=[6, 4], color=GREY).encode(y="target:Q"))
        layers.append(target_label(base))
    return alt.layer(*layers).properties(height=height)
