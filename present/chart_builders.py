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
import zlib
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import altair as alt
import polars as pl

from metrics.spec import MetricBase
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

# Status in words and shapes as well as colours (a reader who cannot tell red from green).
STATUS_WORDS = ["on target", "near target", "off target", "small sample", "no target"]
STATUS_OF_WORD = dict(zip(["green", "amber", "red", "small", "none"], STATUS_WORDS))
STATUS_SHAPES = ["circle", "diamond", "square", "circle", "circle"]
STATUS_WORD_SCALE = alt.Scale(domain=STATUS_WORDS, range=STATUS_SCALE.range)
STATUS_SHAPE_SCALE = alt.Scale(domain=STATUS_WORDS, range=STATUS_SHAPES)
# Series (sites, regions, ...): distinct hues, none a lighter twin of another, no status red.
SERIES = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#c9a227", "#ff9da7"]


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


def series_colors(names: Iterable[Any]) -> dict[str, str]:
    """A colour per series name, the same for a name in every chart (its hash picks the
    colour; a name whose colour is taken gets the next free one, so up to len(SERIES) series
    all differ)."""
    colors: dict[str, str] = {}
    for name in sorted({str(n) for n in names}):
        at = zlib.crc32(name.encode()) % len(SERIES)
        taken = set(colors.values())
        for step in range(len(SERIES)):
            if SERIES[(at + step) % len(SERIES)] not in taken:
                at = (at + step) % len(SERIES)
                break
        colors[name] = SERIES[at]
    return colors


def series_scale(names: Iterable[Any]) -> alt.Scale:
    colors = series_colors(names)
    return alt.Scale(domain=list(colors), range=list(colors.values()))


DURATION_LABEL = "floor(round(datum.value) / 60) + ':' + format(round(datum.value) % 60, '02d')"


def value_axis(form: str, currency: str | None = None, **options: Any) -> alt.Axis:
    """A value axis in the metric's unit: 87%, €12.40, 5:43 (minutes:seconds), +30."""
    if form == "duration":
        return alt.Axis(labelExpr=DURATION_LABEL, **options)
    if form in ("money", fmt.WHOLE_MONEY):
        sign = (currency or fmt.money_sign()).replace("'", "\\'")
        number = f"format(abs(datum.value), '{fmt.axis_format(form)}')"
        return alt.Axis(labelExpr=f"(datum.value < 0 ? '-' : '') + '{sign}' + {number}", **options)
    return alt.Axis(format=fmt.axis_format(form), **options)


def unit_title(m: MetricBase) -> str:
    """An axis title with its unit where the labels do not say it: 'Average handle time (min:sec)'."""
    return f"{m.label} (min:sec)" if m.format == "duration" else m.label


def with_words(frame: pl.DataFrame, m: MetricBase, *, currency: str | None = None) -> pl.DataFrame:
    """Adds ``shown`` (the value as the tiles write it), ``judged`` (the status in words; a value
    over fewer than the metric's ``min_sample`` units is 'small sample', never on or off target),
    ``small`` and ``target_text`` ('Target 92.0%', on the first row, if it has a target: the
    label at the target line's start, where it meets the least else; over periods, the latest
    period's target)."""
    form = fmt.display_format(m)
    n = pl.col("n") if "n" in frame.columns else pl.lit(None, dtype=pl.Int64)
    status = pl.col("status") if "status" in frame.columns else pl.lit(None, dtype=pl.String)
    target = pl.col("target") if "target" in frame.columns else pl.lit(None, dtype=pl.Float64)
    small = (n < m.min_sample).fill_null(False) & pl.col("value").is_not_null()

    def text(col: pl.Expr) -> pl.Expr:
        return col.map_elements(lambda v: _money(v, form, currency), return_dtype=pl.String)

    first = pl.int_range(pl.len()) == 0
    # over time, the label names the latest period's target (the tile's); a mix of targets
    # weighted by volume moves a little from period to period
    shown_target = (
        target.sort_by("period").drop_nulls().last()
        if {"period", "target"} <= set(frame.columns)
        else target
    )
    return frame.with_columns(
        shown=text(pl.col("value")),
        small=small,
        judged=pl.when(small)
        .then(pl.lit("small sample"))
        .otherwise(status.replace_strict(STATUS_OF_WORD, default="no target")),
        target_text=pl.when(first & target.is_not_null()).then(
            pl.lit("Target ") + text(shown_target)
        ),
    )


def _money(v: float | None, form: str, currency: str | None) -> str:
    shown = fmt.value(v, form)
    return (
        shown.replace(fmt.money_sign(), currency, 1)
        if currency and form in ("money", fmt.WHOLE_MONEY)
        else shown
    )


def target_label(base: alt.Chart, *, size: int = 11, align: str = "left") -> alt.LayerChart:
    """'Target 92.0%' at the start of a target line (its left end), on the side away from the
    value there."""
    label = base.encode(y="target:Q", text="target_text:N")

    def side(test: str, dy: int) -> alt.Chart:
        mark = label.mark_text(
            align=align, dx=4 if align == "left" else 0, dy=dy, fontSize=size, color="#616161"
        )
        return mark.transform_filter(f"datum.target_text != null && ({test})")

    return alt.layer(
        side("datum.value > datum.target", 10), side("!(datum.value > datum.target)", -10)
    )
