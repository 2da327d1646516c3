"""Promises at risk: open lines due in the coming days that cannot make their date on the
current plan, as a worklist per portfolio (the promise's owner) or per site (the dispatch)."""

from functools import partial

import streamlit as st

from present import format as fmt
from ui import access, page, promises
from ui.guard import guarded

page.header(
    "Promises at risk",
    "Act before the customer notices: the forward-looking twin of OTIF, with who acts on each.",
)

with guarded():
    ctx = page.context()
    view, cat = ctx.view, ctx.catalog
    page.stamp(ctx)
    st.caption(promises.horizon_text(cat, view.as_of))
    frame = promises.at_risk_lines(ctx.src, view)
    if frame.is_empty():
        st.success("No promise due in the coming days is behind.", icon=":material/check:")
        st.stop()
    by = (
        st.segmented_control(
            "Worklist per",
            list(promises.GROUPS),
            format_func=promises.GROUPS.get,
            key="risk_by",
            bind="query-params",
            default="portfolio",
        )
        or "portfolio"
    )
    promises.show_counts(frame, by)
    groups = promises.counts(frame, by)[by].to_list()
    pick = st.selectbox(f"Lines of one {by}", ["all", *groups], key="risk_pick")
    rows = promises.worklist(frame, by, None if pick == "all" else pick)
    st.markdown(
        f"**{rows.height:,} lines at risk**: those that can no longer make it (✕) first, "
        "then soonest due"
    )
    promises.show_worklist(rows, by)
    st.download_button(
        "Lines as CSV",
        access.audited_download("promises at risk", rows.height, partial(fmt.csv_text, rows)),
        file_name=f"promises-at-risk_{view.as_of.isoformat()}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
