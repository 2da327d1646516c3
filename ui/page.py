"""What every page starts with: the catalogue, the warehouse, the view and the as-of stamp."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from metrics.catalog import Catalog
from ui import data, filters
from ui.guard import NoData


@dataclass(frozen=True)
class Context:
    src: data.Source
    catalog: Catalog
    view: filters.View


def header(title: str, subtitle: str | None = None) -> None:
    st.title(title)
    if subtitle:
        st.caption(subtitle)
    filters.url_notes()


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
    """'Data as of … · filters …' under a page title."""
    where = " · ".join(f"{d}: {', '.join(v)}" for d, v in ctx.view.where) or "all customers"
    st.caption(
        f":material/calendar_month: **{ctx.view.label}** · data as of **{ctx.view.as_of:%a %d %b %Y}** · {where}"
    )
