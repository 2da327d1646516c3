"""Explore: any metric by any of its dimensions and grain, then the records behind a bar or row."""

from functools import partial

import streamlit as st

from present import format as fmt
from ui import access, customer_data, data, explore, explore_tables, page, prefetch, tiles
from ui.guard import guarded

page.header(
    "Explore",
    "Any metric, split any way. Click a bar, point or row to list the records "
    "behind it. The address bar holds the whole view: copy it to share.",
)

with guarded():
    ctx = page.context()
    view, cat = ctx.view, ctx.catalog
    explore.check_url(cat)
    a, b, c = st.columns([2, 2, 1])
    with a:
        shown = access.viewer().visible_metrics(cat)
        metric = explore.url_selectbox(
            "Metric",
            shown,
            key="metric",
            default="otif" if "otif" in shown else shown[0],
            format_func=lambda n: explore.metric_name(cat, n),
            on_change=explore.reset_pick,
        )
    m = cat.metric(metric)
    with b:
        dims = [explore.NONE, *cat.dimensions_of(metric)]
        dim = explore.url_selectbox(
            "Split by",
            dims,
            key="by",
            default=explore.NONE,
            on_change=explore.reset_pick,
            format_func=lambda d: "nothing" if d == explore.NONE else cat.spec.dimensions[d].label,
        )
    with c:
        every = explore.url_selectbox(
            "Over time",
            list(explore.EVERY),
            key="every",
            default="total",
            on_change=explore.reset_pick,
            format_func=lambda g: "no (period total)" if g == "total" else f"by {g}",
        )
    dim = None if dim == explore.NONE else dim
    pick = explore.url_pick()
    for text in st.session_state.get("_explore_notes", []):  # they quote the link
        st.warning(fmt.escape_markdown(text))
    page.stamp(ctx)
    st.caption(
        f"**{fmt.escape_markdown(m.label)}** — {fmt.escape_markdown(m.description)} · "
        f"owner: {fmt.escape_markdown(m.owner)} · "
        f"{'higher' if m.direction == 'up' else 'lower'} is better"
    )

    agg_q = explore.aggregate_query(view, metric, dim, every)
    frame = data.details(ctx.src, agg_q)
    if frame.is_empty():
        st.info("No data for this metric in the chosen period and filters.")
        st.stop()
    frame = fmt.label_missing(frame.drop("metric"), [dim] if dim else [])
    if dim and frame[dim].eq(fmt.no_value_label(dim)).any():
        st.caption(
            f"**{fmt.no_value_label(dim)}**: records without a {fmt.escape_markdown(dim)}, "
            "shown as their own row so the rows add up to the total."
        )
    drawn = explore.chart_frame(frame, dim)
    chart_event = explore.draw_chart(
        drawn, m, dim, every, pick, key=f"explore_chart_{explore.nonce()}"
    )
    if chart_event is None:
        tiles.kpi(frame.row(0, named=True), m, grain=view.grain)
    shown, config = explore_tables.table(frame, metric, cat)
    table_event = st.dataframe(
        shown,
        column_config=config,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"explore_table_{explore.nonce()}",
        width="stretch",
        height="auto" if shown.height <= 12 else 420,
        placeholder=fmt.DASH,
    )
    st.download_button(
        "Aggregate as CSV",
        access.audited_download(
            f"{metric} aggregate",
            frame.height,
            partial(explore_tables.aggregate_csv, frame, m, dim),
        ),
        file_name=explore_tables.export_name(metric, view, kind="aggregate", dim=dim, every=every),
        icon=":material/download:",
        mime="text/csv",
        on_click="ignore",
    )

    pick = explore.new_click(table_event, chart_event, frame, dim) or pick

    st.divider()
    st.subheader("Records behind the selection")
    top = st.columns([3, 1, 1])
    with top[0]:
        st.caption(
            f"Narrowed to **{pick.describe(dim, every)}**."
            if not pick.empty
            else "Nothing picked: the records behind the whole view. Click a bar, point or row to narrow."
        )
    with top[1]:
        failing = explore.url_toggle(
            "Failing only",
            key="failing",
            help="Only the records that count against the metric, e.g. orders not OTIF.",
        )
    with top[2]:
        if not pick.empty:
            st.button("Clear selection", on_click=explore.reset_pick)
    fetched = data.rows(
        ctx.src, metric, explore.records_query(agg_q, dim, pick), failing=failing, limit=1000
    )
    records = explore_tables.named_records(
        explore.narrow_records(fetched, dim, pick),
        customer_data.directory(ctx.src, view.as_of),
    )
    shown_records, records_config = explore_tables.records_table(records)
    with st.container(key="explore_records"):  # a listing may scroll sideways, its ids pinned
        st.dataframe(
            shown_records,
            column_config=records_config,
            hide_index=True,
            width="stretch",
            height=320,
            placeholder=fmt.DASH,
        )
    st.caption(
        f"{fmt.plural(records.height, 'record')}"
        f"{' (of the first 1,000)' if fetched.height >= 1000 else ''}, "
        "columns: the metric's drill columns; a customer id opens the customer's page."
    )
    if pick.is_no_value(dim) and explore.narrow_records(fetched, dim, pick) is fetched:
        st.caption(
            f"The records do not show {fmt.escape_markdown(dim)}: listed are those of the whole view."
        )
    st.download_button(
        "Records as CSV",
        access.audited_download(
            f"{metric} records", records.height, partial(fmt.csv_text, records)
        ),
        file_name=explore_tables.export_name(
            metric, view, kind="records", dim=dim, pick=pick, failing=failing
        ),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    prefetch.other_pages(ctx.src, view)
