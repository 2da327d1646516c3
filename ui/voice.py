"""What customers said: the review's theme table and verbatims, themes per answer for the
customer page and per queue for the contact center. Comments are data: they are shown in
dataframes (plain text), never as markdown."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import streamlit as st

from metrics.catalog import Catalog
from metrics.periods import shift_period
from metrics.sqlgen import Query
from metrics.themes import OTHER, metric_name
from metrics.voice import (
    BASELINE_PERIODS,
    response_themes,
    theme_label,
    theme_names,
    theme_table,
    verbatims,
)
from present import format as fmt
from ui import customer_data, data
from ui.filters import View

VERBATIMS = 5


@st.cache_data(show_spinner=False, max_entries=256, hash_funcs=data._KEYS)
def _themes(src: data.Source, q: Query, grain: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    with data.engine(src) as eng:
        return theme_table(eng, data.catalog_of(src), q, grain)


@st.cache_data(show_spinner=False, max_entries=256, hash_funcs=data._KEYS)
def _verbatims(src: data.Source, q: Query) -> pl.DataFrame:
    with data.engine(src) as eng:
        return verbatims(eng, data.catalog_of(src), q, limit=VERBATIMS)


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=data._KEYS)
def _answer_themes(src: data.Source, q: Query) -> pl.DataFrame:
    with data.engine(src) as eng:
        return response_themes(eng, data.catalog_of(src), q)


def labels_of(catalog: Catalog, themes: list[str] | None) -> str:
    """'Late delivery · Split delivery' for a list of theme names; a dash for none."""
    if not themes:
        return fmt.DASH
    return " · ".join(theme_label(catalog, t)[0] for t in themes)


# ---- the weekly review ----------------------------------------------------------------------


def _for_viewer(src: data.Source, q: Query) -> Query:
    """``q`` with the viewer's row scope (as the survey metrics are scoped)."""
    return data.scoped(src, q.replace(metrics=("commented_responses",))).replace(metrics=q.metrics)


def review_section(src: data.Source, view: View) -> None:
    """'What customers said': theme mentions this period against the usual, after OTIF and
    missed orders, and verbatims of detractors after broken promises."""
    catalog = data.catalog_of(src)
    st.divider()
    st.subheader("What customers said")
    if not catalog.spec.themes:
        st.caption("No comment themes are defined (`themes:` in metrics.yaml).")
        return
    q = _for_viewer(src, view.query())
    table, bases = _themes(src, q, view.grain)
    st.caption(intro(bases, view))
    frame, config = theme_frame(table, view.grain)
    st.dataframe(
        frame, column_config=config, hide_index=True, width="stretch", placeholder=fmt.DASH
    )
    st.caption(
        "A comment can mention several themes; “Other” matches none (`northstar voc suggest` "
        "proposes new ones). Owners and patterns: `themes:` in metrics.yaml; a mention right "
        "after “not”, “no” or “never” does not count."
    )
    st.markdown("**Detractors after a broken promise**")
    said = _verbatims(src, q)
    if said.is_empty():
        st.caption(f"No detractor (NPS 0–6) commented on a missed order in this {view.grain}.")
        return
    st.caption(
        f"The latest {fmt.plural(said.height, 'comment')} of customers who scored NPS 0–6 about "
        f"an order that missed OTIF, this {view.grain}, as they wrote them."
    )
    show_verbatims(verbatim_frame(said, catalog)[0])


def show_verbatims(frame: pl.DataFrame) -> None:
    """Each comment whole, as the customer wrote it (a table cell would cut it), two to a row:
    score, date, customer (linked to their page), the broken promise, the themes."""
    rows = frame.to_dicts()
    for pair in (rows[i : i + 2] for i in range(0, len(rows), 2)):
        for col, r in zip(st.columns(2), pair, strict=False):
            with col, st.container(border=True):
                name = fmt.escape_markdown(r["Name"])
                st.markdown(
                    f"**NPS {r['NPS']}** · {r['Date']:%d %b} · [{name}]({r['Customer']}) · "
                    f"{fmt.escape_markdown(r['Order and the promise that broke'])}"
                )
                st.markdown(fmt.escape_markdown(r["Comment"]))
                st.caption(f"Themes: {fmt.escape_markdown(r['Themes'])}")


def intro(bases: pl.DataFrame, view: View) -> str:
    """How many comments the shares rest on, the window of 'usual', and the caveats."""
    counts = {r["group"]: r for r in bases.iter_rows(named=True)}

    def n(group: str | None, key: str = "commented") -> int:
        return int((counts.get(group) or {}).get(key) or 0)

    first = shift_period(view.start, view.grain, -BASELINE_PERIODS)
    last = view.start - dt.timedelta(days=1)
    text = (
        f"Survey comments in the {view.grain} under review, by theme: "
        f"**{n('missed')}** about orders that missed OTIF, **{n('OTIF')}** about OTIF orders"
        f" ({n(None)} more about no measured order). Share = of that group's comments; usual = "
        f"the share over the {BASELINE_PERIODS} {view.grain}s before "
        f"({first:%d %b} – {last:%d %b %Y}: {n('missed', 'usual_commented')} and "
        f"{n('OTIF', 'usual_commented')} comments)."
    )
    small = [g for g in ("missed", "OTIF") if 0 < n(g) < 30]
    if small:
        text += f" :orange[:material/warning: fewer than 30 comments ({', '.join(small)}): read the counts, not the shares.]"
    if view.partial:
        text += f" :orange[:material/warning: the {view.grain} is not over: data to {view.as_of:%d %b}.]"
    return text


def theme_frame(table: pl.DataFrame, grain: str) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The theme table as people read it, with its column settings."""
    frame = table.select(
        pl.col("label").alias("Theme"),
        pl.col("owner").alias("Owner"),
        pl.col("n_missed").alias("Missed: n"),
        (100 * pl.col("share_missed")).alias("Missed: share"),
        (100 * pl.col("usual_missed")).alias("Missed: usual"),
        pl.col("n_OTIF").alias("OTIF: n"),
        (100 * pl.col("share_OTIF")).alias("OTIF: share"),
        (100 * pl.col("usual_OTIF")).alias("OTIF: usual"),
    )
    share = "share of the group's comments"
    config = {
        "Theme": st.column_config.TextColumn("Theme", pinned=True),
        "Missed: n": st.column_config.NumberColumn(
            "Missed: n", help=f"Comments this {grain} about orders that missed OTIF mentioning it"
        ),
        "OTIF: n": st.column_config.NumberColumn(
            "OTIF: n", help=f"Comments this {grain} about OTIF orders mentioning it"
        ),
        **{
            c: st.column_config.NumberColumn(c, format="%.0f%%", help=share)
            for c in ("Missed: share", "OTIF: share")
        },
        **{
            c: st.column_config.NumberColumn(
                c, format="%.0f%%", help=f"The share over the {BASELINE_PERIODS} {grain}s before"
            )
            for c in ("Missed: usual", "OTIF: usual")
        },
    }
    return frame, config


def verbatim_frame(said: pl.DataFrame, catalog: Catalog) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Verbatims with the customer (linked to their page), the order and the promise it broke."""
    reasons = {r.name: (r.label, r.owner) for r in catalog.miss_reasons}

    def promise(row: dict) -> str:
        label, owner = reasons.get(
            row["miss_reason"] or "", (fmt.code_label(row["miss_reason"]), "?")
        )
        due = f"due {row['order_due_date']:%d %b}" if row["order_due_date"] else "due ?"
        return f"{fmt.text(row['order_id'])} {due}: {label} · {owner}"

    rows = said.to_dicts()
    frame = pl.DataFrame(
        {
            "Date": said["response_date"],
            "Customer": [customer_data.link(r["customer_id"]) for r in rows],
            "NPS": said["nps"],
            "Comment": [fmt.text(r["comment"]) for r in rows],
            "Order and the promise that broke": [promise(r) for r in rows],
            "Name": [fmt.text(r["customer"]) for r in rows],
            "Themes": [labels_of(catalog, r["themes"]) for r in rows],
        }
    )
    config = {
        "Date": st.column_config.DateColumn("Date", format="DD MMM"),
        "Customer": customer_data.LINK_COLUMN,
        "Comment": st.column_config.TextColumn("Comment", width="large"),
        "Order and the promise that broke": st.column_config.TextColumn(
            "Order and the promise that broke", help="Due date, miss reason and who acts on it"
        ),
    }
    return frame, config


# ---- the customer page -----------------------------------------------------------------------


def with_themes(
    events: pl.DataFrame, src: data.Source, customer_id: str, as_of: dt.date
) -> pl.DataFrame:
    """The customer's timeline with a 'themes' column: each answer's comment themes."""
    catalog = data.catalog_of(src)
    q = Query(metrics=(), where=(("customer_id", (customer_id,)),), as_of=as_of)
    themes = _answer_themes(src, _for_viewer(src, q))
    by_id = {r: labels_of(catalog, t) for r, t in themes.iter_rows()}
    return events.with_columns(
        pl.col("reference")
        .map_elements(lambda r: by_id.get(r, ""), return_dtype=pl.String)
        .alias("themes")
    )


# ---- the contact center ------------------------------------------------------------------------


QUEUE_PERIODS = 13  # comments after contacts are few: the last 13 periods, like satisfaction


def queue_window(view: View) -> Query:
    """The last ``QUEUE_PERIODS`` periods up to the one under review, as one total."""
    return view.trend_query(periods=QUEUE_PERIODS).replace(grain=None)


def by_queue(src: data.Source, view: View) -> pl.DataFrame:
    """Themes of answers after contacts, by queue, over ``queue_window``: each theme's share (in
    percent) of the queue's commented answers, recomputed from its parts; themes nobody
    mentioned left out."""
    catalog = data.catalog_of(src)
    names = theme_names(catalog)
    metrics = ("commented_responses", *(metric_name(t) for t in names))
    frame = data.values(src, queue_window(view).replace(metrics=metrics, by=("queue",)))
    frame = frame.filter(pl.col("queue").is_not_null())
    mentioned = [
        t for t in names if frame.height and (frame[metric_name(t)].fill_null(0) > 0).any()
    ]
    keep = [t for t in mentioned if t != OTHER] + ([OTHER] if OTHER in mentioned else [])
    return frame.select(
        pl.col("queue").alias("Queue"),
        pl.col("commented_responses").alias("Comments"),
        *((100 * pl.col(metric_name(t))).alias(theme_label(catalog, t)[0]) for t in keep),
    ).sort("Comments", descending=True)


def queue_caption(view: View) -> str:
    q = queue_window(view)
    return (
        f"{q.date_from:%d %b %Y} – {q.date_to:%d %b %Y} (last {QUEUE_PERIODS} {view.grain}s: "
        "comments are few) · survey comments about a contact, by the contact's queue: the share "
        "of the queue's comments mentioning each theme (a comment can mention several). Themes: "
        "`themes:` in metrics.yaml; Explore has them by agent too."
    )


def queue_config(frame: pl.DataFrame) -> dict[str, Any]:
    return {
        "Queue": st.column_config.TextColumn("Queue", pinned=True),
        "Comments": st.column_config.NumberColumn(
            "Comments", help="Survey answers about a contact of this queue with a comment"
        ),
        **{
            c: st.column_config.NumberColumn(c, format="%.0f%%", help="Share of the comments")
            for c in frame.columns
            if c not in ("Queue", "Comments")
        },
    }
