"""What every page starts with: the title, the staleness warning, the view and the as-of stamp."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

from metrics.catalog import Catalog
from present.format import escape_markdown
from ui import data, filters
from ui.guard import WAREHOUSE_ERRORS, NoData


@dataclass(frozen=True)
class Context:
    src: data.Source
    catalog: Catalog
    view: filters.View


# Streamlit's default top padding (6rem) pushes the first screen's decision below a laptop's
# fold; the pages start closer to the top.
_TOP = '<style>[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }</style>'


def header(title: str, subtitle: str | None = None) -> None:
    st.html(_TOP)
    st.title(title)
    if subtitle:
        st.caption(subtitle)
    stale_warning()
    for note in filters.url_notes():
        st.warning(escape_markdown(note))


def stale_warning() -> None:
    """A warning when the newest data is older than settings.stale_after_days before today."""
    try:
        as_of = data.as_of(data.source())
    except WAREHOUSE_ERRORS:  # no or an unreadable warehouse: the page itself explains it
        return
    if as_of is None:
        return
    late = data.staleness(as_of)
    if late.stale:
        st.warning(late.message(), icon=":material/schedule:")


def context() -> Context:
    """Catalogue, warehouse and view; raises a ConfigError, ConnectorError or NoData to show."""
    catalog = data.catalog()
    src = data.source()
    as_of = data.as_of(src)
    if as_of is None:
        raise NoData(
            "The warehouse holds no shipments, contacts or survey responses yet, so there is "
            "nothing to measure. Load extracts with `northstar load PATH` and reload."
        )
    return Context(src, catalog, filters.current_view(as_of))


def stamp(ctx: Context) -> None:
    """'Week 46 · 9–15 Nov 2026 · data as of … · filters …' under a page title."""
    view = ctx.view
    where = (
        " · ".join(f"{d}: {escape_markdown(', '.join(v))}" for d, v in view.where)
        or "all customers"
    )
    period = escape_markdown(view.label)
    if view.latest:
        stale = data.staleness(view.as_of).stale
        period = escape_markdown(filters.latest_label(view.as_of, view.grain, stale=stale))
    st.caption(
        f":material/calendar_month: **{period}** · data as of **{view.as_of:%a %d %b %Y}** · {where}"
        + scope_note()
    )


def scope_note() -> str:
    """' · your access: portfolio Key Accounts' for a viewer whose rows the policy limits."""
    from ui import access

    scope = access.viewer().scope
    if not scope:
        return ""
    rows = "; ".join(f"{d} {escape_markdown(', '.join(v))}" for d, v in scope)
    return f" · :material/lock: **your access: {rows}** (every number here counts only these rows)"


@contextmanager
def section(title: str, key: str) -> Iterator[bool]:
    """A section below the page's first screen, closed until the reader opens it: True when
    open. A closed section's content is not drawn (the browser draws the first screen first);
    opening or closing one reruns the page, and the session remembers which are open."""
    box = st.expander(title, key=section_key(key), on_change="rerun")
    with box:
        yield bool(box.open)


def section_key(key: str) -> str:
    """The session-state key holding whether section ``key`` is open."""
    return f"open_{key}"
