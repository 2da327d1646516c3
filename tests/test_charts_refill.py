"""ui.charts: ``draw`` builds a chart's Vega-Lite spec once per structure and refills it with
each new frame; what it sends must equal a spec built from scratch for that frame. This module
holds the frames as the pages pass them, the helpers that compare specs, and the refill and
new-structure tests; ``test_charts_draw`` what draw sends, shares and refuses."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import streamlit as st
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import load_schema
from streamlit.elements.vega_charts import _stabilize_vega_json_spec

from metrics.catalog import load_catalog
from present import chart_builders, explore_charts, miss_charts, trend_charts
from ui import charts

CATALOG = load_catalog(Path(__file__).resolve().parent.parent / "config" / "metrics.yaml")
UP = CATALOG.metric("otif")  # higher is better
DOWN = CATALOG.metric("abandon_rate")  # lower is better
WEEKS = [dt.date(2026, 10, 5) + dt.timedelta(weeks=i) for i in range(4)]


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(charts, "VALIDATE", True)  # every skeleton meets the schema
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


# ---- frames as the pages pass them ------------------------------------------------------


def trend_frame(values: list[float | None], target: float | None = 0.95) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "period": WEEKS[: len(values)],
            "value": values,
            "target": [target] * len(values),
            "status": ["green" if (v or 0) >= 0.95 else "red" for v in values],
            "partial": [False] * (len(values) - 1) + [True],
            "n": [100 + i for i in range(len(values))],
        },
        schema_overrides={"target": pl.Float64},
    )


def funnel_frame(reasons: list[str], shares: list[float]) -> pl.DataFrame:
    steps = ["Due", *reasons, "OTIF"]
    starts, ends, level = [0.0], [1.0], 1.0
    for share in shares:
        starts.append(level - share)
        ends.append(level)
        level -= share
    starts.append(0.0)
    ends.append(level)
    return pl.DataFrame(
        {
            "step": steps,
            "reason": [None, *reasons, None],
            "orders": [round(1000 * (e - s)) for s, e in zip(starts, ends)],
            "share": [e - s for s, e in zip(starts, ends)],
            "start": starts,
            "end": ends,
        }
    )


def drivers_frame(missed: list[int]) -> pl.DataFrame:
    lines = [10 * m + 40 for m in missed]
    rate = sum(missed) / sum(lines)
    return pl.DataFrame(
        {
            "value": [f"Carrier {i}" for i in range(len(missed))],
            "missed": missed,
            "lines": lines,
            "share": [m / sum(missed) for m in missed],
            "otif": [1 - m / n for m, n in zip(missed, lines)],
            "excess": [m - n * rate for m, n in zip(missed, lines)],
        }
    )


def pair_frame(values: list[float], labels: tuple[str, str] = ("Dept OTIF", "Cust NPS")):
    rows = [
        (week, label, role, value * (1 if role == "department" else 0.9), f"{value:.0%}")
        for week, value in zip(WEEKS, values)
        for label, role in zip(labels, ("department", "customer"))
    ]
    return pl.DataFrame(
        rows, schema=["period", "label", "role", "attainment", "shown"], orient="row"
    )


def regions_frame(values: dict[str | None, float | None], target: float | None = 0.9):
    return pl.DataFrame(
        {
            "region": list(values),
            "value": list(values.values()),
            "status": ["green" if (v or 0) >= 0.9 else "amber" for v in values.values()],
            "target": [target] * len(values),
            "n": list(range(10, 10 + len(values))),
        },
        schema_overrides={"target": pl.Float64},
    )


def lines_frame(values: list[float], *, target: float | None = 0.9) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "period": [w for w in WEEKS[:2] for _ in range(2)],
            "region": ["East", "West"] * 2,
            "value": values,
            "n": [20, 30, 40, 50],
            "target": [target] * 4,
        },
        schema_overrides={"target": pl.Float64},
    )


FOUR = {"East": 0.97, "West": 0.88, "North": None, "South": 0.91}

# builder, frame A, frame B (same structure, other values), args, kwargs
SAME_STRUCTURE = {
    "trend": (
        trend_charts.trend,
        trend_frame([0.9, 0.96, 0.97]),
        trend_frame([0.8, 0.99, 0.5]),
        (UP,),
        {},
    ),
    "trend-no-target": (
        trend_charts.trend,
        trend_frame([0.9, 0.96], None),
        trend_frame([0.7, 0.6], None),
        (UP,),
        {"height": 180},
    ),
    "waterfall": (
        miss_charts.waterfall,
        funnel_frame(["Late", "Short"], [0.05, 0.02]),
        funnel_frame(["Late", "Short"], [0.11, 0.07]),
        (),
        {},
    ),
    "contributors": (
        miss_charts.contributors,
        drivers_frame([9, 7, 4, 2, 1]),
        drivers_frame([1, 12, 3, 8, 2]),
        ("Carrier",),
        {},
    ),
    "attainment": (
        trend_charts.attainment,
        pair_frame([0.9, 0.95, 1.0, 0.97]),
        pair_frame([1.1, 0.7, 0.8, 0.99]),
        (),
        {"height": 170},
    ),
    "by_dimension": (
        explore_charts.by_dimension,
        regions_frame(FOUR),
        regions_frame({"East": 0.85, "West": 0.99, "North": 0.92, "South": None}),
        (UP, "region"),
        {"picked": None},
    ),
    "by_dimension-picked-down": (
        explore_charts.by_dimension,
        regions_frame({"East": 0.2, "West": 0.1, None: 0.3}),
        regions_frame({"East": 0.1, "West": 0.3, None: 0.2}),
        (DOWN, "region"),
        {"picked": "West"},
    ),
    "over_time": (
        explore_charts.over_time,
        lines_frame([0.9, 0.8, 0.95, 0.85]),
        lines_frame([0.7, 0.99, 0.75, 0.98]),
        (UP, "region"),
        {},
    ),
    "over_time-total": (
        explore_charts.over_time,
        lines_frame([0.9, 0.8, 0.95, 0.85]).filter(pl.col("region") == "East").drop("region"),
        lines_frame([0.5, 0.8, 0.6, 0.85]).filter(pl.col("region") == "East").drop("region"),
        (UP, None),
        {"height": 220},
    ),
}


# ---- helpers ----------------------------------------------------------------------------


def counting(builder: Callable) -> tuple[Callable, list[int]]:
    """``builder`` with the same prepare and shape, its chart body counting its calls."""
    calls: list[int] = []

    def body(frame: pl.DataFrame, *args: Any, **kwargs: Any):
        calls.append(frame.height)
        return builder.body(frame, *args, **kwargs)

    body.__qualname__ = f"counted_{builder.__name__}"  # the cache tells builders by name
    return chart_builders.template(prepare=builder.prepare, shape=builder.shape)(body), calls


def content(frame: pl.DataFrame) -> str:
    return "rows-" + hashlib.sha1(frame.write_json().encode()).hexdigest()


def resolved(spec: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The spec as Streamlit sends it (view names normalised), each dataset's name replaced by
    its content, and the datasets' contents in order: equal for equal charts, whatever names."""
    names = {name: content(frame) for name, frame in spec["datasets"].items()}
    text = json.dumps({k: v for k, v in spec.items() if k != "datasets"})
    for name, token in names.items():
        text = text.replace(json.dumps(name), json.dumps(token))
    return json.loads(_stabilize_vega_json_spec(text)), list(names.values())


def inline(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with its datasets as JSON rows (as the browser gets them)."""
    datasets = {name: json.loads(frame.write_json()) for name, frame in spec["datasets"].items()}
    return {**spec, "datasets": datasets}


def draws_target(spec: dict[str, Any]) -> bool:
    """Some layer of the chart is placed at the target (its line, ticks or label)."""
    y = spec.get("encoding", {}).get("y", {})
    return y.get("field") == "target" or any(draws_target(part) for part in spec.get("layer", []))


def x_sort(spec: dict[str, Any]) -> Any:
    return spec["layer"][0]["encoding"]["x"]["sort"]


# ---- a filter change refills the spec; a new structure gets a new one --------------------


@pytest.mark.parametrize("case", SAME_STRUCTURE)
def test_new_values_refill_the_spec_built_for_the_first_frame(case):
    builder, a, b, args, kwargs = SAME_STRUCTURE[case]
    counted, calls = counting(builder)
    first = charts.spec_for(counted, a, *args, **kwargs)
    sent = charts.spec_for(counted, b, *args, **kwargs)

    assert calls == [a.height]  # built once, from the first frame
    assert resolved(sent) == resolved(charts.to_spec(builder(b, *args, **kwargs)))
    assert resolved(first) == resolved(charts.to_spec(builder(a, *args, **kwargs)))
    assert resolved(first) != resolved(sent)  # the frames differ, and so does what is sent
    assert first["datasets"][charts.TABLE] is not sent["datasets"][charts.TABLE]
    validate_jsonschema(inline(sent), load_schema())


@pytest.mark.parametrize(
    ("builder", "before", "after", "args", "kwargs", "check"),
    [
        pytest.param(
            miss_charts.contributors,
            drivers_frame([9, 7, 4, 2, 1]),
            drivers_frame([3]),
            ("Carrier",),
            {},
            # one bar still gets room for two rows and its axis (a 1-row chart lost its bar)
            lambda spec: spec["height"] == miss_charts.BAR_ROW * 2 + miss_charts.AXIS_ROOM,
            id="contributors-fewer-rows",
        ),
        pytest.param(
            explore_charts.by_dimension,
            regions_frame(FOUR),
            regions_frame(FOUR, target=None),
            (UP, "region"),
            {"picked": None},
            lambda spec: not draws_target(spec),
            id="by_dimension-no-target",
        ),
        pytest.param(
            explore_charts.by_dimension,
            regions_frame(FOUR),
            regions_frame({f"Region {i}": i / 10 for i in range(9)}),
            (UP, "region"),
            {"picked": None},
            lambda spec: spec["layer"][0]["encoding"]["x"]["axis"]["labelAngle"] == -40,
            id="by_dimension-many-values",
        ),
        pytest.param(
            miss_charts.waterfall,
            funnel_frame(["Late", "Short"], [0.05, 0.02]),
            funnel_frame(["Short", "Damaged", "Late"], [0.03, 0.01, 0.05]),
            (),
            {},
            lambda spec: x_sort(spec) == ["Due", "Short", "Damaged", "Late", "OTIF"],
            id="waterfall-other-steps",
        ),
        pytest.param(
            trend_charts.attainment,
            pair_frame([0.9, 0.95, 1.0, 0.97]),
            pair_frame([0.9, 0.95, 1.0, 0.97], ("Dept cost", "Cust effort")),
            (),
            {},
            lambda spec: (
                spec["layer"][1]["encoding"]["color"]["scale"]["domain"]
                == ["Cust effort", "Dept cost"]
            ),
            id="attainment-other-pair",
        ),
        pytest.param(
            explore_charts.over_time,
            lines_frame([0.9, 0.8, 0.95, 0.85]).filter(pl.col("region") == "East"),
            lines_frame([0.9, 0.8, 0.95, 0.85], target=None).filter(pl.col("region") == "East"),
            (UP, None),
            {},
            lambda spec: not draws_target(spec),
            id="over_time-no-target",
        ),
    ],
)
def test_a_new_structure_gets_a_new_spec(builder, before, after, args, kwargs, check):
    counted, calls = counting(builder)
    old = charts.spec_for(counted, before, *args, **kwargs)
    new = charts.spec_for(counted, after, *args, **kwargs)

    assert calls == [before.height, after.height]
    assert resolved(new) == resolved(charts.to_spec(builder(after, *args, **kwargs)))
    assert check(new) and not check(old)
    # and back: the first structure's spec is still there, refilled
    again = charts.spec_for(counted, before, *args, **kwargs)
    assert len(calls) == 2 and resolved(again) == resolved(old)
