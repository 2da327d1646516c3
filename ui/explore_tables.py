"""Explore's tables and files: the aggregate and its records for the screen, and as CSV."""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import streamlit as st

from metrics.catalog import Catalog
from metrics.spec import MetricBase
from present import format as fmt
from ui import access, customer_data, explore
from ui.explore import Pick
from ui.filters import View

CODE_COLUMNS = ("reason", "miss_reason")  # codes shown as words on screen (CSV keeps the codes)


def named_records(records: pl.DataFrame, directory: pl.DataFrame) -> pl.DataFrame:
    """The records with each customer's name beside its id (for the table and the CSV)."""
    if "customer_id" not in records.columns or "customer_name" in records.columns:
        return records
    names = directory.select("customer_id", pl.col("name").alias("customer_name"))
    at = records.columns.index("customer_id") + 1
    order = [*records.columns[:at], "customer_name", *records.columns[at:]]
    return records.join(names, on="customer_id", how="left", maintain_order="left").select(order)


def records_table(records: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Records for the screen: customer ids as links to the customer page (for a viewer who
    may open it), dates as dates, empty text as a dash."""
    head = fmt.code_label  # headers in words: 'order_id' reads 'Order id'
    config: dict[str, Any] = {
        c: st.column_config.DateColumn(head(c), format="YYYY-MM-DD")
        for c, t in records.schema.items()
        if t == pl.Date
    }
    shown = fmt.dash_nulls(
        records.drop("customer_id", strict=False).with_columns(
            pl.col(c).map_elements(fmt.code_label, return_dtype=pl.String)
            for c in CODE_COLUMNS
            if c in records.columns and records.schema[c] == pl.String
        )
    )
    if records.width:  # the record's own id stays in view when the table scrolls sideways
        first = records.columns[0]
        config.setdefault(first, st.column_config.Column(head(first), pinned=True))
    if "customer_id" in records.columns:
        linked = access.viewer().sees_page("account")
        ids = records.select("customer_id")
        shown = shown.with_columns(
            (customer_data.with_links(ids) if linked else ids)["customer_id"]
        )
        shown = shown.select(records.columns)
        config["customer_id"] = (
            st.column_config.LinkColumn(
                head("customer_id"),
                display_text=r"customer_id=(.*)$",
                help="Open the customer's page",
                pinned=True,
            )
            if linked
            else st.column_config.TextColumn(head("customer_id"), pinned=True)
        )
        config["customer_name"] = st.column_config.TextColumn(head("customer_name"), pinned=True)
    for c in records.columns:
        config.setdefault(c, st.column_config.Column(head(c)))
    return shown, config


def export_name(
    metric: str,
    view: View,
    *,
    kind: str,
    dim: str | None = None,
    every: str = "total",
    pick: Pick | None = None,
    failing: bool = False,
) -> str:
    """A file name saying what the file holds, in safe characters only:
    'otif_week_2026-11-09_region-South.csv', '..._by-carrier.csv', '..._records_failing.csv'."""
    parts = [metric, view.grain, view.start.isoformat()]
    parts += [f"{d}-{'+'.join(values)}" for d, values in view.where]
    if kind == "aggregate":
        parts += [f"by-{dim}"] if dim else []
        parts += [f"every-{every}"] if every != "total" else []
    else:
        parts.append("records")
        if pick is not None and pick.value is not None and dim:
            parts.append(f"{dim}-{pick.value}")
        if pick is not None and pick.at:
            parts.append(f"from-{pick.at.isoformat()}")
        parts += ["failing"] if failing else []
    name = "_".join(re.sub(r"[^A-Za-z0-9.+-]+", "-", p).strip("-.") or "none" for p in parts)
    return name[:180] + ".csv"


def aggregate_csv(frame: pl.DataFrame, m: MetricBase, dim: str | None) -> str:
    """The aggregate as the table shows it: values in displayed units (percent as 0-100), with
    the previous period, the same period last year, the target and the changes filled in."""
    form = fmt.display_format(m)
    scale = 100.0 if form == "percent" else 1.0
    digits = {"percent": 2, "money": 2, fmt.WHOLE_MONEY: 0}.get(form, 3)
    sign = fmt.money_sign()
    unit = {"percent": "%", "duration": "s", "money": sign, fmt.WHOLE_MONEY: sign}
    suffix = f" ({unit[form]})" if form in unit else ""
    change = " (pts)" if form == "percent" else suffix

    def num(col: str) -> pl.Expr:
        return (pl.col(col) * scale).round(digits)

    keys = [c for c in ("period", dim) if c and c in frame.columns]
    out = frame.select(
        *keys,
        num("value").alias(m.label + suffix),
        num("prev_value").alias("previous period" + suffix),
        num("delta_prev").alias("change vs previous" + change),
        num("ly_value").alias("same period last year" + suffix),
        num("delta_ly").alias("change vs last year" + change),
        num("target").alias("target" + suffix),
        pl.col("status").replace_strict(fmt.STATUS_TEXT, default="no target").alias("status"),
        pl.col("n").alias("sample (n)"),
        pl.col("partial").fill_null(False).alias("partial period"),
    )
    return fmt.csv_text(out)


def table(
    frame: pl.DataFrame, metric: str, catalog: Catalog
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The aggregate for people: value in its unit beside the previous period, last year and the
    target, status and sample flag; rows without a value for the split are already labelled."""
    m = catalog.metric(metric)
    form = fmt.display_format(m)
    scale = 100.0 if form == "percent" else 1.0
    keys = [c for c in frame.columns if c not in _DETAIL_COLUMNS]
    shown = frame.select(
        *keys,
        pl.col("status").replace_strict(fmt.STATUS_TEXT, default="no target").alias("status"),
        *((pl.col(c) * scale).alias(c) for c in ("value", "prev_value", "ly_value", "target")),
        pl.col("n"),
        pl.when(pl.col("significant"))
        .then(pl.lit(fmt.DASH))
        .otherwise(pl.lit(f"small: n < {m.min_sample}"))
        .alias("sample"),
    )
    number = {
        "percent": "%.1f%%",
        "integer": "%,d",
        "money": f"{fmt.money_sign()}%,.2f",
        fmt.WHOLE_MONEY: f"{fmt.money_sign()}%,.0f",
        "score": "%+.0f",
        "duration": "%,.0f s",
    }.get(form, "%,.2f")
    # Widths in pixels: every column fits the page at 1366 px, nothing scrolls sideways.
    config = {
        "value": st.column_config.NumberColumn(m.label, format=number, width=110),
        "prev_value": st.column_config.NumberColumn(
            "Previous", format=number, width=85, help="The previous period"
        ),
        "ly_value": st.column_config.NumberColumn(
            "Last year", format=number, width=85, help="The same period a year before"
        ),
        "target": st.column_config.NumberColumn("Target", format=number, width=70),
        "n": st.column_config.NumberColumn("Sample", format="%,d", width=70),
        "status": st.column_config.TextColumn("Status", width=95),
        "period": st.column_config.DateColumn("Period from", format="YYYY-MM-DD", width=95),
        "sample": st.column_config.TextColumn("Sample note", width=120),
    }
    if frame["significant"].all():  # no small sample: no note column
        shown = shown.drop("sample")
    if "customer_id" in keys:  # customers by name, as the chart names its bars (rows keep order)
        named = explore.chart_frame(frame.select("customer_id"), "customer_id")
        if "label" in named.columns:
            shown = shown.with_columns(customer_id=named["label"])
    config.update(
        {
            k: st.column_config.TextColumn(catalog.spec.dimensions[k].label)
            for k in keys
            if k in catalog.spec.dimensions
        }
    )
    return shown, config


_DETAIL_COLUMNS = {
    "metric",
    "value",
    "n",
    "prev_value",
    "ly_value",
    "partial",
    "delta_prev",
    "rel_prev",
    "delta_ly",
    "rel_ly",
    "target",
    "target_note",
    "status",
    "significant",
}
