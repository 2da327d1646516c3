"""What every chart builder shares: the ``@template`` mark, the status scale and colours, and
period ticks.

The builders live by family (present.trend_charts, present.miss_charts, present.explore_charts),
free of Streamlit: the pages draw them through ``ui.charts``, the review pack renders them
server-side. ``ui.charts.draw`` builds a chart's Vega-Lite spec once per *structure* (builder,
options, columns and ``shape``) and then only swaps its data: a builder marked with
``@template`` has a ``prepare`` step (cheap Polars, run on every draw) that derives the frame
the chart shows, and ``shape``, all the spec depends on of that frame's values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any

import altair as alt
import polars as pl

from present import format as fmt

STATUS_SCALE = alt.Scale(  # "none": a value without a target; "small": too few measured
    domain=["green", "amber", "red", "none", "small"],
    range=[
        fmt.STATUS_COLOR["green"],
        fmt.STATUS_COLOR["amber"],
        fmt.STATUS_COLOR["red"],
        "#9e9e9e",
        "#9e9e9e",
    ],
)
RED, GREY, BLUE, GREEN, ORANGE = "#c62828", "#9e9e9e", "#1f4e79", "#2e7d32", "#e08a00"
LIGHT, LIGHT_TEXT = "#a9bdd6", "#5f7fa6"  # last year's line and its label
PALE_RED = "#ef9a9a"  # misses still open


def as_is(frame: pl.DataFrame, *_args: Any, **_kwargs: Any) -> pl.DataFrame:
    return frame


def no_shape(_frame: pl.DataFrame, *_args: Any, **_kwargs: Any) -> Hashable:
    return ()


def template(
    *,
    prepare: Callable[..., pl.DataFrame] = as_is,
    shape: Callable[..., Hashable] = no_shape,
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


def tick_labels(periods: list, grain: str | None) -> list[str]:
    """One label per period, carrying the year on the first tick and where it changes."""
    labels, year = [], None
    for p in periods:
        text = _tick(p, grain)
        labels.append(text if p.year == year else f"{text} {p.year}")
        year = p.year
    return labels
