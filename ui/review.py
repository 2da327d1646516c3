"""Pieces of the weekly review: the headline row, signal or noise, funnel and satisfaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from metrics.catalog import Catalog
from metrics.signals import Signal
from metrics.spec import MetricBase
from ui import data
from ui import format as fmt
from ui.filters import View

OUTCOMES = ("csat", "nps", "fcr", "contacts_per_100_orders")  # customer outcomes beside OTIF
DRIVERS = (
    ("region", "Region"),
    ("site", "Site"),
    ("carrier", "Carrier"),
    ("portfolio", "Portfolio"),
)


def queries(src: data.Source, view: View) -> list[Callable[[], Any]]:
    """The weekly review's four cached queries: 13 periods of OTIF and the outcomes (each
    with last period and last year, one statement), the promise funnel, the miss
    contributors and satisfaction by OTIF. The page runs them at once (``data.gather``)."""
    return [
        lambda: data.details(src, view.trend_query("otif", *OUTCOMES)),
        lambda: data.funnel(src, view.query("measured_orders")),
        lambda: data.contributors(src, view.query("otif_line"), tuple(d for d, _ in DRIVERS)),
        lambda: data.satisfaction(src, view.trend_query("csat"), view.as_of),
    ]


def first_row(
    frame: pl.DataFrame, metric: str, period: dt.date | None = None
) -> dict[str, Any] | None:
    """The run_details row of one metric (in one period, for a frame by period), or None."""
    if frame.is_empty():
        return None
    rows = frame.filter(pl.col("metric") == metric)
    if period is not None:
        rows = rows.filter(pl.col("period") == period)
    return rows.row(0, named=True) if rows.height else None


def compare_text(row: dict[str, Any] | None, m: MetricBase, tag: str, grain: str) -> str | None:
    if not row or row.get("partial") or row.get(f"{tag}_value") is None:
        return None
    when = "previous " + grain if tag == "prev" else f"same {grain} last year"
    return (
        f"{fmt.delta(row[f'delta_{tag}'], m.format)} vs the {when} "
        f"({fmt.value(row[f'{tag}_value'], m.format)})"
    )


def signal_inputs(
    trend: pl.DataFrame, head: dict[str, Any] | None, start: dt.date
) -> tuple[list[float], float]:
    """The complete periods before the one under review (which starts on ``start``), and its value."""
    done = trend.filter(
        ~pl.col("partial") & pl.col("value").is_not_null() & (pl.col("period") < start)
    )
    history = done["value"].to_list()
    latest = head["value"] if head and head.get("value") is not None else float("nan")
    return history, latest


def show_signal(sig: Signal, head: dict[str, Any] | None, m: MetricBase) -> None:
    """Real signal or noise, in one sentence a COO can act on."""
    if head is None or head.get("partial"):
        st.info(":material/schedule: Partial period: the signal test waits until it is complete.")
        return
    if sig.verdict == "too_short":
        st.info(f"Not enough history for a signal test ({sig.rule}).")
        return
    band = f"{fmt.value(sig.lower, m.format)} – {fmt.value(sig.upper, m.format)}"
    if sig.verdict == "signal":
        st.warning(
            f":material/campaign: **Real signal**: {sig.rule}. Usual range {band}. Worth a look."
        )
    else:
        st.success(
            f":material/check_circle: **Noise**: within the usual range {band}. No reaction needed on this move alone."
        )


def funnel_sentence(funnel: pl.DataFrame) -> str:
    due = int(funnel["orders"][0]) if funnel.height else 0
    if not due:
        return "No orders were due in this period."
    kept = int(funnel.filter(pl.col("step") == "OTIF")["orders"][0])
    misses = funnel.filter(pl.col("reason").is_not_null()).sort("orders", descending=True)
    worst = misses.row(0, named=True)
    return (
        f"Of **{due:,}** orders due, **{kept:,}** were delivered on time and in full. "
        f"Biggest break: **{worst['step'].lower()}** ({worst['orders']:,} orders)."
    )


def show_satisfaction(frame: pl.DataFrame, catalog: Catalog) -> None:
    """CSAT and NPS for OTIF orders against missed ones, each with its sample."""
    if frame.is_empty():
        st.info("No survey answers are linked to measured orders in this window.")
        return
    kept = frame.filter(pl.col("otif")).to_dicts()
    missed = frame.filter(~pl.col("otif")).to_dicts()
    cols = st.columns(4)
    for i, (name, label) in enumerate((("csat", "CSAT"), ("nps", "NPS"))):
        m = catalog.metric(name)
        good = kept[0] if kept else {}
        bad = missed[0] if missed else {}
        with cols[2 * i]:
            st.metric(f"{label} · order OTIF", fmt.value(good.get(name), m.format), border=True)
            st.caption(f"n={good.get(f'{name}_n', 0):,}" + _small(good.get(f"{name}_n"), m))
        with cols[2 * i + 1]:
            gap = (
                (bad.get(name) - good.get(name))
                if bad.get(name) is not None and good.get(name) is not None
                else None
            )
            st.metric(
                f"{label} · order missed",
                fmt.value(bad.get(name), m.format),
                fmt.delta(gap, m.format),
                delta_description="vs OTIF orders",
                border=True,
            )
            st.caption(f"n={bad.get(f'{name}_n', 0):,}" + _small(bad.get(f"{name}_n"), m))


def _small(n: int | None, m: MetricBase) -> str:
    note = fmt.sample_note(n, m.min_sample)
    return f" · :orange[:material/warning: {note}]" if note else ""
