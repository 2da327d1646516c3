"""What a reader sees in the charts (issue 27), read from each chart as Vega draws it: the
scenegraph vl-convert lays out (positions, shapes, colours, texts and tooltips), not only the
Vega-Lite spec. Here: funnel labels clear of the bars, the reason legend's colours in the bars,
last year inside the y scale, labelled targets, ticks on the periods' first days (the rest in
test_charts_marks)."""

from __future__ import annotations

import colorsys
import datetime as dt
import re
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import pytest
import vl_convert as vlc

from metrics.catalog import load_catalog
from present import explore_charts, miss_charts, trend_charts
from ui import contact_center

CATALOG = load_catalog(Path(__file__).resolve().parent.parent / "config" / "metrics.yaml")
OTIF = CATALOG.metric("otif")
MONDAYS = [dt.date(2026, 8, 17) + dt.timedelta(weeks=i) for i in range(13)]


# ---- drawing a chart as the browser would ------------------------------------------------


def scene(chart: alt.TopLevelMixin, *, width: int = 430, height: int | None = None) -> dict:
    """The chart laid out at ``width`` x its height (or ``height``), fitted as Streamlit fits
    it (the whole chart, axes and legends included, in that box)."""
    spec = chart.to_dict()
    spec["width"] = width
    if height:
        spec["height"] = height
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    return vlc.vegalite_to_scenegraph(spec)["scenegraph"]


def marks(node: Any, out: list | None = None) -> list[dict]:
    """Every mark group of a scenegraph (a mark's items are its drawn rectangles, texts...)."""
    out = [] if out is None else out
    if isinstance(node, dict):
        if node.get("marktype"):
            out.append(node)
        for value in node.values():
            marks(value, out)
    elif isinstance(node, list):
        for value in node:
            marks(value, out)
    return out


def items(sg: dict, marktype: str, role: str = "mark") -> list[dict]:
    return [
        item
        for m in marks(sg)
        if m["marktype"] == marktype and m.get("role") == role
        for item in m["items"]
    ]


def texts(sg: dict, role: str = "mark") -> list[str]:
    return [str(item.get("text")) for item in items(sg, "text", role)]


def axis_labels(sg: dict) -> list[str]:
    return [
        str(item["text"])
        for m in marks(sg)
        if m["marktype"] == "text" and m.get("role") == "axis-label"
        for item in m["items"]
    ]


def hue(color: str) -> float:
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(r, g, b)[0] * 360


# ---- frames as the pages pass them -------------------------------------------------------


def weekly(
    values: list[float], *, ly: list[float | None] | None = None, n: list[int] | None = None
):
    k = len(values)
    return pl.DataFrame(
        {
            "period": MONDAYS[:k],
            "value": values,
            "ly_value": ly or [None] * k,
            "target": [0.92] * k,
            "status": ["green" if v >= 0.92 else "red" for v in values],
            "partial": [False] * k,
            "n": n or [100] * k,
        },
        schema_overrides={"ly_value": pl.Float64, "target": pl.Float64},
    )


def funnel() -> pl.DataFrame:
    """The sample's week 46: 360 orders due, six reasons, 272 OTIF."""
    steps = [
        ("Orders due", None, 360, 0),
        ("Not shipped", "not_shipped", 15, 15),
        ("Short shipped", "short_shipped", 26, 26),
        ("Promised late", "promised_late", 12, 7),
        ("Late dispatch", "late_dispatch", 19, 10),
        ("Still in transit", "in_transit", 6, 6),
        ("Late in transit", "late_transit", 10, 2),
        ("OTIF", None, 272, 0),
    ]
    rows, level = [], 1.0
    for step, reason, orders, still in steps:
        share = orders / 360
        if reason:
            rows.append((step, reason, "Owner", orders, still, share, level, level - share))
            level -= share
        else:
            rows.append((step, None, None, orders, 0, share, share, 0.0))
    return pl.DataFrame(
        rows,
        schema=["step", "reason", "owner", "orders", "open", "share", "start", "end"],
        orient="row",
    )


# ---- 1. funnel labels ---------------------------------------------------------------------


def box(text: dict) -> tuple[float, float, float, float]:
    """A text item's box (x0, y0, x1, y1), generously estimated from its font and lines."""
    lines = str(text["text"]).split("\n")
    size = text.get("fontSize") or 11
    height = len(lines) * (text.get("lineHeight") or size * 1.2)
    width = max(len(line) for line in lines) * size * 0.6
    x = text["x"] + (text.get("dx") or 0)
    y = text["y"] + (text.get("dy") or 0)
    x0 = {"left": x, "right": x - width}.get(text.get("align", "center"), x - width / 2)
    y0 = {"top": y, "bottom": y - height}.get(text.get("baseline", "middle"), y - height / 2)
    return x0, y0, x0 + width, y0 + height


@pytest.mark.parametrize("width", [430, 560], ids=["page", "pack"])
def test_funnel_value_labels_stay_clear_of_every_bar(width):
    sg = scene(miss_charts.waterfall(funnel(), height=280), width=width)
    bars = [(r["x"], r["y"], r["x"] + r["width"], r["y"] + r["height"]) for r in items(sg, "rect")]
    labels = items(sg, "text")
    assert len(labels) == 8 and "360\n100.0%" in [t["text"] for t in labels]
    gap = 5  # px of air between a label and any bar
    for label in labels:
        x0, y0, x1, y1 = box(label)
        for bx0, by0, bx1, by1 in bars:
            overlap = x0 < bx1 + gap and bx0 < x1 + gap and y0 < by1 + gap and by0 < y1 + gap
            assert not overlap, (label["text"], (x0, y0, x1, y1), (bx0, by0, bx1, by1))


# ---- 2. the reason legend's colours are in the bars ---------------------------------------


def test_every_reason_in_the_mix_shows_its_legend_colour_in_its_bars():
    labels = ("Not shipped", "Short shipped", "Late dispatch")
    mix = pl.DataFrame(
        {
            "period": [d for d in MONDAYS[:3] for _ in labels],
            "reason": ["not_shipped", "short_shipped", "late_dispatch"] * 3,
            "step": list(labels) * 3,
            "owner": ["Supply", "Supply", "Site"] * 3,
            "orders": [5, 8, 10] * 3,
            "open": [5, 8, 2] * 3,  # nothing shipped or short: those misses are all still open
            "missed": [23] * 9,
        }
    )
    chart = miss_charts.reason_mix(mix, labels, grain="week")
    spec = chart.to_dict()
    legend = spec["encoding"]["color"]["scale"]
    assert legend["domain"] == list(labels)
    drawn = set()
    for rect in items(scene(chart, width=600), "rect"):
        seen = rect.get("opacity", 1) or 1
        if (rect.get("fillOpacity", 1) or 1) * seen >= 0.99:
            drawn.add(rect.get("fill"))
        if rect.get("stroke") and (rect.get("strokeWidth") or 0) > 0 and seen >= 0.99:
            drawn.add(rect["stroke"])
    assert set(legend["range"]) <= drawn


# ---- 3. last year's line: marked where measured, and inside the plot ----------------------


def test_last_year_is_marked_where_measured_and_nothing_touches_the_top():
    frame = weekly([0.87, 0.89, 0.82, 0.91] * 3 + [0.89], ly=[None] * 11 + [1.0, 0.943])
    chart = trend_charts.trend(frame, OTIF, grain="week")
    sg = scene(chart, width=560, height=250)
    ly_points = [s for s in items(sg, "symbol") if "Last year:" in s.get("description", "")]
    assert len([s for s in ly_points if s["description"].startswith("tick")]) >= 2
    assert "last year (2 of 13)" in texts(sg)
    tops = [s["y"] for s in items(sg, "symbol")]
    assert min(tops) >= 8  # 100% last year is drawn inside the plot, with room above


# ---- 4. labelled targets -------------------------------------------------------------------


def test_each_target_line_is_labelled_with_its_value():
    frame = weekly([0.87, 0.95, 0.9, 0.93])
    regions = pl.DataFrame(
        {
            "region": ["East", "West", "North"],
            "value": [0.95, 0.85, 0.90],
            "target": [0.92] * 3,
            "status": ["green", "red", "amber"],
            "n": [100, 100, 100],
        }
    )
    aht = weekly([340.0, 350.0, 330.0]).with_columns(target=pl.lit(360.0), status=pl.lit("green"))
    queues = aht.with_columns(queue=pl.lit("billing"), metric=pl.lit("aht_sec"))
    charts = {
        "trend": trend_charts.trend(frame, OTIF, grain="week"),
        "over_time": explore_charts.over_time(frame, OTIF, None, grain="week"),
        "by_dimension": explore_charts.by_dimension(regions, OTIF, "region", picked=None),
        "trap_cell": contact_center.trap_cell(queues, CATALOG, "aht_sec", None, title=None),
    }
    for name, chart in charts.items():
        want = "Target 6m 00s" if name == "trap_cell" else "Target 92.0%"
        assert want in texts(scene(chart)), name


# ---- 5. Explore's ticks on the periods' first days -----------------------------------------


@pytest.mark.parametrize(
    ("grain", "periods", "label"),
    [
        ("week", MONDAYS, re.compile(r"^\d{1,2} [A-Z][a-z]{2}$")),
        ("month", [dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1)], None),
    ],
)
def test_explore_ticks_sit_on_the_periods_first_days(grain, periods, label):
    frame = pl.DataFrame(
        {"period": periods, "value": [0.9] * len(periods), "n": [100] * len(periods)}
    ).with_columns(target=pl.lit(None, dtype=pl.Float64))
    chart = explore_charts.over_time(frame, OTIF, None, grain=grain)
    axis = chart.to_dict()["layer"][0]["encoding"]["x"]["axis"]
    ticks = [dt.date(v["year"], v["month"], v["date"]) for v in axis["values"]]
    assert ticks == periods and all(v["utc"] for v in axis["values"])
    shown = axis_labels(scene(chart, width=900))
    if grain == "week":
        assert all(d.weekday() == 0 for d in ticks)
        assert [s for s in shown if label.match(s)] and "17 Aug" in shown
        assert not [s for s in shown if re.match(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", s)]
    else:
        assert {"Nov 2025", "Dec 2025", "Jan 2026"} <= set(shown)


def test_a_period_grain_is_read_from_the_periods_when_not_given():
    assert explore_charts.grain_of(MONDAYS) == "week"
    assert explore_charts.grain_of([dt.date(2026, m, 1) for m in range(1, 6)]) == "month"
    assert explore_charts.grain_of([dt.date(2026, m, 1) for m in (1, 4, 7)]) == "quarter"
