"""Altair chart builders, free of Streamlit (the pages draw them through ``ui.charts``, the
review pack renders them server-side): trends with targets, the promise waterfall, drivers
and pairs.

Frames arrive aggregated (hundreds of rows at most): Streamlit ships every row
to the browser. ``draw`` shows a chart: building an Altair chart and turning it
into a Vega-Lite spec costs 50-80 ms of Python per chart, so ``draw`` builds a
chart's spec once per *structure* (builder, options, columns and ``shape``) and
then only swaps its data. Each builder is marked with ``@template``: its
``prepare`` step (cheap Polars, run on every draw) derives the frame the chart
shows, and ``shape`` is all the spec depends on of that frame's values.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import altair as alt
import polars as pl

from metrics.periods import period_start
from metrics.spec import MetricBase
from present import format as fmt

STATUS_SCALE = alt.Scale(  # "none": a value without a target
    domain=["green", "amber", "red", "none"],
    range=[
        fmt.STATUS_COLOR["green"],
        fmt.STATUS_COLOR["amber"],
        fmt.STATUS_COLOR["red"],
        "#9e9e9e",
    ],
)
RED, GREY, BLUE, GREEN, ORANGE = "#c62828", "#9e9e9e", "#1f4e79", "#2e7d32", "#e08a00"
LIGHT, LIGHT_TEXT = "#a9bdd6", "#5f7fa6"  # last year's line and its label
PALE_RED = "#ef9a9a"  # misses still open


def _as_is(frame: pl.DataFrame, *_args: Any, **_kwargs: Any) -> pl.DataFrame:
    return frame


def _no_shape(_frame: pl.DataFrame, *_args: Any, **_kwargs: Any) -> Hashable:
    return ()


def template(
    *,
    prepare: Callable[..., pl.DataFrame] = _as_is,
    shape: Callable[..., Hashable] = _no_shape,
) -> Callable[[Callable[..., alt.TopLevelMixin]], Callable[..., alt.TopLevelMixin]]:
    """Mark a chart builder whose spec ``draw`` may build once and refill with new data.

    ``prepare(frame, *args, **kwargs)`` derives the frame the chart shows (new columns, casts,
    ranks). The decorated function charts that prepared frame as it is, plus constant frames of
    its own, and depends on its values only through ``shape(prepared, *args, **kwargs)`` (small,
    hashable). Called directly, the builder prepares its frame itself.
    """

    def decorate(body: Callable[..., alt.TopLevelMixin]) -> Callable[..., alt.TopLevelMixin]:
        @functools.wraps(body)
        def build(frame: pl.DataFrame, *args: Any, **kwargs: Any) -> alt.TopLevelMixin:
            return body(prepare(frame, *args, **kwargs), *args, **kwargs)

        build.prepare, build.shape, build.body = prepare, shape, body  # type: ignore[attr-defined]
        return build

    return decorate


def _tick(p: Any, grain: str | None) -> str:
    if grain == "quarter":
        return f"Q{(p.month - 1) // 3 + 1}"
    if grain in ("month", "year"):
        return f"{p:%b}"
    return f"{p.day} {p:%b}"


def _tick_labels(periods: list, grain: str | None) -> list[str]:
    """One label per period, carrying the year on the first tick and where it changes."""
    labels, year = [], None
    for p in periods:
        text = _tick(p, grain)
        labels.append(text if p.year == year else f"{text} {p.year}")
        year = p.year
    return labels


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
        tick=pl.Series(_tick_labels(periods, grain), dtype=pl.String),
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


def _waterfall_frame(funnel: pl.DataFrame, **_options: Any) -> pl.DataFrame:
    kind = (
        pl.when(pl.col("reason").is_not_null())
        .then(pl.lit("missed"))
        .when(pl.col("step") == "OTIF")
        .then(pl.lit("kept"))
        .otherwise(pl.lit("due"))
    )
    due = funnel["orders"][0] if funnel.height and funnel["orders"][0] else None
    open_ = pl.col("open") if "open" in funnel.columns else pl.lit(0)
    owner = pl.col("owner") if "owner" in funnel.columns else pl.lit(None, dtype=pl.String)
    return funnel.with_columns(
        kind=kind,
        label=pl.format(
            "{}\n{}", pl.col("orders"), (pl.col("share") * 100).round(1).cast(pl.String) + "%"
        ),
        open=open_.fill_null(0).cast(pl.Int64),
        owner=owner.fill_null("—"),
    ).with_columns(
        open_top=pl.col("end") + (pl.col("open") / due if due else pl.lit(0.0)),
    )


def _steps(frame: pl.DataFrame, **_options: Any) -> tuple[str, ...]:
    return tuple(frame["step"].to_list())


@template(prepare=_waterfall_frame, shape=_steps)
def waterfall(frame: pl.DataFrame, *, height: int = 280) -> alt.LayerChart:
    """From 100 % of orders due (a full bar), each miss reason takes its share, leaving OTIF.
    The lighter part of a reason's bar is its misses still open (cause may change)."""
    order = list(_steps(frame))
    axis = alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')", labelOverlap=False)
    base = alt.Chart(frame).encode(x=alt.X("step:N", sort=order, title=None, axis=axis))
    tooltip = [
        alt.Tooltip("step:N", title="Step"),
        alt.Tooltip("orders:Q", title="Orders", format=","),
        alt.Tooltip("open:Q", title="Still open (cause may change)", format=","),
        alt.Tooltip("share:Q", title="Share of due", format=".1%"),
        alt.Tooltip("owner:N", title="Owner"),
    ]
    bars = base.mark_bar().encode(
        y=alt.Y(
            "start:Q",
            title="Share of orders due",
            axis=alt.Axis(format=".0%", values=[0, 0.2, 0.4, 0.6, 0.8, 1.0]),
            scale=alt.Scale(domain=[0, 1.12]),  # room for the labels above a full bar
        ),
        y2="end:Q",
        color=alt.Color(
            "kind:N",
            legend=None,
            scale=alt.Scale(domain=["due", "missed", "kept"], range=[BLUE, RED, GREEN]),
        ),
        tooltip=tooltip,
    )
    still_open = (
        base.mark_bar(color=PALE_RED)
        .encode(y="open_top:Q", y2="end:Q", tooltip=tooltip)
        .transform_filter(alt.datum.open > 0)
    )
    text = base.mark_text(dy=-16, fontSize=11, lineBreak="\n").encode(y="start:Q", text="label:N")
    return alt.layer(bars, still_open, text).properties(height=height)


def _worse(frame: pl.DataFrame, *_args: Any, **_options: Any) -> pl.DataFrame:
    """``worse``: more misses than volume alone explains; ``shown``: the value, with its owner."""
    owner = pl.col("owner") if "owner" in frame.columns else pl.lit(None, dtype=pl.String)
    link = pl.col("link") if "link" in frame.columns else pl.lit(None, dtype=pl.String)
    return frame.with_columns(
        worse=pl.col("excess") > 0.5,
        shown=pl.when(owner.is_not_null())
        .then(pl.format("{} · {}", pl.col("value"), owner))
        .otherwise(pl.col("value")),
        owner=owner.fill_null("—"),
        link=link,
    )


def _rows(frame: pl.DataFrame, *_args: Any, **_options: Any) -> int:
    return frame.height


BAR_ROW = 34  # px per bar of a driver chart
AXIS_ROOM = 80  # px of the x axis, its title and padding (the height is the whole chart)


@template(prepare=_worse, shape=_rows)
def contributors(frame: pl.DataFrame, title: str) -> alt.Chart:
    """Missed lines per value (an owner, if any, beside it); red where misses exceed what
    volume alone explains, and a red bar opens its records."""
    return (
        alt.Chart(frame)
        .mark_bar(size=20)
        .encode(
            y=alt.Y(
                "shown:N",
                sort="-x",
                title=None,
                axis=alt.Axis(
                    labelOverlap=False,
                    labelLimit=150,
                    labelFontSize=11,
                    labelLineHeight=12,  # a value and its owner on two lines within a bar's row
                    labelExpr="split(datum.label, ' · ')",
                ),
            ),
            x=alt.X(
                "missed:Q",
                title="Missed lines",
                axis=alt.Axis(tickMinStep=1, format="d", labelOverlap=True),
                scale=alt.Scale(domainMin=0, nice=True),
            ),
            color=alt.Color(
                "worse:N", legend=None, scale=alt.Scale(domain=[True, False], range=[RED, GREY])
            ),
            href=alt.condition(alt.datum.worse, "link:N", alt.value(None)),
            tooltip=[
                alt.Tooltip("value:N", title=title),
                alt.Tooltip("owner:N", title="Owner"),
                alt.Tooltip("missed:Q", title="Missed lines"),
                alt.Tooltip("lines:Q", title="Lines due", format=","),
                alt.Tooltip("share:Q", title="Share of all misses", format=".0%"),
                alt.Tooltip("otif:Q", title="Line OTIF", format=".1%"),
                alt.Tooltip("excess:Q", title="Misses beyond its volume", format="+.1f"),
            ],
        )
        .properties(height=BAR_ROW * max(frame.height, 2) + AXIS_ROOM)
    )


REASON_COLORS = ["#8e5a00", "#e08a00", "#7b4ea3", RED, "#5f9ed1", BLUE]  # spec order of reasons


def _mix_frame(
    mix: pl.DataFrame, labels: tuple[str, ...], *, grain: str | None = None, **_options: Any
) -> pl.DataFrame:
    """One row per period, reason and state (settled or still open), with the period's tick
    and ``order``: reasons stacked in the spec's order, each one's open part above it."""
    periods = mix["period"].unique().sort().to_list()
    ticks = pl.DataFrame(
        {"period": periods, "tick": _tick_labels(periods, grain)},
        schema={"period": mix.schema["period"], "tick": pl.String},
    )
    rank = {label: i for i, label in enumerate(labels)}
    parts = pl.concat(
        [
            mix.with_columns(state=pl.lit("settled"), count=pl.col("orders") - pl.col("open"), o=0),
            mix.with_columns(state=pl.lit("still open"), count=pl.col("open"), o=1),
        ]
    )
    return (
        parts.join(ticks, on="period")
        .with_columns(
            part=pl.when(pl.col("missed") > 0).then(pl.col("count") / pl.col("missed")),
            order=pl.col("step").replace_strict(rank, default=len(rank), return_dtype=pl.Int64) * 2
            + pl.col("o"),
        )
        .drop("o")
        .filter(pl.col("count") > 0)
        .sort("period", "order")
    )


@template(prepare=_mix_frame, shape=_no_shape)
def reason_mix(
    frame: pl.DataFrame, labels: tuple[str, ...], *, grain: str | None = None, height: int = 240
) -> alt.Chart:
    """Each period's missed orders split by reason (``labels`` in the spec's order), as
    shares; the pale part of a reason is its misses still open, whose cause may change."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "tick:O",
                sort=alt.EncodingSortField(field="period", op="min"),
                title=None,
                axis=alt.Axis(labelAngle=0, labelOverlap="greedy"),
            ),
            y=alt.Y(
                "part:Q", stack="zero", title="Share of missed orders", axis=alt.Axis(format=".0%")
            ),
            color=alt.Color(
                "step:N",
                title=None,
                sort=list(labels),
                scale=alt.Scale(domain=list(labels), range=REASON_COLORS[: len(labels)]),
                legend=alt.Legend(orient="right", symbolType="square", labelLimit=140),
            ),
            opacity=alt.Opacity(
                "state:N",
                scale=alt.Scale(domain=["settled", "still open"], range=[1.0, 0.35]),
                legend=None,  # the caption says: pale = still open
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("period:T", title="Period from", format="%d %b %Y"),
                alt.Tooltip("step:N", title="Reason"),
                alt.Tooltip("owner:N", title="Owner"),
                alt.Tooltip("state:N", title="State"),
                alt.Tooltip("count:Q", title="Missed orders", format=","),
                alt.Tooltip("part:Q", title="Share of the period's misses", format=".0%"),
            ],
        )
        .properties(height=height)
    )


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
