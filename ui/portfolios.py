"""Scoreboards: metrics per portfolio (or segment, queue, agent) against targets, as a table.

``scores`` turns ``run_details`` rows (long: one row per key and metric) into a
wide ``Scores`` (values, statuses, samples); ``show`` draws it sortable, each
cell coloured by its status (lower-is-better metrics already have the right
status from the engine), with small samples marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import polars as pl
import streamlit as st

from metrics.catalog import Catalog
from ui import format as fmt

SCORE_METRICS = (
    "active_customers",
    "revenue",
    "otif",
    "perfect_order",
    "csat",
    "nps",
    "contacts_per_100_orders",
    "cost_to_serve",
)
SHORT = {
    "active_customers": "Customers",
    "otif": "OTIF",
    "perfect_order": "Perfect orders",
    "contacts_per_100_orders": "Contacts / 100 orders",
    "aht_sec": "AHT",
    "fcr_agent": "Resolved (agent tick)",
    "fcr": "FCR (no repeat 7 d)",
    "csat": "CSAT",
    "nps": "NPS",
    "sales_per_contact": "Sales / contact",
    "wismo_after_broken_promise": "WISMO after broken promise",
}
CELL = {  # status -> cell style, readable in light and dark themes
    "green": "background-color: #c8e6c9; color: #1b3d1f",
    "amber": "background-color: #ffe0a3; color: #4a3300",
    "red": "background-color: #f8c4c4; color: #5c1010",
}
SMALL = "color: #8a8f98"
SMALL_MARK = " ⚠"


@dataclass(frozen=True)
class Scores:
    keys: tuple[str, ...]
    metrics: tuple[str, ...]
    values: pl.DataFrame  # keys + one column per metric
    status: pl.DataFrame  # keys + one status column per metric
    n: pl.DataFrame  # keys + one sample-size column per metric


def label(catalog: Catalog, name: str) -> str:
    return SHORT.get(name, catalog.metric(name).label)


def scores(details: pl.DataFrame, keys: Sequence[str], metrics: Sequence[str]) -> Scores:
    """Wide values, statuses and samples per key from run_details rows; rows without keys dropped."""
    keys, metrics = tuple(keys), tuple(metrics)
    if details.is_empty():
        empty = pl.DataFrame(
            schema={**{k: pl.String for k in keys}, **{m: pl.Float64 for m in metrics}}
        )
        return Scores(keys, metrics, empty, empty, empty)
    long = details.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))

    def wide(col: str) -> pl.DataFrame:
        frame = long.pivot(on="metric", index=list(keys), values=col)
        for m in metrics:
            if m not in frame.columns:
                frame = frame.with_columns(pl.lit(None).alias(m))
        return frame.select(*keys, *metrics).sort(list(keys))

    return Scores(keys, metrics, wide("value"), wide("status"), wide("n"))


def _cell_styles(s: Scores, catalog: Catalog, extra: Sequence[str]) -> pd.DataFrame:
    rows = []
    for st_row, n_row in zip(s.status.iter_rows(named=True), s.n.iter_rows(named=True)):
        row = {k: "" for k in (*s.keys, *extra)}
        for m in s.metrics:
            small = fmt.sample_note(n_row[m], catalog.metric(m).min_sample) is not None
            row[m] = SMALL if small else CELL.get(st_row[m] or "", "")
        rows.append(row)
    return pd.DataFrame(rows, columns=[*s.keys, *s.metrics, *extra])


def styled(s: Scores, catalog: Catalog, extra: pl.DataFrame | None = None):
    """A pandas Styler: values formatted by metric, cells coloured by status, small samples greyed and marked."""
    frame = s.values
    if extra is not None:
        frame = frame.join(extra, on=[k for k in s.keys if k in extra.columns], how="left")
    extra_cols = [c for c in frame.columns if c not in (*s.keys, *s.metrics)]
    pdf = frame.select(*s.keys, *s.metrics, *extra_cols).to_pandas()
    styles = _cell_styles(s, catalog, extra_cols)
    styler = pdf.style.apply(lambda _: styles.values, axis=None)
    for m in s.metrics:
        form = catalog.metric(m).format
        styler = styler.format(lambda v, f=form: fmt.value(v, f), subset=[m], na_rep="—")
    small = s.n.to_pandas()
    for i, row in small.iterrows():
        for m in s.metrics:
            n = None if pd.isna(row[m]) else int(row[m])
            if fmt.sample_note(n, catalog.metric(m).min_sample):
                form = catalog.metric(m).format
                styler = styler.format(
                    lambda v, f=form: fmt.value(v, f) + SMALL_MARK,
                    na_rep="—" + SMALL_MARK,
                    subset=pd.IndexSlice[[i], [m]],
                )
    return styler


def column_config(catalog: Catalog, s: Scores, labels: Mapping[str, Any]) -> dict[str, Any]:
    """Header labels (with each metric's direction in its help) plus any extra column configs."""
    config: dict[str, Any] = {
        m: st.column_config.Column(
            label(catalog, m),
            help=f"{catalog.metric(m).description} ({'lower' if catalog.metric(m).direction == 'down' else 'higher'} is better)",
        )
        for m in s.metrics
    }
    config.update(labels)
    return config


def show(
    s: Scores,
    catalog: Catalog,
    *,
    extra: pl.DataFrame | None = None,
    labels: Mapping[str, Any] | None = None,
    key: str | None = None,
) -> None:
    """The scoreboard as a sortable table (click a header to sort)."""
    if s.values.is_empty():
        st.info("Nothing measured for these filters and period.")
        return
    st.dataframe(
        styled(s, catalog, extra),
        hide_index=True,
        width="stretch",
        column_config=column_config(catalog, s, labels or {}),
        key=key,
        placeholder=fmt.DASH,
    )


def legend(catalog: Catalog, shown: Sequence[str] = SCORE_METRICS) -> None:
    down = ", ".join(label(catalog, m) for m in shown if catalog.metric(m).direction == "down")
    st.caption(
        ":green-background[on target] :orange-background[near target] :red-background[off target]"
        f" · grey with {SMALL_MARK.strip()} = sample below the metric's minimum, read with care"
        + (f" · lower is better for {down}" if down else "")
        + " · click a column header to sort"
    )


def trend_lists(weekly: pl.DataFrame, key: str, metric: str = "otif") -> pl.DataFrame:
    """``key`` → list of the metric's weekly values (oldest first), for a LineChartColumn."""
    if weekly.is_empty():
        return pl.DataFrame(schema={key: pl.String, f"{metric}_trend": pl.List(pl.Float64)})
    return (
        weekly.filter((pl.col("metric") == metric) & pl.col(key).is_not_null())
        .sort("period")
        .group_by(key, maintain_order=True)
        .agg(pl.col("value").alias(f"{metric}_trend"))
    )


def risk_counts(at_risk: pl.DataFrame, key: str) -> pl.DataFrame:
    """Customers at risk per ``key`` value."""
    if at_risk.is_empty():
        return pl.DataFrame(schema={key: pl.String, "at_risk": pl.UInt32})
    return at_risk.group_by(key).agg(pl.len().alias("at_risk"))
