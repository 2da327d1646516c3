"""What every page starts with: the title, the staleness warning, the view and the as-of stamp."""

from __future__ import annotations

import re
from dataclasses import dataclass

import streamlit as st

from metrics.catalog import Catalog
from ui import data, filters
from ui.guard import WAREHOUSE_ERRORS, NoData


@dataclass(frozen=True)
class Context:
    src: data.Source
    catalog: Catalog
    view: filters.View


def header(title: str, subtitle: str | None = None) -> None:
    st.title(title)
    if subtitle:
        st.caption(subtitle)
    stale_warning()
    for note in filters.url_notes():
        st.warning(plain(note))


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


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#!|~$:&^])")  # inline markup, links, directives, HTML
_LINE_START = re.compile(r"^(\d+)(?=[.)])|^(?=[-+=])")  # a list marker opening the text
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(://)|(@)|\b(w)(?=ww\.)")  # what Markdown turns into links
_ZWSP = "\u200b"  # a zero-width space: invisible, but no URL, www. or e-mail address any more


def plain(text: object) -> str:
    """Text from outside our code (data, URL) made safe inside markdown: the characters of
    inline markup, links, colour directives, formulas and HTML backslash-escaped (and a list
    marker opening the text), bare URLs and e-mail addresses broken up so they are not
    linked, line breaks flattened."""
    flat = " ".join(str(text).split())
    unlinked = _AUTOLINK.sub(lambda m: m.group(0)[0] + _ZWSP + m.group(0)[1:], flat)
    return _LINE_START.sub(lambda m: (m.group(1) or "") + "\\", _MARKDOWN.sub(r"\\\1", unlinked), 1)


def stamp(ctx: Context) -> None:
    """'Week 46 · 9–15 Nov 2026 · data as of … · filters …' under a page title."""
    view = ctx.view
    where = " · ".join(f"{d}: {plain(', '.join(v))}" for d, v in view.where) or "all customers"
    period = plain(view.label)
    if view.latest:
        stale = data.staleness(view.as_of).stale
        period = plain(filters.latest_label(view.as_of, view.grain, stale=stale))
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
    rows = "; ".join(f"{d} {plain(', '.join(v))}" for d, v in scope)
    return f" · :material/lock: **your access: {rows}** (every number here counts only these rows)"
