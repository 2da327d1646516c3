"""Contact center: the handle-time trap made visible, queues and agents, and why customers call."""

import streamlit as st

from present import format as fmt
from ui import contact_center as cc
from ui import data, page, portfolios, review, tiles, voice
from ui.guard import guarded

page.header(
    "Contact center — the handle-time trap",
    "Short calls are not solved problems. Handle time beside what the agent ticked, whether the "
    "customer had to call again, how satisfied they were, and what they called about.",
)

with guarded():
    ctx = page.context()
    view, cat = ctx.view, ctx.catalog
    page.stamp(ctx)
    by_queue = data.details(ctx.src, view.query(*cc.TABLE, by=("queue",)), compare=False)
    queues = (
        tuple(sorted(q for q in by_queue["queue"].unique().to_list() if q))
        if by_queue.height
        else ()
    )
    by_queue = cc.queue_rows(by_queue)
    totals = data.details(ctx.src, view.query(*(m for row in cc.TILES for m in row if m != "csat")))
    after_calls = (
        data.details(ctx.src, view.query("csat", where=view.where + (("queue", queues),)))
        if queues
        else totals.clear()
    )
    # Short enough for a tile at 1366 px (the tile's help gives the full definition).
    labels = {
        **portfolios.SHORT,
        "csat": "CSAT after contacts",
        "wismo_after_broken_promise": "WISMO after a miss",
    }
    for row in cc.TILES:
        for col, name in zip(st.columns(len(row)), row):
            with col:
                source = after_calls if name == "csat" else totals
                tiles.kpi(
                    review.first_row(source, name),
                    cat.metric(name),
                    grain=view.grain,
                    label=labels.get(name),
                )

    st.divider()
    st.subheader("Queues pushed on handle time")
    early, late = (data.values(ctx.src, q) for q in cc.window_queries(view))
    st.markdown(cc.trap_sentence(cc.find_trap(early, late), cat))
    trend = data.details(ctx.src, cc.trap_query(view), compare=False)
    if trend.height:
        st.caption(
            "Last 12 months by queue. Dashed: target. FCR = no other contact from the customer "
            "within 7 days (the latest week is not measured yet)."
        )
        cc.trap_grid(trend, cat)

    st.divider()
    st.subheader(f"Queues and agents · {view.label}")
    queue_tab, agent_tab = st.tabs(["By queue", "By agent"])
    with queue_tab:
        board = portfolios.scores(by_queue, ("queue",), cc.TABLE)
        portfolios.show(
            board,
            cat,
            key="queue_board",
            labels={"queue": st.column_config.TextColumn("Queue", pinned=True)},
        )
    with agent_tab:
        keys = ("queue", "agent_id")
        agents = data.details(ctx.src, view.query(*cc.AGENT_TABLE, by=keys), compare=False)
        st.caption(
            "Abandoned calls reach no agent: they are the **(no agent)** row of each queue, and "
            "the abandon rate is a queue's number, not an agent's. Handle time is shown but not "
            "judged per agent: a short call is not the goal."
        )
        portfolios.show(
            cc.agent_scores(
                portfolios.scores(fmt.label_missing(agents, list(keys)), keys, cc.AGENT_TABLE)
            ),
            cat,
            key="agent_board",
            labels={
                "queue": st.column_config.TextColumn("Queue", pinned=True),
                "agent_id": st.column_config.TextColumn("Agent", pinned=True),
            },
        )
    portfolios.legend(cat, cc.TABLE)

    st.divider()
    st.subheader("What customers said after contacts")
    said = voice.by_queue(ctx.src, view)
    st.caption(voice.queue_caption(view))
    if said.height:
        config = voice.queue_config(said)
        st.dataframe(said, column_config=config, hide_index=True, placeholder=fmt.DASH)
    else:
        st.info("No commented survey answers about contacts in this period.")

    st.divider()
    st.subheader("Why customers call")
    reasons = cc.reasons(ctx.src, view)
    wismo = review.first_row(totals, "wismo_after_broken_promise")
    if wismo and wismo.get("value") is not None:
        st.markdown(
            f"**{wismo['value']:.0%}** of the “where is my order” contacts in the period were about an "
            "order that had missed OTIF: calls the company caused by breaking its promise."
        )
    if reasons.height:
        st.altair_chart(cc.reasons_chart(reasons), width="stretch")
    else:
        st.info("No contacts in this period.")
