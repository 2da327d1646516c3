"""Charts of OTIF misses: the promise waterfall, the drivers (contributors) and the reasons'
mix over time."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from present.chart_builders import (
    BLUE,
    GREEN,
    GREY,
    PALE_RED,
    RED,
    no_shape,
    template,
    tick_labels,
)


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


LABEL_ROW = 38  # px above the plot for each step's count and share (two lines and a gap)


@template(prepare=_waterfall_frame, shape=_steps)
def waterfall(frame: pl.DataFrame, *, height: int = 280) -> alt.LayerChart:
    """From 100 % of orders due (a full bar), each miss reason takes its share, leaving OTIF.
    The lighter part of a reason's bar is its misses still open (cause may change). Each step's
    count and share stand in one row above the plot, over its bar: never on a bar (a step's
    bar starts where the one before it ends, so a label over a bar's top would sit on its
    neighbour)."""
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
            scale=alt.Scale(domain=[0, 1]),
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
    text = base.mark_text(fontSize=11, lineBreak="\n", lineHeight=13, baseline="top").encode(
        y=alt.value(2 - LABEL_ROW), text="label:N", tooltip=tooltip
    )
    return alt.layer(bars, still_open, text).properties(height=height - LABEL_ROW)


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
        end_text=pl.when(pl.col("excess") > 0.5)
        .then(pl.format("{} · beyond volume", pl.col("missed")))
        .otherwise(pl.col("missed").cast(pl.String)),
    )


def _rows(frame: pl.DataFrame, *_args: Any, **_options: Any) -> int:
    return frame.height


BAR_ROW = 34  # px per bar of a driver chart
AXIS_ROOM = 80  # px of the x axis, its title and padding (the height is the whole chart)


@template(prepare=_worse, shape=_rows)
def contributors(frame: pl.DataFrame, title: str) -> alt.LayerChart:
    """Missed lines per value (an owner, if any, beside it); red where misses exceed what
    volume alone explains, said in words at the bar's end too, and a red bar opens its records."""
    bars = (
        alt.Chart(frame)
        .mark_bar(size=20)
        .encode(
            y=alt.Y(
                "shown:N",
                sort=alt.EncodingSortField("missed", op="max", order="descending"),
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
    )
    # the count beside each bar: text for the eye, not a second mark for a screen reader
    words = bars.mark_text(align="left", dx=4, fontSize=11, color="#424242", aria=False).encode(
        text="end_text:N", color=alt.value("#424242"), href=alt.value(None)
    )
    return alt.layer(bars, words).properties(height=BAR_ROW * max(frame.height, 2) + AXIS_ROOM)


REASON_COLORS = ["#8e5a00", "#e08a00", "#7b4ea3", RED, "#5f9ed1", BLUE]  # spec order of reasons


def _mix_frame(
    mix: pl.DataFrame, labels: tuple[str, ...], *, grain: str | None = None, **_options: Any
) -> pl.DataFrame:
    """One row per period, reason and state (settled or still open), with the period's tick
    and ``order``: reasons stacked in the spec's order, each one's open part above it."""
    periods = mix["period"].unique().sort().to_list()
    ticks = pl.DataFrame(
        {"period": periods, "tick": tick_labels(periods, grain)},
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


@template(prepare=_mix_frame, shape=no_shape)
def reason_mix(
    frame: pl.DataFrame, labels: tuple[str, ...], *, grain: str | None = None, height: int = 240
) -> alt.Chart:
    """Each period's missed orders split by reason (``labels`` in the spec's order), as
    shares; the pale part of a reason is its misses still open, whose cause may change."""
    reasons = alt.Scale(domain=list(labels), range=REASON_COLORS[: len(labels)])
    return (
        alt.Chart(frame)
        .mark_bar(strokeWidth=1.5)
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
                title="Pale inside: still open",
                sort=list(labels),
                scale=reasons,
                legend=alt.Legend(
                    orient="right",
                    symbolType="square",
                    labelLimit=140,
                    labelFontSize=11,
                    symbolSize=80,
                    rowPadding=1,
                    titleFontWeight="normal",
                    titleFontSize=11,
                    titleLimit=160,
                ),
            ),
            # a reason's misses still open: its colour pale inside, its full colour as the outline,
            # so every reason's legend colour is in its bars (some reasons are all still open)
            stroke=alt.Stroke("step:N", scale=reasons, legend=None),
            fillOpacity=alt.FillOpacity(
                "state:N", scale=alt.Scale(domain=["settled", "still open"], range=[1.0, 0.3])
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
