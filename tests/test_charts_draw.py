"""ui.charts, what ``draw`` sends and keeps: other options and new values of each frame, the
selection's name, nothing shared between draws changed, builders without a template and ones
that break the rules (the frames and spec helpers: ``test_charts_refill``)."""

from __future__ import annotations

import copy
from typing import Any

import altair as alt
import polars as pl
import pytest

from present import chart_builders, explore_charts, miss_charts, trend_charts
from tests.test_charts_refill import (  # noqa: F401 (fresh: the autouse fixture, here too)
    DOWN,
    FOUR,
    SAME_STRUCTURE,
    UP,
    counting,
    drivers_frame,
    fresh,
    pair_frame,
    regions_frame,
    resolved,
    x_sort,
)
from ui import charts, warmup

# ---- each option and each frame's values ------------------------------------------------


def test_other_options_get_their_own_spec():
    counted, calls = counting(explore_charts.by_dimension)
    frame = regions_frame(FOUR)
    plain = charts.spec_for(counted, frame, UP, "region", picked=None)
    picked = charts.spec_for(counted, frame, UP, "region", picked="East")
    taller = charts.spec_for(counted, frame, UP, "region", picked=None, height=400)

    assert len(calls) == 3
    assert plain["layer"][0]["encoding"]["opacity"] == {"value": 1.0}
    assert picked["layer"][0]["encoding"]["opacity"]["condition"]["test"] == (
        "(datum['region'] === 'East')"
    )
    assert (plain["height"], taller["height"]) == (320, 400)


def bars_order(spec: dict[str, Any]) -> list[str]:
    """The bars from left to right, as Vega-Lite sorts them (by the least rank of each value)."""
    assert x_sort(spec) == {"field": "rank", "op": "min"}
    return spec["datasets"][charts.TABLE].sort("rank")["region"].to_list()


def test_bars_follow_the_values_of_each_frame():
    counted, calls = counting(explore_charts.by_dimension)
    first = charts.spec_for(counted, regions_frame(FOUR), UP, "region", picked=None)
    # higher is better: best first, no value last
    assert bars_order(first) == ["East", "South", "West", "North"]
    second = regions_frame({"East": 0.85, "West": 0.99, "North": 0.92, "South": None})
    assert bars_order(charts.spec_for(counted, second, UP, "region", picked=None)) == [
        "West",
        "North",
        "East",
        "South",
    ]
    # lower is better: the least first; a missing region is the records of no customer
    down = regions_frame({"East": 0.2, None: 0.1, "West": 0.3})
    assert bars_order(charts.spec_for(counted, down, DOWN, "region", picked=None)) == [
        "(no customer)",
        "East",
        "West",
    ]
    assert len(calls) == 2  # one per metric


@pytest.mark.parametrize("case", ["by_dimension", "over_time", "over_time-total"])
def test_the_selection_keeps_its_name(case):
    builder, a, b, args, kwargs = SAME_STRUCTURE[case]
    for frame in (a, b):
        spec = charts.spec_for(builder, frame, *args, **kwargs)
        assert [p["name"] for p in spec["params"]] == ["pick"]


# ---- what is shared between draws stays untouched ---------------------------------------


def test_a_changed_spec_does_not_reach_the_next_draw():
    frame = drivers_frame([9, 7, 4])
    sent = charts.spec_for(miss_charts.contributors, frame, "Carrier")
    pristine = copy.deepcopy({k: v for k, v in sent.items() if k != "datasets"})
    # what Streamlit does to a single view's legend title, and worse
    sent["layer"][0]["encoding"]["color"]["title"] = " "
    sent["datasets"]["other"] = frame
    sent["height"] = 1

    again = charts.spec_for(miss_charts.contributors, frame, "Carrier")
    assert {k: v for k, v in again.items() if k != "datasets"} == pristine
    assert list(again["datasets"]) == [charts.TABLE]


def test_constant_frames_stay_beside_the_table():
    spec = charts.spec_for(trend_charts.attainment, pair_frame([0.9, 0.95, 1.0, 0.97]))
    names = list(spec["datasets"])
    assert charts.TABLE in names and len(names) == 2
    (rule,) = (spec["datasets"][n] for n in names if n != charts.TABLE)
    assert rule.to_dicts() == [{"y": 1.0}]
    assert spec["layer"][0]["data"] == {"name": names[0]} and names[0].startswith("data-")


@pytest.mark.parametrize("case", ["trend", "waterfall", "contributors", "by_dimension"])
def test_draw_sends_the_spec(case):
    builder, a, b, args, kwargs = SAME_STRUCTURE[case]
    charts.draw(builder, a, *args, **kwargs)  # Streamlit without a run: converts, sends nowhere
    charts.draw(builder, b, *args, **kwargs)
    assert resolved(charts.spec_for(builder, b, *args, **kwargs)) == resolved(
        charts.to_spec(builder(b, *args, **kwargs))
    )


# ---- builders without a template, and ones that break the rules -------------------------


def plain_points(frame: pl.DataFrame, *, size: int = 40):
    return alt.Chart(frame).mark_point(size=size).encode(x="x:Q", y="y:Q")


def test_a_builder_without_template_gets_a_spec_per_frame():
    a, b = pl.DataFrame({"x": [1, 2], "y": [3, 4]}), pl.DataFrame({"x": [5, 6], "y": [7, 8]})
    for frame in (a, b, a):
        sent = charts.spec_for(plain_points, frame, size=10)
        assert resolved(sent) == resolved(charts.to_spec(plain_points(frame, size=10)))
        assert sent["datasets"][charts.TABLE] is frame


def test_a_builder_charting_a_copy_of_its_frame_is_refused():
    def copied(frame: pl.DataFrame):
        return alt.Chart(frame.with_columns(y=pl.col("x") * 2)).mark_point().encode(x="x:Q")

    built = chart_builders.template()(copied)
    with pytest.raises(ValueError, match="must chart the frame it is given"):
        charts.spec_for(built, pl.DataFrame({"x": [1, 2]}))


def test_an_invalid_spec_is_caught_while_validating():
    def broken(frame: pl.DataFrame):
        chart = alt.Chart(frame).mark_point().encode(x="x:Q")
        chart.height = "tall"  # set after construction: only to_dict checks it
        return chart

    with pytest.raises(alt.utils.schemapi.SchemaValidationError):
        charts.spec_for(chart_builders.template()(broken), pl.DataFrame({"x": [1]}))


def test_warmup_converts_a_chart():
    warmup._import_pages()
