"""Customers and portfolios: each portfolio and its accountable manager against targets."""

import polars as pl
import streamlit as st

from ui import customer_data, data, page, portfolios
from ui.guard import guarded

page.header(
    "Customer portfolios",
    "Every customer belongs to one portfolio with one accountable manager. "
    "How each portfolio's customers are served, and who is at risk.",
)

WINDOWS = {"period": "the period under review", "13": "the last 13 periods"}

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
    by_portfolio, by_segment, at_risk = st.tabs(
        ["Portfolios", "Segments", f"Customers at risk ({risk.height})"]
    )
    with by_portfolio:
        keys = ("portfolio", "portfolio_manager")
        board = portfolios.scores(
            data.details(ctx.src, q.replace(by=keys), compare=False), keys, q.metrics
        )
        weekly = data.details(ctx.src, trend_q.replace(by=("portfolio",)), compare=False)
        extra = (
            portfolios.risk_counts(risk, "portfolio")
            .join(
                portfolios.trend_lists(weekly, "portfolio"),
                on="portfolio",
                how="full",
                coalesce=True,
            )
            .with_columns(pl.col("at_risk").fill_null(0))
        )
        portfolios.show(
            board,
            cat,
            extra=extra,
            key="portfolio_board",
            labels={
                "portfolio": st.column_config.TextColumn("Portfolio", pinned=True),
                "portfolio_manager": st.column_config.TextColumn("Manager"),
                "at_risk": st.column_config.NumberColumn("At risk", help=customer_data.RISK_RULE),
                "otif_trend": st.column_config.LineChartColumn(
                    f"OTIF, 13 {view.grain}s", y_min=0.4, y_max=1.0, width="small"
                ),
            },
        )
        portfolios.legend(cat)
    with by_segment:
        keys = ("segment",)
        seg = portfolios.scores(
            data.details(ctx.src, q.replace(by=keys), compare=False), keys, q.metrics
        )
        portfolios.show(
            seg,
            cat,
            extra=portfolios.risk_counts(risk, "segment").with_columns(
                pl.col("at_risk").cast(pl.Int64)
            ),
            key="segment_board",
            labels={
                "segment": st.column_config.TextColumn("Segment", pinned=True),
                "at_risk": st.column_config.NumberColumn("At risk", help=customer_data.RISK_RULE),
            },
        )
        portfolios.legend(cat)
    with at_risk:
        st.caption(customer_data.RISK_RULE + " Click a customer id to open its page.")
        st.dataframe(
            customer_data.with_links(risk),
            hide_index=True,
            width="stretch",
            key="risk_table",
            column_config={
                "customer_id": customer_data.LINK_COLUMN,
                "name": "Name",
                "segment": "Segment",
                "region": "Region",
                "portfolio": "Portfolio",
                "portfolio_manager": "Manager",
                "broken_promises": st.column_config.NumberColumn("Broken promises (30 d)"),
                "detractor_responses": st.column_config.NumberColumn("Detractor answers (90 d)"),
                "repeated_contacts": st.column_config.NumberColumn("Repeat contacts (30 d)"),
            },
        )
