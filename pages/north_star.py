"""North Star — the COO's weekly review of OTIF and what it costs the customer."""

import polars as pl
import streamlit as st

from metrics import signals
from ui import charts, data, page, prefetch, review, tiles
from ui.guard import guarded

page.header(
    "North Star — weekly review",
    "Did we deliver what customers ordered, when they asked for it? OTIF against target, "
    "why promises broke and what it cost us with customers.",
)

OUTCOMES, DRIVERS = review.OUTCOMES, review.DRIVERS
SHORT = {"fcr": "FCR", "contacts_per_100_orders": "Contacts / 100 orders"}

with guarded():
    ctx = page.context()
    view, cat = ctx.view, ctx.catalog
    page.stamp(ctx)
    otif = cat.metric("otif")
    window = view.trend_query("csat")
    periods, funnel, drivers, satisfaction = data.gather(*review.queries(ctx.src, view))
    head = review.first_row(periods, "otif", view.start)
    trend = periods.filter(pl.col("metric") == "otif")

    left, right = st.columns([1, 2], gap="large")
    with left:
        tiles.kpi(
            head,
            otif,
            grain=view.grain,
            label=f"OTIF · {view.grain} under review",
            status_badge=True,
        )
        ly = review.compare_text(head, otif, "ly", view.grain)
        if ly:
            st.caption(ly)
        review.show_signal(
            signals.xmr_signal(*review.signal_inputs(trend, head, view.start)), head, otif
        )
    with right:
        st.markdown(
            f"**OTIF, last {trend.height} {view.grain}s** · dashed = target · "
            "dot colour = status · ▲ = partial"
        )
        charts.draw(charts.trend, trend, otif)

    st.divider()
    funnel_col, outcome_col = st.columns([3, 2], gap="large")
    with funnel_col:
        st.subheader("The promise funnel")
        st.caption(review.funnel_sentence(funnel))
        charts.draw(charts.waterfall, funnel)
    with outcome_col:
        st.subheader("Customer outcomes")
        for pair in (OUTCOMES[:2], OUTCOMES[2:]):
            for col, name in zip(st.columns(2), pair):
                with col:
                    tiles.kpi(
                        review.first_row(periods, name, view.start),
                        cat.metric(name),
                        grain=view.grain,
                        label=SHORT.get(name),
                    )

    st.divider()
    st.subheader("Where we broke the promise")
    st.caption(
        "Missed order lines due in the period. Red: more misses than the volume alone explains."
    )
    for col, (dim, title) in zip(st.columns(4), DRIVERS):
        with col:
            frame = drivers[dim]
            st.markdown(f"**{title}**" + (" · no missed lines" if frame.is_empty() else ""))
            if not frame.is_empty():
                charts.draw(charts.contributors, frame, title)

    st.divider()
    st.subheader("The customer cost of a broken promise")
    st.caption(
        f"Survey answers about orders, {window.date_from:%d %b} – {window.date_to:%d %b %Y} "
        "(13 periods, for a usable sample): customers whose order was OTIF against those whose was not."
    )
    review.show_satisfaction(satisfaction, cat)
    prefetch.other_pages(ctx.src, view)
