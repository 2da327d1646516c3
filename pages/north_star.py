"""North Star — the COO's review of OTIF and what it costs the customer (weekly by default;
monthly or quarterly as the period filter says)."""

import polars as pl
import streamlit as st

from present import miss_charts, trend_charts
from ui import actions, charts, data, page, prefetch, promises, review, tiles, voice
from ui.guard import guarded

page.header(
    review.title(st.session_state.get("grain") or "week"),
    "Did we deliver what customers ordered, when they asked for it? OTIF against target, "
    "why promises broke, who acts on it, and what it cost us with customers.",
)

OUTCOMES, DRIVERS = review.OUTCOMES, review.DRIVERS

with guarded():
    ctx = page.context()
    view, cat = ctx.view, ctx.catalog
    grain = view.grain
    page.stamp(ctx)
    otif = cat.metric("otif")
    window = view.trend_query("csat")
    periods, funnel, drivers, satisfaction, history, mix = data.gather(
        *review.queries(ctx.src, view)
    )
    head = review.first_row(periods, "otif", view.start)
    trend = periods.filter(pl.col("metric") == "otif")
    logged = actions.for_view(ctx.src, view)
    reading, shift_periods = review.reading(history, head, view.start, otif)
    at_risk = promises.at_risk_lines(ctx.src, view)
    review.decision(head, otif, reading, funnel, at_risk, logged, grain)

    left, right = st.columns([1, 2], gap="large")
    with left:
        tiles.kpi(head, otif, grain=grain, label=f"OTIF · {grain} under review", status_badge=True)
        review.records_link(view, "otif", otif, head)
        ly = review.compare_text(head, otif, "ly", grain)
        if ly:
            st.caption(ly)
        review.show_signal(reading, shift_periods, head, otif, grain)
        review.company_headline(ctx.src, view, "otif", otif)
    with right:
        st.markdown(
            f"**OTIF, last {trend.height} {grain}s** · dashed = target · pale line = last year · "
            "◆ = a decision of the action log"
        )
        charts.draw(
            trend_charts.trend, trend, otif, grain=grain, actions=actions.marks(logged, "otif")
        )

    st.subheader("Customer outcomes")
    for col, name in zip(st.columns(len(OUTCOMES)), OUTCOMES):
        with col:
            row, lagged = review.measured_row(periods, name, cat.metric(name), view)
            tiles.kpi(row, cat.metric(name), grain=grain)
            if lagged:
                st.caption(lagged)
            review.records_link(view, name, cat.metric(name), row)

    st.caption("The sections below open on a click; the page remembers which you opened.")
    with review.section("funnel") as shown:
        if shown:
            funnel_col, causes_col = st.columns([1, 1], gap="large")
            with funnel_col:
                st.markdown("**The promise funnel**")
                st.caption(review.funnel_sentence(funnel, grain))
                charts.draw(miss_charts.waterfall, funnel)
                st.caption(
                    "Counts **orders**: an order misses when any of its lines does, and takes "
                    "the reason of its first failing line. Pale = misses still open."
                )
            with causes_col:
                st.markdown("**Top causes and who acts**")
                causes, config = review.causes_table(funnel, view)
                if causes.is_empty():
                    st.caption("No missed orders in this period.")
                else:
                    st.dataframe(causes, column_config=config, hide_index=True, width="stretch")
            st.markdown(review.mix_caption(mix, grain))
            if not mix.is_empty():
                labels = tuple(r.label for r in cat.miss_reasons)
                charts.draw(miss_charts.reason_mix, mix, labels, grain=grain, height=200)

    with review.section("where") as shown:
        if shown:
            st.caption(
                "Missed **order lines** due in the period (the funnel counts orders). Red: more "
                "misses than the volume alone explains; click a red bar for its failing lines."
            )
            linked = review.driver_frames(drivers, view)
            cols = [c for _ in range(2) for c in st.columns(2, gap="large")]
            for col, (dim, title) in zip(cols, DRIVERS):
                with col:
                    frame = linked[dim]
                    empty = " · no missed lines" if frame.is_empty() else ""
                    st.markdown(f"**{title}**{empty}")
                    if not frame.is_empty():
                        charts.draw(miss_charts.contributors, frame, title)

    with review.section("at_risk") as shown:
        if shown:
            promises.review_summary(at_risk, cat, view.as_of)

    with review.section("cost") as shown:
        if shown:
            st.caption(
                f"Survey answers about orders, {window.date_from:%d %b %Y} – "
                f"{window.date_to:%d %b %Y} ({review.TREND} periods, for a usable sample): "
                "customers whose order was OTIF against those whose was not."
            )
            review.show_satisfaction(satisfaction, cat)
            voice.review_section(ctx.src, view)

    with review.section("actions") as shown:
        if shown:
            actions.show(ctx.src, cat, view, logged)
    prefetch.other_pages(ctx.src, view)
