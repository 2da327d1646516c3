"""What a reader sees in the charts (issue 27), continued: distinct series colours, readable
mini-charts, units on the axes, names for ids, small samples hollow and named, the wall's
legend, status by shape and word as well as colour, and what Explore's caption says. Read from
the scenegraph vl-convert lays out (see test_charts_fixes)."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
import vl_convert as vlc

from present import chart_builders, explore_charts, miss_charts, trend_charts, wall_chart
from tests.test_charts_fixes import (
    CATALOG,
    MONDAYS,
    OTIF,
    axis_labels,
    hue,
    items,
    scene,
    texts,
    weekly,
)
from ui import contact_center, explore

# ---- 6. series colours ---------------------------------------------------------------------


def test_series_get_distinct_hues_the_same_for_a_name_in_every_chart():
    sites = ["DC-East", "DC-North", "DC-South", "Plant-Central"]
    frame = pl.DataFrame(
        {
            "period": [d for d in MONDAYS[:2] for _ in sites],
            "site": sites * 2,
            "value": [0.9] * 8,
            "n": [100] * 8,
            "target": [None] * 8,
        },
        schema_overrides={"target": pl.Float64},
    )
    spec = explore_charts.over_time(frame, OTIF, "site", grain="week").to_dict()
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    colors = dict(zip(scale["domain"], scale["range"]))
    assert sorted(colors) == sites and len(set(colors.values())) == 4
    hues = sorted(hue(c) for c in colors.values())
    gaps = [b - a for a, b in zip(hues, hues[1:])] + [360 - hues[-1] + hues[0]]
    assert min(gaps) >= 15  # no light and dark twins of one hue
    fewer = chart_builders.series_colors(["DC-North", "Plant-Central"])
    assert all(colors[name] == color for name, color in fewer.items())


# ---- 7. contact-center mini-charts ---------------------------------------------------------


@pytest.mark.parametrize("title", [None, "billing"])
def test_contact_center_mini_charts_have_a_readable_plot(title):
    months = [dt.date(2026, m, 1) for m in range(1, 13)]
    frame = pl.DataFrame(
        {
            "period": months,
            "queue": ["billing"] * 12,
            "value": [340.0 + i for i in range(12)],
            "target": [360.0] * 12,
            "status": ["green"] * 12,
            "n": [500] * 12,
        }
    )
    chart = contact_center.trap_cell(frame, CATALOG, "aht_sec", [300.0, 380.0], title=title)
    spec = chart.to_dict()
    sg = scene(chart, width=215, height=spec["height"])  # a column at 1366 px, fitted
    plot = sg["items"][0]["height"]
    assert plot >= 115, plot


# ---- 8. units on every axis ----------------------------------------------------------------


def test_axes_carry_their_units():
    revenue = CATALOG.metric("revenue")
    aht = CATALOG.metric("aht_sec")
    money = weekly([12000.0, 8000.0, 4000.0]).with_columns(target=pl.lit(None, dtype=pl.Float64))
    seconds = weekly([325.0, 343.0, 355.0]).with_columns(target=pl.lit(360.0))
    months = money.with_columns(period=pl.Series([dt.date(2026, m, 1) for m in (1, 2, 3)]))
    labels = {
        "money": axis_labels(scene(explore_charts.over_time(months, revenue, None))),
        "duration": axis_labels(scene(explore_charts.over_time(seconds, aht, None))),
        "percent": axis_labels(scene(trend_charts.trend(weekly([0.8, 0.9]), OTIF))),
    }
    assert [s for s in labels["money"] if re.match(r"^€\d{1,3}(,\d{3})*$", s)]
    assert [s for s in labels["duration"] if re.match(r"^\d+:\d\d$", s)]
    assert "5:40" in labels["duration"] or "5:45" in labels["duration"]
    assert [s for s in labels["percent"] if re.match(r"^\d+%$", s)]
    assert chart_builders.unit_title(aht).endswith("(min:sec)")
    assert "€" in chart_builders.value_axis("money_whole").to_dict()["labelExpr"]
    assert "$" in chart_builders.value_axis("money", "$").to_dict()["labelExpr"]


# ---- 9. names, not ids ---------------------------------------------------------------------


def test_customer_bars_are_named_by_the_customer():
    frame = pl.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "value": [0.95, 0.85, 0.9],
            "target": [0.92] * 3,
            "status": ["green", "red", "amber"],
            "n": [100] * 3,
        }
    )
    directory = pl.DataFrame(
        {"customer_id": ["C1", "C2", "C3"], "name": ["Quarry Marine SA", "Amber Oy", "Amber Oy"]}
    )
    named = explore.with_names(frame, "customer_id", directory)
    chart = explore_charts.by_dimension(named, OTIF, "customer_id", picked=None)
    shown = axis_labels(scene(chart, width=600))
    assert {"Quarry Marine SA", "Amber Oy (C2)", "Amber Oy (C3)"} <= set(shown)
    assert not {"C1", "C2", "C3"} & set(shown)


# ---- 10. small samples, and the wall's legend ----------------------------------------------


def test_a_small_sample_is_hollow_and_named_never_red_or_green():
    frame = weekly([0.80, 0.99, 0.85], n=[100, 12, 100])  # 12 < min_sample 30
    frame = frame.with_columns(status=pl.Series(["red", "small", "red"]))
    for chart in (
        trend_charts.trend(frame, OTIF, grain="week"),
        explore_charts.over_time(frame, OTIF, None, grain="week"),
    ):
        points = [s for s in items(scene(chart), "symbol") if "value: 0.99" in s["description"]]
        assert points and all(
            p.get("fill") in ("transparent", "white", "#ffffff", None) for p in points
        )
        assert all("small sample" in p["description"] for p in points)
        shown = {p.get("stroke") or p.get("fill") for p in points}
        assert not shown & {"#2e7d32", "#c62828"}


def test_a_small_sample_bar_is_hollow_and_dashed():
    frame = pl.DataFrame(
        {
            "region": ["East", "West"],
            "value": [0.95, 0.60],
            "target": [0.92] * 2,
            "status": ["green", "small"],
            "n": [100, 7],
        }
    )
    sg = scene(explore_charts.by_dimension(frame, OTIF, "region", picked=None))
    bars = [r for r in items(sg, "rect") if "Status:" in r.get("description", "")]
    (west,) = [r for r in bars if "West" in r["description"]]
    assert (west.get("fillOpacity") or 1) < 0.5 and west.get("strokeDash")
    assert "Status: small sample" in west["description"]


def test_the_wall_has_a_legend_and_hollow_small_samples():
    sites = ["DC-East", "DC-North"]
    rows = [
        (week, site, name, 0.9 if site == "DC-East" else 0.97, 8 if i == 3 else 200, False)
        for i, week in enumerate(MONDAYS)
        for site in sites
        for name in ("otif_line", "fill_rate", "on_time_shipment")
    ]
    frame = pl.DataFrame(
        rows, schema=["period", "site", "metric", "value", "n", "partial"], orient="row"
    ).with_columns(target=pl.lit(0.95), status=pl.lit("red"))
    chart = wall_chart.multiples_chart(
        frame, CATALOG, "site", ("otif_line", "fill_rate", "on_time_shipment"), {}
    )
    sg = vlc.vegalite_to_scenegraph(chart.to_dict())["scenegraph"]
    legend = [str(t["text"]) for t in items(sg, "text", "legend-label")]
    assert legend[:3] == ["on target", "near target", "off target"]
    assert legend[3].startswith("small sample (n < 30")
    symbols = items(sg, "symbol")
    small = [s for s in symbols if s.get("fill") in ("transparent", None) and s.get("stroke")]
    assert small and all(s["stroke"] == wall_chart.STATUS["small"] for s in small)
    assert {s.get("shape") for s in symbols} >= {"square"}  # off target: a square, not a dot


# ---- 11. status by shape and word as well as colour ----------------------------------------


def test_status_is_a_shape_and_a_word_as_well_as_a_colour():
    frame = weekly([0.95, 0.85, 0.93, 0.80])
    sg = scene(trend_charts.trend(frame, OTIF, grain="week"), width=600)
    by_status = {
        re.search(r"Status: ([a-z ]+)", s["description"]).group(1): s["shape"]
        for s in items(sg, "symbol")
        if "Status:" in s.get("description", "")
    }
    assert by_status == {"on target": "circle", "off target": "square"}
    assert {"on target", "near target", "off target", "small sample", "partial"} <= set(
        texts(sg, "legend-label")
    )
    words = miss_charts.contributors(
        pl.DataFrame(
            {
                "value": ["A", "B"],
                "missed": [30, 3],
                "lines": [100, 100],
                "share": [0.9, 0.1],
                "otif": [0.7, 0.97],
                "excess": [13.5, -13.5],
            }
        ),
        "Carrier",
    )
    assert "30 · beyond volume" in texts(scene(words))


# ---- 12. Explore's caption -----------------------------------------------------------------


def test_the_caption_says_the_chart_shows_the_largest_samples():
    frame = pl.DataFrame(
        {
            "period": [d for d in MONDAYS[:2] for _ in range(60)],
            "customer_id": [f"C{i}" for i in range(60)] * 2,
            "n": list(range(60)) * 2,
        }
    )
    drawn = explore.largest_samples(frame, "customer_id")
    assert set(drawn["customer_id"]) == {f"C{i}" for i in range(20, 60)}
    assert explore.limit_caption(drawn, frame, "customer_id") == (
        "Chart shows the 40 customers with the largest samples (most measured records) of 60; "
        "the table lists all 60."
    )
    assert explore.limit_caption(frame, frame, "customer_id") is None
    # over time, as many lines as there are distinct colours
    lines = explore.largest_samples(frame, "customer_id", explore.LINE_LIMIT)
    assert lines["customer_id"].n_unique() == len(chart_builders.SERIES)
    assert "the 7 customers with the largest samples" in explore.limit_caption(
        lines, frame, "customer_id"
    )
