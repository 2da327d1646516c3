"""Cached access to the engine's customer view: who is at risk, and one customer's timeline.

Cached like ``ui.data``: under the warehouse ``Source``, so a new load is seen.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import polars as pl
import streamlit as st

from metrics.catalog import Catalog
from metrics.customers import customer_signals, customer_timeline, customers_at_risk, rule_text
from ui import data
from ui import format as fmt

Where = tuple[tuple[str, tuple[str, ...]], ...]


def risk_rule(catalog: Catalog) -> str:
    """The at-risk rule of metrics.yaml in plain words."""
    return rule_text(catalog.spec.at_risk)


@st.cache_data(show_spinner=False, max_entries=64)
def at_risk(src: data.Source, as_of: dt.date, where: Where = ()) -> pl.DataFrame:
    """The customers at risk as of ``as_of`` (see ``risk_rule``), most revenue at risk first."""
    with data.cursor(src) as cur:
        return customers_at_risk(cur, data.catalog_of(src), as_of=as_of, where=where)


@st.cache_data(show_spinner=False, max_entries=16)
def directory(src: data.Source, as_of: dt.date) -> pl.DataFrame:
    """Every customer with its portfolio, manager and the at-risk rule's signals."""
    with data.cursor(src) as cur:
        return customer_signals(cur, data.catalog_of(src), as_of=as_of).sort("customer_id")


@st.cache_data(show_spinner=False, max_entries=64)
def timeline(src: data.Source, customer_id: str, as_of: dt.date) -> pl.DataFrame:
    """Orders, shipments, contacts and answers of one customer, newest first."""
    with data.cursor(src) as cur:
        return customer_timeline(cur, data.catalog_of(src), customer_id, as_of=as_of)


def link(customer_id: str) -> str:
    """The customer page's address, relative to any page of the app."""
    return f"account?customer_id={quote(str(customer_id))}"


def with_links(frame: pl.DataFrame) -> pl.DataFrame:
    """Replace ``customer_id`` by a link column (shown as the id) for ``st.dataframe``."""
    return frame.with_columns(
        pl.col("customer_id").map_elements(link, return_dtype=pl.String).alias("customer_id")
    )


LINK_COLUMN = st.column_config.LinkColumn(
    "Customer", display_text=r"customer_id=(.*)$", help="Open the customer's page"
)
RISK_COLUMNS = (
    "customer_id",
    "name",
    "portfolio",
    "portfolio_manager",
    "revenue_at_risk",
    "reasons",
)


def risk_table(risk: pl.DataFrame) -> None:
    """The at-risk worklist: who, whose, how much revenue, and which signals fired."""
    shown = with_links(risk.select(RISK_COLUMNS)).with_columns(
        pl.col("revenue_at_risk").round(0).cast(pl.Int64),
        pl.col("portfolio").fill_null("(no portfolio)"),
        pl.col("portfolio_manager").fill_null("—"),
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="risk_table",
        column_config={
            "customer_id": LINK_COLUMN,
            "name": st.column_config.TextColumn("Name", width=140),
            "portfolio": st.column_config.TextColumn("Portfolio", width=130),
            "portfolio_manager": st.column_config.TextColumn("Manager", width=112),
            "revenue_at_risk": st.column_config.NumberColumn(
                "Revenue at risk",
                format=f"{fmt.CURRENCY}%,d",
                width=110,
                help="The customer's revenue (ordered value of measured lines) due in the "
                "revenue window up to as-of",
            ),
            "reasons": st.column_config.TextColumn("Signals that fired"),
        },
    )


# ---- the customer page -----------------------------------------------------------------

CUSTOMER_METRICS = ("otif", "perfect_order", "csat", "nps", "revenue", "contacts", "fcr")
KINDS = ("order", "shipment", "contact", "response")


def chosen_customer(customers: pl.DataFrame) -> str | None:
    """The customer of ``?customer_id=``; an unknown id gets a plain warning and no choice."""
    ids = customers["customer_id"].to_list()
    raw = st.query_params.get("customer_id")
    if "customer_pick" not in st.session_state:
        st.session_state["customer_pick"] = raw if raw in ids else None
        if raw and raw not in ids:
            st.warning(f"There is no customer '{raw}' in the warehouse. Pick one below.")
    names = dict(zip(ids, customers["name"].to_list()))
    picked = st.selectbox(
        "Customer",
        ids,
        key="customer_pick",
        index=None,
        placeholder="Type a name or id",
        format_func=lambda c: f"{names.get(c) or '?'} ({c})",
    )
    if picked:
        st.query_params["customer_id"] = picked
    return picked


def profile_line(row: dict) -> str:
    """'key account · South · portfolio Key Accounts, managed by Helena Brandt'."""
    return (
        f"{row['segment']} · {row['region']} · portfolio **{row['portfolio']}**, "
        f"accountable manager **{row['portfolio_manager']}**"
    )


def risk_line(row: dict) -> str:
    """'at risk: OTIF 40% over 5 orders; 7 contacts, usually 2.7' (signals from the at-risk rule)."""
    badge = (
        ":red-badge[:material/warning: at risk]" if row["at_risk"] else ":green-badge[not at risk]"
    )
    fired = row["reasons"] or "no signal"
    return f"{badge} signals in the at-risk window: {fired}"


def customer_query(customer_id: str, q):
    """``q`` narrowed to one customer (the sidebar's filters do not apply to a single customer)."""
    return q.replace(where=(("customer_id", (customer_id,)),))
