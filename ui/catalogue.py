"""The metric catalogue as a COO reads it: definition, owner, unit, target and the SQL behind it."""

from __future__ import annotations

import datetime as dt
import html

import polars as pl
import streamlit as st

from metrics.catalog import Catalog
from metrics.spec import DerivedMetric, Target
from metrics.sqlgen import Query, compile_query
from present import format as fmt
from ui import data
from ui.guard import WAREHOUSE_ERRORS

SQL_STYLE = (  # the compiled SQL as a plain monospace block, long lines wrapped
    "font-family: 'Source Code Pro', monospace; font-size: 0.8rem; white-space: pre-wrap; "
    "overflow-wrap: anywhere; "
    "background: rgba(128, 128, 128, 0.08); padding: 0.75rem 1rem; border-radius: 0.5rem"
)
FAMILY = {
    "north_star": "North Star",
    "customer": "Customer outcome",
    "department": "Department KPI",
}


def target_text(m) -> str:
    t = m.target
    if t is None:
        return "—"
    if isinstance(t, Target):
        extra = [
            f"{fmt.value(v, m.format)} for {d} {k}"
            for d, vals in t.by_dimension.items()
            for k, v in vals.items()
        ]
        extra += [f"{fmt.value(c.value, m.format)} from {c.date:%d %b %Y}" for c in t.changes]
        base = fmt.value(t.value, m.format)
        return base + (f" ({'; '.join(extra)})" if extra else "")
    return fmt.value(t, m.format)


_N = "%,d"
LOAD_COLUMNS = {
    "file": st.column_config.TextColumn("File", width="medium"),
    "table": st.column_config.TextColumn("Table"),
    "source": st.column_config.TextColumn("Source"),
    "rows_read": st.column_config.NumberColumn("Rows read", format=_N),
    "rows_loaded": st.column_config.NumberColumn("Loaded", format=_N),
    "rows_rejected": st.column_config.NumberColumn("Rejected", format=_N),
    "rows_filtered": st.column_config.NumberColumn(
        "Filtered", format=_N, help="rows a where: filter in sources.yaml removed"
    ),
    "loaded_at": st.column_config.DatetimeColumn("Loaded at", format="YYYY-MM-DD HH:mm"),
    "file_mtime": st.column_config.DatetimeColumn("File changed", format="YYYY-MM-DD HH:mm"),
}
REASON_COLUMNS = {  # shown as a plain table that wraps: its example messages read whole
    "file": "File",
    "table": "Table",
    "rule": "Rule",
    "column": "Column",
    "rows": "Rows",
    "example": "Example message",
}
REJECTED_COLUMNS = {
    "file": st.column_config.TextColumn("File", width="small"),
    "row": st.column_config.NumberColumn("Row", format=_N),
    "table": st.column_config.TextColumn("Table"),
    "rule": st.column_config.TextColumn("Rule"),
    "column": st.column_config.TextColumn("Column"),
    "value": st.column_config.TextColumn("Value"),
    "message": st.column_config.TextColumn("Message", width="medium"),
    "raw": st.column_config.TextColumn("Raw row", width="medium"),
}
FRESHNESS_COLUMNS = {
    "extract": st.column_config.TextColumn("Extract"),
    "rows": st.column_config.NumberColumn("Rows", format=_N),
    "latest": st.column_config.DateColumn("Latest date"),
    "days_behind": st.column_config.NumberColumn("Days before as-of"),
    "stale": st.column_config.TextColumn("State"),
    "last_loaded": st.column_config.DatetimeColumn("Last loaded", format="YYYY-MM-DD HH:mm"),
}


def readable_rules(frame: pl.DataFrame) -> pl.DataFrame:
    """Reject rules as words ('bad_date' -> 'Bad date'), empty text as a dash."""
    if "rule" in frame.columns:
        frame = frame.with_columns(
            pl.col("rule").map_elements(fmt.code_label, return_dtype=pl.String)
        )
    return fmt.dash_nulls(frame)


def overview_table(catalog: Catalog) -> pl.DataFrame:
    """The catalogue for ``st.table`` (cells wrap, nothing cut off): headers in words and every
    cell escaped, since st.table renders markdown."""
    frame = overview(catalog).select(
        pl.format("{} ({})", "label", "metric").alias("Metric"),
        pl.col("family").alias("Family"),
        pl.col("owner").alias("Owner"),
        pl.format(
            "{}, {} is better",
            pl.col("target").replace(fmt.DASH, "no target"),
            "better",
        ).alias("Target"),
        pl.col("counterpart").alias("Counterpart"),
        pl.col("definition").alias("Definition"),
    )
    return frame.select(
        pl.col(c).map_elements(fmt.escape_markdown, return_dtype=pl.String) for c in frame.columns
    )


def overview(catalog: Catalog) -> pl.DataFrame:
    counterpart_of = {p.customer: p.department for p in catalog.pairs}
    return pl.DataFrame(
        [
            {
                "metric": name,
                "label": m.label,
                "family": FAMILY[m.family],
                "owner": m.owner,
                "unit": m.unit,
                "better": "higher" if m.direction == "up" else "lower",
                "target": target_text(m),
                "counterpart": ", ".join(
                    [c.metric for c in m.counterparts]
                    + ([counterpart_of[name]] if name in counterpart_of else [])
                )
                or "—",
                "definition": m.description,
            }
            for name, m in catalog.metrics.items()
        ]
    )


def details(catalog: Catalog, name: str, as_of: dt.date) -> None:
    """One metric's spec and the SQL it compiles to (as of ``as_of``)."""
    m = catalog.metric(name)
    with st.container(border=True):
        st.markdown(
            f"#### {m.label} · `{name}` · {FAMILY[m.family]}\n\n{m.description}\n\n"
            f"**Owner** {m.owner} · **unit** {m.unit} · **format** {m.format} · "
            f"**{'higher' if m.direction == 'up' else 'lower'} is better** · "
            f"**target** {target_text(m)} · **minimum sample** {m.min_sample}"
        )
        if isinstance(m, DerivedMetric):
            st.markdown(f"**Formula** `{m.formula}`")
        else:
            st.markdown(f"**Model** `{m.model}` — {catalog.models[m.model].spec.description}")
        for c in m.counterparts:
            st.markdown(f"**Counterpart** `{c.metric}`: {c.reveals}")
        # A plain <pre> block: st.code's highlighting of a compiled query took ~0.6 s a view.
        # Folded: the compiled query is most of the page's length, and read by few.
        with st.expander("The SQL it compiles to"):
            st.html(f"<pre style='{SQL_STYLE}'>{html.escape(sql_of(catalog, name, as_of))}</pre>")


def sql_of(catalog: Catalog, name: str, as_of: dt.date) -> str:
    """The SQL one metric compiles to, as of ``as_of``."""
    return compile_query(catalog, Query(metrics=(name,)), as_of).sql


def short_files(frame: pl.DataFrame) -> pl.DataFrame:
    """File paths shown as their last two parts (source folder and file name)."""
    if "file" not in frame.columns:
        return frame
    return frame.with_columns(pl.col("file").str.split("/").list.slice(-2).list.join("/"))


def sql_as_of() -> dt.date:
    """The as-of date to compile the shown SQL for: the warehouse's, else today."""
    try:
        return data.as_of(data.source()) or dt.date.today()
    except WAREHOUSE_ERRORS:  # no or unreadable warehouse: the definitions still apply
        return dt.date.today()


def wrapped_table(frame: pl.DataFrame, labels: dict[str, str]) -> None:
    """A small table whose long texts wrap in their cells (a dataframe would cut them)."""
    shown = frame.select(
        (
            pl.col(c).map_elements(lambda v: f"{v:,}", return_dtype=pl.String)
            if frame.schema[c].is_integer()
            else pl.col(c).cast(pl.String)
        )
        .fill_null(fmt.DASH)
        .alias(label)
        for c, label in labels.items()
        if c in frame.columns
    )
    st.table(shown, border="horizontal")


def table(frame: pl.DataFrame, columns: dict) -> None:
    """A full-width table of the Data page: no index, a dash for nothing."""
    st.dataframe(
        frame, hide_index=True, width="stretch", column_config=columns, placeholder=fmt.DASH
    )
