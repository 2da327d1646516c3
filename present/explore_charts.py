"""Explore's clickable charts: a metric per value of a dimension, and over time."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from metrics.spec import MetricBase
from present import format as fmt
from present.chart_builders import BLUE, GREY, STATUS_SCALE, template


def _has_target(frame: pl.DataFrame) -> bool:
    return frame["target"].drop_nulls().len() > 0


def _ranked(frame: pl.DataFrame, m: MetricBase, dim: str, **_options: Any) -> pl.DataFrame:
    """Values as text (no value shown as its own labelled bar), best first, ``rank`` the bars'
    order; a value without a target is grey."""
    return (
        fmt.label_missing(frame, [dim])
        .with_columns(pl.col("status").fill_null("none"))
        .sort("value", descending=m.direction == "up", nulls_last=True)
        .with_columns(rank=pl.int_range(pl.len(), dtype=pl.UInt32))
    )


def _bars_shape(frame: pl.DataFrame, *_args: Any, **_options: Any) -> tuple[bool, bool]:
    return _has_target(frame), frame.height <= 8


@template(prepare=_ranked, shape=_bars_shape)
def by_dimension(
    frame: pl.DataFrame, m: MetricBase, dim: str, *, picked: str | None, height: int = 320
) -> alt.LayerChart:
    """A metric's value per dimension value, clickable; the target as a dashed rule."""
    axis = fmt.axis_format(m.format)
    pick = alt.selection_point(name="pick", fields=[dim])
    has_target, few = _bars_shape(frame)
    x = alt.X(
        f"{dim}:N",
        sort=alt.EncodingSortField(field="rank", op="min"),
        title=None,
        axis=alt.Axis(labelAngle=0 if few else -40),
    )
    opacity = (
        alt.condition(alt.datum[dim] == picked, alt.value(1.0), alt.value(0.35))
        if picked
        else alt.value(1.0)
    )
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("value:Q", title=m.label, axis=alt.Axis(format=axis)),
            color=alt.Color("status:N", scale=STATUS_SCALE, legend=None),
            opacity=opacity,
            tooltip=[
                alt.Tooltip(f"{dim}:N"),
                alt.Tooltip("value:Q", title=m.label, format=axis),
                alt.Tooltip("target:Q", title="Target", format=axis),
                alt.Tooltip("n:Q", title="Sample"),
            ],
        )
        .add_params(pick)
    )
    layers = [bars]
    if has_target:
        layers.append(
            alt.Chart(frame)
            .mark_tick(color="black", thickness=2, size=30)
            .encode(x=x, y="target:Q")
        )
    return alt.layer(*layers).properties(height=height)


def _line_shape(frame: pl.DataFrame, *_args: Any, **_options: Any) -> bool:
    return _has_target(frame)


@template(shape=_line_shape)
def over_time(
    frame: pl.DataFrame, m: MetricBase, dim: str | None, *, height: int = 320
) -> alt.LayerChart:
    """A metric per period (one line per dimension value), clickable points, target dashed."""
    axis = fmt.axis_format(m.format)
    fields = ["period"] + ([dim] if dim else [])
    pick = alt.selection_point(name="pick", fields=fields)
    base = alt.Chart(frame).encode(x=alt.X("period:T", title=None))
    color = alt.Color(f"{dim}:N", title=None) if dim else alt.value(BLUE)
    line = (
        base.mark_line(point=alt.OverlayMarkDef(size=60))
        .encode(
            y=alt.Y(
                "value:Q", title=m.label, axis=alt.Axis(format=axis), scale=alt.Scale(zero=False)
            ),
            color=color,
            tooltip=[
                alt.Tooltip("period:T", format="%d %b %Y"),
                *([alt.Tooltip(f"{dim}:N")] if dim else []),
                alt.Tooltip("value:Q", title=m.label, format=axis),
                alt.Tooltip("n:Q", title="Sample"),
            ],
        )
        .add_params(pick)
    )
    layers = [line]
    if _has_target(frame) and not dim:
        layers.append(base.mark_line(strokeDash=[6, 4], color=GREY).encode(y="target:Q"))
    return alt.layer(*layers).properties(height=height)
