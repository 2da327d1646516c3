"""One customer: who they are, how we served them, and everything that happened, in one timeline.

Reached from any table's customer link, or by URL: ``account?customer_id=C100069``.
"""

import polars as pl
import streamlit as st

from present import format as fmt
from present.explore_charts import over_time
from present.trend_charts import trend
from ui import customer_data, data, page, portfolios, review, tiles, voice
from ui.guard import guarded

page.header(
    "Customer", "Everything we know about one relationship: orders, deliveries, calls and answers."
)

with guarded():
    ctx = page.context()
    view, cat = ctx.view, ctx.catalog
    customers = customer_data.directory(ctx.src, view.as_of)
    cid = customer_data.chosen_customer(customers)
    if cid is None:
        st.info(
            "Pick a customer above, or open one from the customers-at-risk list on the Portfolios page."
        )
        st.stop()
    who = customers.filter(pl.col("customer_id") == cid).row(0, named=True)
    st.subheader(customer_data.title_line(who))
    st.markdown(customer_data.profile_line(who))
    st.markdown(customer_data.risk_line(who))
    window = view.trend_query(*customer_data.CUSTOMER_METRICS)
    window = customer_data.customer_query(cid, window.replace(grain=None))
    st.caption(
        f":material/calendar_month: **{window.date_from:%d %b %Y} – {window.date_to:%d %b %Y}** "
        f"(last 13 {view.grain}s) · data as of **{view.as_of:%a %d %b %Y}**"
    )
    totals = data.details(ctx.src, window, compare=False)
    names = customer_data.CUSTOMER_METRICS
    for row in (names[:4], names[4:]):
        for col, name in zip(st.columns(4), row):
            with col:
                tiles.kpi(
                    review.first_row(totals, name),
                    cat.metric(name),
                    grain=view.grain,
                    label=portfolios.SHORT.get(name),
                    narrow=True,
                )

    monthly = data.details(
        ctx.src,
        customer_data.customer_query(
            cid, view.trend_query("otif", "revenue", periods=12, grain="month")
        ),
        compare=False,
    )
    left, right = st.columns(2)
    for col, name in ((left, "otif"), (right, "revenue")):
        with col:
            frame = monthly.filter(pl.col("metric") == name) if monthly.height else monthly
            note = (
                " · dashed = target · ▲ = month so far"
                if name == "otif"
                else " · last month so far"
            )
            st.markdown(f"**{cat.metric(name).label} by month**{note}")
            if frame.height:
                chart = (
                    trend(frame, cat.metric(name))
                    if name == "otif"
                    else over_time(frame, cat.metric(name), None, height=220)
                )
                st.altair_chart(chart, width="stretch")

    st.subheader("Timeline")
    events = customer_data.readable_timeline(customer_data.timeline(ctx.src, cid, view.as_of))
    events = voice.with_themes(events, ctx.src, cid, view.as_of)
    kinds = st.pills(
        "Show",
        customer_data.KINDS,
        selection_mode="multi",
        default=list(customer_data.KINDS),
        format_func=lambda k: customer_data.KIND_LABELS[k] + "s",
        key="kinds",
    )
    labels = [customer_data.KIND_LABELS[k] for k in kinds or []]
    shown = events.filter(pl.col("kind").is_in(labels))
    st.caption(f"{shown.height:,} of {fmt.plural(events.height, 'event')}, newest first.")
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=520,
        placeholder=fmt.DASH,
        column_config={
            "date": st.column_config.DateColumn("Date"),
            "kind": "What",
            "reference": "Reference",
            "what": st.column_config.TextColumn("Details", width="medium"),
            "outcome": st.column_config.TextColumn("Outcome or comment", width="medium"),
            "themes": st.column_config.TextColumn(
                "Comment themes", help="Themes of an answer's comment (themes: in metrics.yaml)"
            ),
        },
    )
