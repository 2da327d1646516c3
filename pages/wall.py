"""S&OP wall screen: the North Star for a TV on the meeting-room wall.

Open it as ``/sop-wall?embed=true`` (``&refresh=SECONDS&reload=HOURS&by=region|site``).
It re-draws itself every ``refresh`` seconds (a new load shows up then) and
reloads the whole page every ``reload`` hours.
"""

import streamlit as st

from ui import page, wall, wall_board
from ui.guard import guarded

setup = wall.settings()
wall.style()


@st.fragment(run_every=setup.refresh)
def board() -> None:
    top = st.empty()  # the title bar, drawn even when the numbers fail
    with top:
        wall.title_bar(None)
    wall.notes(setup.notes)
    with guarded():
        ctx = page.context()
        cat = ctx.catalog
        b = wall_board.board(ctx.src, cat, ctx.view.as_of, ctx.view.where, setup.by)
        with top:
            wall.title_bar(b)
        left, right = st.columns([1.2, 2.8])
        with left:
            wall.otif_tile(cat, b)
            wall.causes_tile(b)
        with right:
            wall.multiples(b, cat, setup.by)
        wall.outcome_tiles(cat, b)


board()
wall.reload_every(setup.reload_hours)
