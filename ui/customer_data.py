"""Cached access to the engine's customer view: who is at risk, and one customer's timeline.

Cached like ``ui.data``: under the warehouse ``Source``, so a new load is seen.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import polars as pl
import streamlit as st

from metrics.customers import customer_timeline, customers_at_risk
from ui import data

Where = tuple[tuple[str, tuple[str, ...]], ...]
RISK_RULE = (
    "At risk: 2+ broken promises or 2+ repeated contacts in the last 30 days, "
    "or a detractor answer (NPS 0–6) in the last 90 days."
)


@st.cache_data(show_spinner=False, max_entries=64)
def at_risk(src: data.Source, as_of: dt.date, where: Where = ()) -> pl.DataFrame:
    """The customers at risk as of ``as_of`` (see RISK_RULE), worst first."""
    with data.cursor(src) as cur:
        return customers_at_risk(cur, data.catalog_of(src), as_of=as_of, where=where)


@st.cache_data(show_spinner=False, max_entries=16)
def directory(src: data.Source, as_of: dt.date) -> pl.DataFrame:
    """Every customer with its portfolio, manager and risk counts (no threshold)."""
    with data.cursor(src) as cur:
        return customers_at_risk(cur, data.catalog_of(src), as_of=as_of, broken_min=0, repeat_min=0).sort(
            "customer_id"
        )


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
    at_risk = (
        row["broken_promises"] >= 2
        or row["repeated_contacts"] >= 2
        or row["detractor_responses"] >= 1
    )
    badge = ":red-badge[:material/warning: at risk]" if at_risk else ":green-badge[not at risk]"
    return (
        f"{badge} {row['broken_promises']} broken promise(s) and {row['repeated_contacts']} repeated "
        f"contact(s) in the last 30 days, {row['detractor_responses']} detractor answer(s) in 90 days"
    )


def customer_query(customer_id: str, q):
    """``q`` narrowed to one customer (the sidebar's filters do not apply to a single customer)."""
    return q.replace(where=(("customer_id", (customer_id,)),))
