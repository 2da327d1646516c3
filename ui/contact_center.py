"""The contact center's numbers: the handle-time trap, queues and agents, and why customers call.

Queries go through ``ui.data`` (cached under the warehouse version); this
module shapes them: which windows to compare, the sentence naming a queue
that traded resolution for handle time, and the charts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import altair as alt
import polars as pl
import streamlit as st

from metrics import periods
from metrics.catalog import Catalog
from metrics.sqlgen import Query
from present import format as fmt
from present.chart_builders import BLUE, GREY, RED, target_label, value_axis, with_words
from ui import data
from ui.filters import View
from ui.portfolios import Scores

TILES = (
    ("aht_sec", "fcr_agent", "fcr", "csat"),
    ("sales_per_contact", "service_level", "abandon_rate", "wismo_after_broken_promise"),
)
TABLE = (
    "contacts",
    "aht_sec",
    "fcr_agent",
    "fcr",
    "csat",
    "sales_per_contact",
    "service_level",
    "abandon_rate",
)
# Abandoned calls have no agent, so an agent's abandon rate is always 0 %: not shown per agent.
AGENT_TABLE = tuple(m for m in TABLE if m != "abandon_rate")
# Not judged per agent against a target: a short call is not the goal (the page's point).
UNJUDGED_PER_AGENT = ("aht_sec",)
TRAP = ("aht_sec", "fcr_agent", "fcr", "csat")
MONTHS = 12
WISMO = "where_is_my_order"


def months_back(as_of: dt.date, n: int) -> dt.date:
    return periods.shift_period(periods.period_start(as_of, "month"), "month", -n)


def trap_query(view: View) -> Query:
    """AHT, both resolutions and CSAT after contacts, by queue and month, last 12 months."""
    return Query(
        TRAP,
        by=("queue",),
        grain="month",
        date_from=months_back(view.as_of, MONTHS - 1),
        date_to=view.as_of,
        where=view.where,
        as_of=view.as_of,
    )


def window_queries(view: View) -> tuple[Query, Query]:
    """The first and the last 3 months of the trap chart, each as one total per queue."""
    first = months_back(view.as_of, MONTHS - 1)
    early = Query(
        TRAP,
        by=("queue",),
        date_from=first,
        date_to=periods.shift_period(first, "month", 3) - dt.timedelta(days=1),
        where=view.where,
        as_of=view.as_of,
    )
    late = early.replace(date_from=months_back(view.as_of, 2), date_to=view.as_of)
    return early, late


@dataclass(frozen=True)
class Trap:
    queue: str
    before: dict  # metric -> value, first 3 months
    after: dict  # metric -> value, last 3 months


def find_trap(early: pl.DataFrame, late: pl.DataFrame, *, min_drop: float = 0.1) -> Trap | None:
    """The queue whose handle time fell most (by ``min_drop`` or more) while customers' FCR or CSAT fell."""
    both = early.join(late, on="queue", suffix="_late").filter(pl.col("queue").is_not_null())
    best: Trap | None = None
    for row in both.iter_rows(named=True):
        a, b = row["aht_sec"], row["aht_sec_late"]
        if not a or b is None or (a - b) / a < min_drop:
            continue
        worse = any(
            row[m] is not None and row[f"{m}_late"] is not None and row[f"{m}_late"] < row[m]
            for m in ("fcr", "csat")
        )
        if worse and (best is None or b / a < best.after["aht_sec"] / best.before["aht_sec"]):
            best = Trap(
                row["queue"], {m: row[m] for m in TRAP}, {m: row[f"{m}_late"] for m in TRAP}
            )
    return best


def trap_sentence(trap: Trap | None, catalog: Catalog) -> str:
    if trap is None:
        return "No queue cut its handle time by 10 % or more at the expense of resolution or satisfaction."

    def move(m: str) -> str:
        f = catalog.metric(m).format
        return f"{fmt.value(trap.before[m], f)} → **{fmt.value(trap.after[m], f)}**"

    return (
        f":material/warning: **The {fmt.escape_markdown(trap.queue)} queue** cut its handle time "
        f"{move('aht_sec')} "
        f"(first 3 against last 3 months), while customers who did not need to call again within "
        f"7 days went {move('fcr')} and satisfaction after its calls {move('csat')}. The agents' "
        f"own tick reads {move('fcr_agent')}: the call got shorter, the problem did not get solved."
    )


def trap_grid(frame: pl.DataFrame, catalog: Catalog) -> None:
    """Small multiples, one row per metric and one column per queue: monthly values, target
    dashed. Each cell is its own chart in a page column, so the grid fits any screen width;
    a row shares one y scale, so queues compare at a glance."""
    frame = frame.filter(pl.col("queue").is_not_null())
    queues = sorted(frame["queue"].unique().to_list())
    for row, name in enumerate(TRAP):
        rows = frame.filter(pl.col("metric") == name)
        domain = _domain(rows)
        m = catalog.metric(name)
        unit = " (minutes:seconds)" if m.format == "duration" else ""
        st.markdown(f"**{fmt.escape_markdown(m.label)}**{unit}")  # the row's heading, in full
        for place, queue in zip(st.columns(len(queues), gap="small"), queues):
            with place:
                chart = trap_cell(
                    rows.filter(pl.col("queue") == queue),
                    catalog,
                    name,
                    domain,
                    title=queue if row == 0 else None,
                )
                st.altair_chart(chart, width="stretch")


def _domain(rows: pl.DataFrame) -> list[float] | None:
    values = [v for c in ("value", "target") for v in rows[c].to_list() if v is not None]
    if not values:
        return None
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or abs(high) * 0.05 or 1.0
    return [low - pad, high + pad]


PLOT_HEIGHT = 125  # px of a mini-chart's plot (at least ~120 px at 1366x768)
AXIS_HEIGHT = 50  # its month labels and padding (Streamlit fits the whole chart in its height)
TITLE_HEIGHT = 28  # the queue's name over the first row


def trap_cell(
    frame: pl.DataFrame,
    catalog: Catalog,
    name: str,
    domain: list[float] | None,
    *,
    title: str | None,
) -> alt.LayerChart:
    """One queue's monthly values of one metric in its unit (handle time as minutes:seconds),
    its target dashed and labelled; a month over too few contacts hollow ('small sample')."""
    m = catalog.metric(name)
    frame = with_words(frame.sort("period"), m)
    base = alt.Chart(frame).encode(
        x=alt.X("period:T", title=None, axis=alt.Axis(format="%b", tickCount=4, labelFlush=True))
    )
    scale = alt.Scale(domain=domain, zero=False, nice=False) if domain else alt.Scale(zero=False)
    tooltip = [
        alt.Tooltip("queue:N", title="Queue"),
        alt.Tooltip("period:T", title="Month", format="%b %Y"),
        alt.Tooltip("shown:N", title=m.label),
        alt.Tooltip("judged:N", title="Status"),
        alt.Tooltip("n:Q", title="Sample", format=","),
    ]
    line = base.mark_line(color=BLUE).encode(
        y=alt.Y(
            "value:Q",
            title=None,
            scale=scale,
            axis=value_axis(m.format, tickCount=4, labelFontSize=12),
        ),
    )
    points = base.mark_point(filled=True, size=40, strokeWidth=1.5, stroke=BLUE).encode(
        y="value:Q",
        fill=alt.condition("datum.small", alt.value("white"), alt.value(BLUE)),
        tooltip=tooltip,
    )
    target = base.mark_line(strokeDash=[6, 4], color=GREY).encode(y="target:Q")
    layers = [line, target, points]
    if frame["target_text"].drop_nulls().len():
        layers.append(target_label(base, size=10))
    height = PLOT_HEIGHT + AXIS_HEIGHT + (TITLE_HEIGHT if title else 0)
    chart = alt.layer(*layers).properties(height=height)
    if title:
        chart = chart.properties(
            title=alt.TitleParams(title, fontSize=15, fontWeight="bold", anchor="middle")
        )
    return chart.configure_view(stroke=None)


def queue_rows(by_queue: pl.DataFrame) -> pl.DataFrame:
    """Per-queue rows; contacts that reached no queue as their own row, so the contacts add up.
    (Survey answers not about a contact also carry no queue: they are not a row here.)"""
    no_queue = by_queue.filter(pl.col("queue").is_null())
    contacts = no_queue.filter(pl.col("metric") == "contacts")["value"].sum() or 0
    if not contacts:
        return by_queue.filter(pl.col("queue").is_not_null())
    return fmt.label_missing(by_queue, ["queue"])


def agent_scores(s: Scores) -> Scores:
    """The agent scoreboard with handle time shown but not judged (no status colour)."""
    status = s.status.with_columns(
        pl.lit(None, dtype=pl.String).alias(m) for m in UNJUDGED_PER_AGENT
    )
    return dataclasses.replace(s, status=status)


def reasons(src: data.Source, view: View) -> pl.DataFrame:
    """Contacts per reason in the period, with their share; the WISMO reason flagged."""
    frame = data.values(src, view.query("contacts", by=("reason",)))
    total = frame["contacts"].sum() if frame.height else 0
    return frame.with_columns(
        pl.col("reason")
        .map_elements(fmt.code_label, return_dtype=pl.String)
        .fill_null(fmt.no_value_label("reason")),
        share=pl.col("contacts") / total if total else pl.lit(None, dtype=pl.Float64),
        wismo=(pl.col("reason") == WISMO).fill_null(False),
    ).sort("contacts", descending=True)


def reasons_chart(frame: pl.DataFrame) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("reason:N", sort="-x", title=None, axis=alt.Axis(labelLimit=400)),
            x=alt.X("contacts:Q", title="Contacts"),
            color=alt.Color(
                "wismo:N",
                legend=None,
                scale=alt.Scale(domain=[True, False], range=[RED, GREY]),
            ),
            tooltip=[
                alt.Tooltip("reason:N", title="Reason"),
                alt.Tooltip("contacts:Q", format=","),
                alt.Tooltip("share:Q", title="Share of contacts", format=".1%"),
            ],
        )
        .properties(height=28 * max(frame.height, 1) + 20)
    )
