"""Old KPIs vs North Star: each department KPI beside the customer outcome it claims to serve."""

import polars as pl
import streamlit as st

from metrics import pairs as pair_logic
from ui import data, page, pairs, prefetch
from ui.guard import guarded

page.header(
    "Old KPIs vs North Star",
    "Each department KPI beside its customer-centric counterpart. Pairs where the department "
    "is green but the customer is red come first.",
)

PAIR_DIMS = ("(none)", "region", "segment", "portfolio", "portfolio_manager")

with guarded():
    ctx = page.context()
    view, cat = ctx.view, ctx.catalog
    page.stamp(ctx)
    dim = st.selectbox(
        "Split each pair by",
        PAIR_DIMS,
        key="pair_by",
        bind="query-params",
        format_func=lambda d: "nothing (totals)" if d == "(none)" else cat.spec.dimensions[d].label,
    )
    dim = None if dim == "(none)" else dim
    names = pair_logic.pair_metrics(cat)
    periods = pairs.periods(ctx.src, view, cat)  # the period under review is the last
    current = (
        periods.filter(pl.col("period") == view.start).drop("period") if periods.height else periods
    )
    totals = pair_logic.pair_rows(current, cat)
    trend = pair_logic.attainment(periods, cat) if periods.height else periods
    by_dim = (
        pair_logic.pair_rows(
            data.details(ctx.src, view.query(*names, by=(dim,)), compare=False), cat, [dim]
        )
        if dim
        else None
    )
    if totals.is_empty():
        st.info("No data for these pairs in the period.")
        st.stop()
    pairs.conflict_banner(by_dim if by_dim is not None and not by_dim.is_empty() else totals, cat)
    st.caption(
        "Charts: each metric as a share of its target over the last 13 periods "
        "(100 % = on target; for lower-is-better metrics, target ÷ value)."
    )
    for total in pair_logic.conflicts_first(totals, by_dim).iter_rows(named=True):
        rows = by_dim.filter(pl.col("pair") == total["pair"]) if by_dim is not None else None
        pairs.card(total, rows, dim, trend, cat)
    prefetch.other_pages(ctx.src, view)
