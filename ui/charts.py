"""Drawing Altair charts in Streamlit: each builder's Vega-Lite spec built once per structure.

The builders themselves live in ``present`` (``trend_charts``, ``miss_charts``,
``explore_charts``; no Streamlit there, so the review pack renders the same charts server-side).

Frames arrive aggregated (hundreds of rows at most): Streamlit ships every row
to the browser. ``draw`` shows a chart: building an Altair chart and turning it
into a Vega-Lite spec costs 50-80 ms of Python per chart, so ``draw`` builds a
chart's spec once per *structure* (builder, options, columns and ``shape``) and
then only swaps its data. Each builder is marked with ``@template``: its
``prepare`` step (cheap Polars, run on every draw) derives the frame the chart
shows, and ``shape`` is all the spec depends on of that frame's values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from typing import Any

import altair as alt
import polars as pl
import streamlit as st
from pydantic import BaseModel

from present.chart_builders import as_is

# ---- drawing: Vega-Lite skeletons refilled with each frame ------------------------

TABLE = "table"  # the dataset name of the frame a chart is drawn from, the same for every frame
_PARTS = ("layer", "hconcat", "vconcat", "concat", "spec")  # where a chart holds other charts


def _digest(frame: pl.DataFrame) -> str:
    return hashlib.blake2b(frame.write_ipc(None).getvalue(), digest_size=16).hexdigest()


def _name_frames(chart: Any, frames: dict[str, Any], table: pl.DataFrame | None) -> None:
    """Put each frame ``chart`` and its parts draw in ``frames``, the chart naming it instead:
    ``table`` (recognised by identity) as TABLE, any other frame by its content (as Streamlit
    names them, so the browser sees new data under a new name)."""
    data = getattr(chart, "data", alt.Undefined)
    if data is not alt.Undefined and not isinstance(data, (dict, str, alt.SchemaBase)):
        if table is not None and data is table:
            name = TABLE
        else:
            data = data if isinstance(data, pl.DataFrame) else pl.DataFrame(data)
            name = f"data-{_digest(data)}"
        frames[name] = data
        chart.data = alt.NamedData(name=name)
    for part in _PARTS:
        inner = getattr(chart, part, alt.Undefined)
        for sub in inner if isinstance(inner, list) else [inner]:
            if isinstance(sub, alt.SchemaBase):
                _name_frames(sub, frames, table)


# Checking a spec against the Vega-Lite schema costs ~40 ms a chart on every new structure;
# the builders are fixed code, so the tests check them (VALIDATE = True there).
VALIDATE = False


def to_spec(chart: alt.TopLevelMixin, *, table: pl.DataFrame | None = None) -> dict[str, Any]:
    """The chart as a Vega-Lite spec with its frames under ``datasets`` (as Streamlit converts
    it); ``table``, if given, is named TABLE.

    Altair's global theme and data transformer are left alone (Streamlit switches them while it
    converts other charts, in other threads): a copy of the chart names its frames first (so
    every field needs its type, e.g. ``value:Q``), and the spec is asked for as part of a larger
    one, without a theme (Altair's default sets a 300 px view Streamlit's layout does not want).
    """
    frames: dict[str, Any] = {}
    named = chart.copy(deep=True)  # the frames themselves are not copied
    _name_frames(named, frames, table)
    spec = named.to_dict(validate=VALIDATE, context={"top_level": False, "datasets": frames})
    spec.setdefault("$schema", alt.SCHEMA_URL)
    spec["datasets"] = frames
    return spec


def _key_part(value: Any) -> Any:
    """A cheap, stable cache key for a builder argument (metrics are pydantic models)."""
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return value


def _content(frame: pl.DataFrame, *_args: Any, **_kwargs: Any) -> str:
    """The shape of a builder not marked with ``template``: all of its frame."""
    return _digest(frame)


@st.cache_resource(show_spinner=False, max_entries=512)
def _skeleton(
    builder: str,
    options: str,
    schema: str,
    shape: Hashable,
    _build: Callable[..., alt.TopLevelMixin],
    _frame: pl.DataFrame,
    _args: tuple,
    _kwargs: dict,
) -> tuple[str, dict[str, Any]]:
    """The spec of ``_build`` for one structure, built from its first frame: its JSON without
    datasets (parsed anew for each draw, so no draw sees another's changes), and its datasets
    in order, TABLE's data left out (None)."""
    spec = to_spec(_build(_frame, *_args, **_kwargs), table=_frame)
    datasets = spec.pop("datasets")
    if TABLE not in datasets:
        raise ValueError(f"{builder} must chart the frame it is given, not a copy of it")
    return json.dumps(spec), {
        name: None if name == TABLE else data for name, data in datasets.items()
    }


def spec_for(
    build: Callable[..., alt.TopLevelMixin], frame: pl.DataFrame, *args: Any, **kwargs: Any
) -> dict[str, Any]:
    """The Vega-Lite spec of ``build(frame, *args, **kwargs)``, as ``draw`` sends it: built once
    per builder, options, columns and shape (see ``template``), filled with this frame."""
    prepared = getattr(build, "prepare", as_is)(frame, *args, **kwargs)
    shape = getattr(build, "shape", _content)(prepared, *args, **kwargs)
    options = repr(
        ([_key_part(a) for a in args], sorted((k, _key_part(v)) for k, v in kwargs.items()))
    )
    text, datasets = _skeleton(
        f"{build.__module__}.{build.__qualname__}",
        options,
        repr(list(prepared.schema.items())),
        shape,
        getattr(build, "body", build),
        prepared,
        args,
        kwargs,
    )
    spec = json.loads(text)
    spec["datasets"] = {name: prepared if data is None else data for name, data in datasets.items()}
    return spec


def draw(
    build: Callable[..., alt.TopLevelMixin],
    frame: pl.DataFrame,
    *args: Any,
    width: str | int = "stretch",
    key: str | None = None,
    on_select: str = "ignore",
    selection_mode: str | None = None,
    **kwargs: Any,
):
    """Show ``build(frame, *args, **kwargs)``; the spec is built once per structure (``spec_for``).

    ``on_select``, ``selection_mode`` and ``key`` are those of ``st.altair_chart``.
    """
    spec = spec_for(build, frame, *args, **kwargs)
    extra = {"selection_mode": selection_mode} if selection_mode else {}
    return st.vega_lite_chart(spec=spec, width=width, key=key, on_select=on_select, **extra)
