"""The wall's small multiples: the North Star and its drivers, 13 weeks, one column per split.

A week whose value still waits on open misses (``still_open``, set by ``ui.wall_board``: the
in-full drop of the latest week is mostly orders not yet delivered) is ringed with a dashed
circle, its count in its tooltip ('29 of 99 orders still open') and under its row's title
('◌ ringed: may still rise, orders still open · East 29 of 99'), so it does not read as a
collapse.

The chart is drawn for a 1920x1080 screen (``WIDTH`` design pixels wide) and the wall's CSS
scales its SVG to the column it sits in, so its labels grow and shrink with the screen.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from metrics.catalog import Catalog
from metrics.spec import Metric
from present import format as fmt
from present.chart_builders import STATUS_SHAPES, STATUS_WORDS, with_words
from present.explore_charts import GRAIN_LABEL, period_ticks

WIDTH = 1320  # design pixels: the chart column on a 1920x1080 screen
ROW_HEIGHT = 150  # plot height of one metric row
LABEL = 22  # axis labels and end-of-line values, design pixels (about 2 % of 1080)
HEADER = 25  # split names and row titles
AXIS_WIDTH = 60  # room of the y axis labels
END_LABEL = 70  # room of the last column's end-of-line values
SPACING = 72  # between the columns: room for the end-of-line values
FONT = "Source Sans, sans-serif"  # the app's font
INK, MUTED, GRID = "#f5f7fa", "#b8c1cc", "#2b3440"
LINE = "#64b5f6"
STATUS = {"green": "#4caf50", "amber": "#ffb300", "red": "#ff5252", "small": "#9aa4b2"}
# each status by colour and shape, named in the legend; a small sample hollow and grey
STATUS_COLORS = [STATUS["green"], STATUS["amber"], STATUS["red"], STATUS["small"], MUTED]
RING = 450  # the dashed ring's area around a week that still waits on open misses
# its end-of-line value, above and right of the point, clear of the ring and of the next
# column's first date (a ringed week is low: its value sits near the axis)
RING_LABEL, RING_LIFT = 12, 8
VALUE_FORMAT = {"percent": ".1%"}  # d3 format of the end-of-line values; else the axis format


def multiples_chart(
    frame: pl.DataFrame, catalog: Catalog, by: str, metrics: tuple[str, ...], short: dict[str, str]
) -> alt.VConcatChart:
    """One row per metric (its short name and owner as title), one column per region or site."""
    frame = frame.filter(pl.col(by).is_not_null())
    values = sorted(frame[by].unique().to_list()) if frame.height else []
    n = max(len(values), 1)
    cell = max(120, (WIDTH - AXIS_WIDTH - END_LABEL - (n - 1) * SPACING) // n)
    words = legend_words([catalog.metric(name) for name in metrics])
    rows = [
        _row(
            frame.filter(pl.col("metric") == name),
            catalog.metric(name),
            row_title(frame, catalog.metric(name), name, short),
            by,
            values,
            cell,
            first=i == 0,
            last=i == len(metrics) - 1,
            words=words,
        )
        for i, name in enumerate(metrics)
    ]
    return (
        alt.vconcat(*rows, spacing=10)
        .configure(background="transparent", font=FONT)
        .configure_axis(
            labelColor=MUTED,
            labelFontSize=LABEL,
            gridColor=GRID,
            domainColor="#4a5563",
            tickColor="#4a5563",
        )
        .configure_header(labelColor=INK, labelFontSize=HEADER, labelFontWeight="bold", title=None)
        .configure_title(color=INK, fontSize=HEADER, fontWeight="bold", anchor="start", offset=12)
        .configure_view(stroke=None)
        .configure_legend(
            orient="top",
            direction="horizontal",
            labelColor=INK,
            labelFontSize=LABEL,
            symbolSize=260,
            symbolStrokeWidth=3,
            columnPadding=28,
            labelLimit=420,
            padding=4,
        )
    )


def legend_words(metrics: list[Metric]) -> list[str]:
    """The legend's entries: the statuses, the small-sample one saying its threshold."""
    floors = sorted({m.min_sample for m in metrics if m.min_sample})
    small = f"small sample (n < {floors[0]})" if len(floors) == 1 else "small sample"
    return [*STATUS_WORDS[:3], small]


def row_title(frame: pl.DataFrame, m: Metric, name: str, short: dict[str, str]) -> str:
    """'OTIF · COO · target 92.0%': the metric, its owner and what the dashed line is."""
    targets = frame.filter(pl.col("metric") == name)["target"].drop_nulls().unique()
    if targets.len() == 1:
        dashed = f" · target {fmt.value(targets[0], m.format)} (dashed)"
    else:
        dashed = " · targets dashed" if targets.len() else ""
    return f"{short.get(name, m.label)} · {m.owner}{dashed}"


def open_note(part: pl.DataFrame, by: str) -> str | None:
    """Under a row's title, what its rings mean and, per column, its latest ringed week's
    open misses: '◌ ringed: may still rise, orders still open · East 29 of 99 · South 15 of 57'."""
    if "still_open" not in part.columns or not part["still_open"].any():
        return None
    ringed = part.filter(pl.col("still_open")).sort("period").group_by(by).last().sort(by)
    unit = ringed["unit"][0]
    counts = " · ".join(
        f"{v} {o:,} of {m:,}" for v, o, m in ringed.select(by, "open", "measured").iter_rows()
    )
    return f"◌ ringed: may still rise, {unit} still open · {counts}"


def with_end_labels(part: pl.DataFrame, by: str) -> pl.DataFrame:
    """Mark each line's last point (``end``), the one whose value is written beside it."""
    last = part.filter(pl.col("value").is_not_null()).group_by(by).agg(_last=pl.col("period").max())
    return (
        part.join(last, on=by, how="left")
        .with_columns(end=(pl.col("period") == pl.col("_last")).fill_null(False))
        .drop("_last")
    )


def _row(
    part: pl.DataFrame,
    m: Metric,
    title: str,
    by: str,
    values: list[str],
    cell: int,
    *,
    first: bool,
    last: bool,
    words: list[str],
) -> alt.FacetChart:
    part = with_words(with_end_labels(part, by), m).with_columns(
        judged=pl.col("judged").replace("small sample", words[3])
    )
    weeks = sorted(part["period"].unique().to_list())
    # a tick on a week's first day (its Monday) at each end, and mid-way where the cell is wide
    wide = cell >= 230
    ends = [weeks[i] for i in ((0, len(weeks) // 2, -1) if wide else (0, -1))] if weeks else []
    x = alt.X(
        "period:T",
        title=None,
        axis=alt.Axis(
            values=period_ticks(tuple(dict.fromkeys(ends))),
            labelExpr=GRAIN_LABEL["week"],
            labelAngle=0,
            labels=last,
            ticks=last,
        ),
    )
    y = alt.Y(
        "value:Q",
        title=None,
        scale=alt.Scale(zero=False),
        axis=alt.Axis(format=fmt.axis_format(m.format), tickCount=3),
    )
    base = alt.Chart().encode(x=x)
    line = base.mark_line(color=LINE, strokeWidth=4).encode(y=y)
    target = base.mark_line(color="#e0e0e0", strokeDash=[8, 6], strokeWidth=2).encode(y="target:Q")
    domain = [*words, STATUS_WORDS[4]]
    legend = alt.Legend(title=None, values=words) if first else None
    status = {
        "color": alt.Color(
            "judged:N", legend=legend, scale=alt.Scale(domain=domain, range=STATUS_COLORS)
        ),
        "shape": alt.Shape(
            "judged:N", legend=legend, scale=alt.Scale(domain=domain, range=STATUS_SHAPES)
        ),
    }
    points = (
        base.mark_point(size=110, filled=True, opacity=1)
        .encode(y="value:Q", **status)
        .transform_filter("!datum.small")
    )
    small = (
        base.mark_point(size=110, filled=False, strokeWidth=3, opacity=1)
        .encode(y="value:Q", **status)
        .transform_filter("datum.small")
    )
    text = alt.Text("value:Q", format=VALUE_FORMAT.get(m.format, fmt.axis_format(m.format)))
    note = open_note(part, by)

    def label(which: str, **place: Any) -> alt.Chart:  # the last value, right of the line's end
        return (
            base.mark_text(align="left", fontSize=LABEL, fontWeight="bold", **place)
            .encode(y="value:Q", text=text, color=alt.value(INK))
            .transform_filter(f"datum.end && {which}")
        )

    beside = {"baseline": "middle", "dx": 10}
    layers = [line, target, points, small]
    if not note:
        layers.append(label("true", **beside))
    else:  # a dashed ring round each week that still waits on open misses, its label clear of it
        above = {"baseline": "bottom", "dx": RING_LABEL, "dy": -RING_LIFT}
        layers += [label("!datum.still_open", **beside), label("datum.still_open", **above)]
        ring = base.mark_point(
            shape="circle", size=RING, filled=False, strokeWidth=3, strokeDash=[6, 5], opacity=1
        ).encode(
            y="value:Q",
            color=alt.value(INK),
            tooltip=[alt.Tooltip("open_text:N", title="May still rise")],
        )
        layers.append(ring.transform_filter("datum.still_open"))
    header = alt.Header(labelFontSize=HEADER) if first else alt.Header(labels=False)
    heading = (
        alt.TitleParams(
            title, subtitle=note, subtitleColor=MUTED, subtitleFontSize=LABEL, subtitlePadding=8
        )
        if note
        else title
    )
    return (
        alt.layer(*layers, data=part)
        .properties(width=cell, height=ROW_HEIGHT)
        .facet(
            column=alt.Column(f"{by}:N", title=None, sort=values, header=header),
            spacing=SPACING,
            bounds="flush",  # columns SPACING apart, the end-of-line values in between
        )
        .properties(title=heading)
    )
