"""Old KPIs vs North Star: each department KPI beside the customer outcome it claims to serve."""

import polars as pl
import streamlit as st

from metrics import pairs as pair_logic
from metrics.review_model import TREND
from ui import page, pairs, prefetch
from ui.guard import guarded

page.header(
    "Old KPIs vs North Star",
    "Each department KPI beside its customer-centric counterpart, each against its own target. "
    "A pair is flagged when the department KPI is on or near target while the customer outcome "
    "is off target; the widest gaps (the customer's shortfall against target minus the "
    "department's, each relative to its target) come first.",
)

with guarded():
    ctx = page.context()
    view, cat = ctx.view, ctx.catalog
    page.stamp(ctx)
    dim = pairs.split_by(cat)
    periods = pairs.periods(ctx.src, view, cat)  # the period under review is the last
    totals = pair_logic.measured_pairs(periods, cat, view.start, view.grain, view.as_of)
    by_dim = pairs.split_details(ctx.src, view, cat, dim) if dim else None
    if totals.is_empty():
        st.info("No data for these pairs in the period.")
        st.stop()
    ranked = pair_logic.rank_pairs(totals, by_dim)
    pairs.conflict_banner(ranked, cat, dim)
    st.caption(
        f"Charts: each side's value over the last {TREND} periods in its own units; dashed line: "
        "its target; points coloured by status."
    )
    for total in ranked.iter_rows(named=True):
        rows = (
            by_dim.filter(pl.col("pair") == total["pair"])
            if by_dim is not None and by_dim.height
            else None
        )
        pairs.card(total, rows, dim, periods, cat)
    prefetch.other_pages(ctx.src, view)
