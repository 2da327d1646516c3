"""Customers and portfolios: each portfolio and its accountable manager against targets."""

import streamlit as st

from ui import customer_data, data, page, portfolios
from ui.guard import guarded

page.header(
    "Customer portfolios",
    "Every customer belongs to one portfolio with one accountable manager. "
    "How each portfolio's customers are served, and who is at risk.",
)

WINDOWS = {"period": "the period under review", "13": "the last 13 periods"}
NO_PORTFOLIO, NO_SEGMENT = "(no portfolio)", "(no segment)"

with guarded():
    ctx = page.context()
    view, cat = ctx.view, ctx.catalog
    page.stamp(ctx)
    window = (
        st.segmented_control(
            "Scores over",
            list(WINDOWS),
            format_func=WINDOWS.get,
            key="window",
            bind="query-params",
            default="period",
        )
        or "period"
    )
    trend_q = view.trend_query("otif")
    q = view.query(*portfolios.SCORE_METRICS)
    if window == "13":
        q = q.replace(date_from=trend_q.date_from, date_to=trend_q.date_to)
    risk = customer_data.at_risk(ctx.src, view.as_of, view.where)
    rule = customer_data.risk_rule(cat)
    by_portfolio, by_segment, at_risk = st.tabs(
        ["Portfolios", "Segments", f"Customers at risk ({risk.height})"]
    )
    with by_portfolio:
        details, shared = portfolios.portfolio_details(ctx.src, q)
        board = portfolios.scores(
            details,
            portfolios.MANAGERS,
            q.metrics,
            no_value={"portfolio": NO_PORTFOLIO, "portfolio_manager": "—"},
        )
        if shared:
            st.warning(portfolios.shared_note(shared))
        weekly = data.details(ctx.src, trend_q.replace(by=("portfolio",)), compare=False)
        portfolios.show(
            board,
            cat,
            extra=portfolios.board_extras(board.values, "portfolio", risk, weekly, NO_PORTFOLIO),
            key="portfolio_board",
            labels={
                "portfolio": st.column_config.TextColumn("Portfolio", pinned=True, width=200),
                "portfolio_manager": st.column_config.TextColumn("Manager", width=120),
                "at_risk": st.column_config.NumberColumn("At risk", help=rule, width=50),
                "otif_trend": st.column_config.LineChartColumn(
                    "Trend",
                    help=f"OTIF over the last 13 {view.grain}s",
                    y_min=0.4,
                    y_max=1.0,
                    width=64,
                ),
            },
        )
        portfolios.legend(cat)
        totals = data.details(ctx.src, q, compare=False)
        st.caption(portfolios.totals_note(totals, board, cat, "portfolio", NO_PORTFOLIO))
    with by_segment:
        keys = ("segment",)
        seg = portfolios.scores(
            data.details(ctx.src, q.replace(by=keys), compare=False),
            keys,
            q.metrics,
            no_value={"segment": NO_SEGMENT},
        )
        portfolios.show(
            seg,
            cat,
            extra=portfolios.board_extras(seg.values, "segment", risk, None, NO_SEGMENT),
            key="segment_board",
            labels={
                "segment": st.column_config.TextColumn("Segment", pinned=True, width=150),
                "at_risk": st.column_config.NumberColumn("At risk", help=rule, width=50),
            },
        )
        portfolios.legend(cat)
    with at_risk:
        st.caption(rule + " Click a customer id to open its page.")
        customer_data.risk_table(risk)
