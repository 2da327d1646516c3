"""Scoreboards: metrics per portfolio (or segment, queue, agent) against targets, as a table.

``scores`` turns ``run_details`` rows (long: one row per key and metric) into a
wide ``Scores`` (values, statuses, samples); ``show`` draws it sortable, each
cell coloured by its status and marked with it (✓ on target, ! near, ✕ off: the
pack's marks; lower-is-better metrics already have the right status from the
engine), with small samples greyed and marked ⚠. ``portfolio_details`` keeps
one row per portfolio even when the customer data names two managers for one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import polars as pl
import streamlit as st

from metrics.catalog import Catalog
from metrics.sqlgen import Query
from present import format as fmt
from ui import data

SCORE_METRICS = (
    "revenue",
    "otif",
    "csat",
    "nps",
    "contacts",
    "contacts_per_100_orders",
    "cost_to_serve",
)
WHOLE_MONEY = ("revenue",)  # large amounts: whole currency units
WIDTHS = {  # pixels: the portfolio scoreboard fits 1366 px with the sidebar open
    "revenue": 72,
    "otif": 62,
    "csat": 62,
    "nps": 56,
    "contacts": 62,
    "contacts_per_100_orders": 72,
    "cost_to_serve": 80,
}
SHORT = {
    "active_customers": "Customers",
    "otif": "OTIF",
    "perfect_order": "Perfect orders",
    "contacts_per_100_orders": "/100 orders",
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
SMALL_MARK = " " + fmt.STATUS_MARK["small"]
MANAGERS = ("portfolio", "portfolio_manager")


@dataclass(frozen=True)
class Scores:
    keys: tuple[str, ...]
    metrics: tuple[str, ...]
    values: pl.DataFrame  # keys + one column per metric
    status: pl.DataFrame  # keys + one status column per metric
    n: pl.DataFrame  # keys + one sample-size column per metric


def label(catalog: Catalog, name: str) -> str:
    return SHORT.get(name, catalog.metric(name).label)


def header(catalog: Catalog, name: str) -> str:
    """A scoreboard column's header: shorter still where the label would be cut at 1366 px
    (the full label is in the column's help)."""
    if name == "cost_to_serve":
        return f"{fmt.money_sign()}/order"
    if name == "contacts_per_100_orders":
        return "Per 100"
    return label(catalog, name)


def scores(
    details: pl.DataFrame,
    keys: Sequence[str],
    metrics: Sequence[str],
    *,
    no_value: Mapping[str, str] | None = None,
) -> Scores:
    """Wide values, statuses and samples per key from run_details rows.

    Rows without a key are dropped, unless ``no_value`` names how to show a missing key
    (e.g. "(no portfolio)"): those rows are then kept, last, so the rows add up to the total.
    """
    keys, metrics = tuple(keys), tuple(metrics)
    no_value = no_value or {}
    if details.is_empty():
        empty = pl.DataFrame(
            schema={**{k: pl.String for k in keys}, **{m: pl.Float64 for m in metrics}}
        )
        return Scores(keys, metrics, empty, empty, empty)
    dropped = [k for k in keys if k not in no_value]
    long = (details.drop_nulls(dropped) if dropped else details).with_columns(
        pl.col(k).fill_null(v) for k, v in no_value.items()
    )
    last = [pl.col(k) == v for k, v in no_value.items()]  # the no-value rows go last

    def wide(col: str) -> pl.DataFrame:
        frame = long.pivot(on="metric", index=list(keys), values=col)
        for m in metrics:
            if m not in frame.columns:
                frame = frame.with_columns(pl.lit(None).alias(m))
        return frame.select(*keys, *metrics).sort([*last, *keys], nulls_last=True)

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


def cell_mark(status: str | None, n: int | None, min_sample: int) -> str:
    """What a cell writes after its value so its status reads without its colour: ' ✓', ' !',
    ' ✕' (``fmt.STATUS_MARK``), ' ⚠' for a sample too small to judge, '' without a target."""
    if fmt.sample_note(n, min_sample):
        return SMALL_MARK
    mark = fmt.STATUS_MARK.get(status or "")
    return f" {mark}" if mark and status != "small" else ""


def styled(s: Scores, catalog: Catalog, extra: pl.DataFrame | None = None):
    """A pandas Styler: values formatted by metric, each cell coloured and marked by its status,
    small samples greyed and marked."""
    frame = s.values
    if extra is not None:
        frame = frame.join(extra, on=[k for k in s.keys if k in extra.columns], how="left")
    extra_cols = [c for c in frame.columns if c not in (*s.keys, *s.metrics)]
    # Streamlit draws a missing number as "None" whatever the Styler says: a missing value
    # travels as infinity (sorted last) and is shown as a dash.
    frame = frame.with_columns(pl.col(m).cast(pl.Float64).fill_null(math.inf) for m in s.metrics)
    pdf = frame.select(*s.keys, *s.metrics, *extra_cols).to_pandas()
    styles = _cell_styles(s, catalog, extra_cols)
    styler = pdf.style.apply(lambda _: styles.values, axis=None).format(na_rep="—")
    for m in s.metrics:
        shown = _formatter(catalog, m)
        styler = styler.format(shown, subset=[m], na_rep="—")
    rows = zip(s.status.iter_rows(named=True), s.n.iter_rows(named=True))
    for i, (status, n) in enumerate(rows):
        for m in s.metrics:
            mark = cell_mark(status[m], n[m], catalog.metric(m).min_sample)
            if mark:
                shown = _formatter(catalog, m)
                styler = styler.format(
                    lambda v, shown=shown, mark=mark: shown(v) + mark,
                    na_rep="—" + mark,
                    subset=pd.IndexSlice[[i], [m]],
                )
    return styler


def _formatter(catalog: Catalog, name: str):
    """How a metric's cell reads: its format, revenue in whole currency units, a dash if missing."""
    form = catalog.metric(name).format

    def shown(v: float | None) -> str:
        if v is None or not math.isfinite(v):
            return "—"
        return fmt.value(v, fmt.WHOLE_MONEY if name in WHOLE_MONEY else form)

    return shown


def column_config(catalog: Catalog, s: Scores, labels: Mapping[str, Any]) -> dict[str, Any]:
    """Header labels (with each metric's name and direction in its help), widths, extra configs."""
    config: dict[str, Any] = {
        m: st.column_config.Column(
            header(catalog, m),
            help=f"{catalog.metric(m).label}: {catalog.metric(m).description} "
            f"({'lower' if catalog.metric(m).direction == 'down' else 'higher'} is better)",
            width=WIDTHS.get(m),
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


def _named(catalog: Catalog, name: str) -> str:
    """A column's header, with the metric's label where the header is shortened."""
    short, full = header(catalog, name), catalog.metric(name).label
    return short if short == full else f"{short} ({full.lower()})"


def legend(catalog: Catalog, shown: Sequence[str] = SCORE_METRICS) -> None:
    down = ", ".join(_named(catalog, m) for m in shown if catalog.metric(m).direction == "down")
    mark = fmt.STATUS_MARK
    st.caption(
        f":green-background[{mark['green']} on target] :orange-background[{mark['amber']} near "
        f"target] :red-background[{mark['red']} off target] · grey with {mark['small']} = "
        "sample below the metric's minimum, read with care"
        + (f" · lower is better for {down}" if down else "")
        + " · click a column header to sort"
    )


def board_extras(
    keys: pl.DataFrame, key: str, risk: pl.DataFrame, weekly: pl.DataFrame | None, no_value: str
) -> pl.DataFrame:
    """Per row of ``keys``: customers at risk (0 if none) and, given ``weekly``, the OTIF trend."""
    out = keys.select(key).join(risk_counts(risk, key, no_value), on=key, how="left")
    out = out.with_columns(pl.col("at_risk").fill_null(0).cast(pl.Int64))
    if weekly is None:
        return out
    return out.join(trend_lists(weekly, key, no_value=no_value), on=key, how="left")


def trend_lists(
    weekly: pl.DataFrame, key: str, metric: str = "otif", no_value: str | None = None
) -> pl.DataFrame:
    """``key`` → list of the metric's weekly values (oldest first), for a LineChartColumn."""
    if weekly.is_empty():
        return pl.DataFrame(schema={key: pl.String, f"{metric}_trend": pl.List(pl.Float64)})
    return (
        weekly.with_columns(pl.col(key).fill_null(no_value))
        .filter((pl.col("metric") == metric) & pl.col(key).is_not_null())
        .sort("period")
        .group_by(key, maintain_order=True)
        .agg(pl.col("value").alias(f"{metric}_trend"))
    )


def risk_counts(at_risk: pl.DataFrame, key: str, no_value: str | None = None) -> pl.DataFrame:
    """Customers at risk per ``key`` value (a missing value shown as ``no_value``)."""
    if at_risk.is_empty():
        return pl.DataFrame(schema={key: pl.String, "at_risk": pl.UInt32})
    return (
        at_risk.with_columns(pl.col(key).fill_null(no_value))
        .group_by(key)
        .agg(pl.len().alias("at_risk"))
    )


def totals_note(totals: pl.DataFrame, s: Scores, catalog: Catalog, key: str, no_value: str) -> str:
    """How the rows add up to the company total, naming what the no-value row holds."""
    value = dict(zip(totals["metric"], totals["value"]))
    parts = [
        f"{label(catalog, m).lower()} {_formatter(catalog, m)(value[m])}"
        for m in ("revenue", "contacts")
        if m in value and m in s.metrics
    ]
    missing = s.values.filter(pl.col(key) == no_value)
    held = (
        f" The {no_value} row holds what belongs to no customer record, e.g. "
        f"{fmt.value(missing['contacts'][0], 'integer')} contacts from unknown callers."
        if missing.height and "contacts" in s.metrics and missing["contacts"][0]
        else ""
    )
    return (
        f"All customers together: {', '.join(parts)}; the rows add up to these.{held} "
        "Ratios (OTIF, CSAT, per 100 orders, cost to serve) are recomputed for each row from "
        "its own records, never averaged."
    )


def portfolio_details(src: data.Source, q: Query) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """``run_details`` of ``q`` by portfolio and manager, one row per portfolio, and the
    portfolios whose customers name more than one manager (a data problem the load warns
    about): those are measured as one portfolio, their managers joined, most records first."""
    both = data.details(src, q.replace(by=MANAGERS), compare=False)
    names = manager_names(both)
    shared = tuple(p for p, n in names.select("portfolio", "managers").iter_rows() if n > 1)
    if not shared:
        return both, ()
    per = data.details(src, q.replace(by=("portfolio",)), compare=False)
    named = names.drop("managers")
    return per.join(named, on="portfolio", how="left", nulls_equal=True), shared


def manager_names(details: pl.DataFrame) -> pl.DataFrame:
    """Per portfolio of ``run_details`` rows by portfolio and manager: the managers named,
    joined with " / " (the most records first), and how many (a missing name counts)."""
    schema = {"portfolio": pl.String, "portfolio_manager": pl.String, "managers": pl.UInt32}
    if details.is_empty():
        return pl.DataFrame(schema=schema)
    named = pl.col("portfolio_manager").drop_nulls()
    return (
        details.group_by(MANAGERS)
        .agg(pl.col("n").max().alias("records"))
        .sort(["records", "portfolio_manager"], descending=[True, False], nulls_last=True)
        .group_by("portfolio", maintain_order=True)
        .agg(named.str.join(" / ").alias("portfolio_manager"), pl.len().alias("managers"))
        .with_columns(
            pl.when(pl.col("portfolio_manager") != "").then(pl.col("portfolio_manager")),
            pl.col("managers").cast(pl.UInt32),
        )
    )


def shared_note(portfolios: tuple[str, ...]) -> str:
    """Markdown naming the portfolios with more than one manager in the customer data."""
    names = ", ".join(fmt.escape_markdown(fmt.text(p)) for p in portfolios)
    return (
        f"The customer data names more than one manager for {names}: each is shown as one "
        "portfolio with its managers joined, the one with the most records first. The load "
        "lists the customer rows naming another manager as warnings (`northstar rejects "
        "--warnings`, rule `second_manager`); alerts go to the manager the access policy names."
    )
