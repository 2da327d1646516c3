"""Data & definitions: how fresh each extract is, what was rejected, and what every metric means."""

import polars as pl
import streamlit as st

from present import format as fmt
from ui import catalogue, data, page
from ui.guard import guarded

page.header(
    "Data & definitions",
    "Where the numbers come from: the loads, their freshness and rejects, "
    "and the definition of every metric.",
)

with guarded():
    src = data.source()
    as_of = data.as_of(src)
    st.caption(
        f"Data as of **{as_of:%a %d %b %Y}**" if as_of else "The warehouse holds no dated rows yet."
    )
    st.subheader("Freshness")
    fresh = data.freshness(src, as_of)
    stale = fresh.filter(pl.col("stale"))
    if stale.height:
        st.warning(
            f"**Stale {'extract' if stale.height == 1 else 'extracts'}:** "
            + ", ".join(
                f"{r['extract']} (latest {r['latest']}, "
                f"{fmt.plural(r['days_behind'], 'day')} before as-of)"
                if r["latest"]
                else f"{r['extract']} (empty)"
                for r in stale.iter_rows(named=True)
            )
            + ". Numbers that read them may be incomplete."
        )
    else:
        st.success(
            "The extracts keep pace with each other: each reaches within 7 days of the as-of "
            "date (the newest data). How far that lags behind today is said above, when it does."
        )
    catalogue.table(
        fresh.with_columns(
            pl.when(pl.col("stale")).then(pl.lit("stale")).otherwise(pl.lit("ok")).alias("stale")
        ),
        catalogue.FRESHNESS_COLUMNS,
    )
    loads, reasons, rejected = (
        catalogue.readable_rules(catalogue.short_files(f)) for f in data.load_log(src)
    )
    st.subheader("Loads")
    if loads.is_empty():
        st.info("No load is recorded in this warehouse.")
    else:
        catalogue.table(loads, catalogue.LOAD_COLUMNS)
    st.subheader("Rejected rows")
    if reasons.is_empty():
        st.success("No row was rejected.")
    else:
        catalogue.wrapped_table(reasons, catalogue.REASON_COLUMNS)
        with st.expander(f"The rejected rows themselves ({rejected.height:,} shown)"):
            catalogue.table(rejected, catalogue.REJECTED_COLUMNS)

with guarded():
    st.divider()
    st.subheader("Metric catalogue")
    cat = data.catalog()
    st.caption("The SQL shown is compiled for the warehouse's as-of date.")
    st.caption(
        f"From `{cat.source}`: {fmt.plural(len(cat.metrics), 'metric')}. "
        "Change the YAML to change a definition."
    )
    st.table(catalogue.overview_table(cat), border="horizontal")
    name = st.selectbox(
        "Definition and SQL of",
        list(cat.metrics),
        key="definition",
        format_func=lambda n: f"{cat.metrics[n].label} ({n})",
    )
    catalogue.details(cat, name, catalogue.sql_as_of())
