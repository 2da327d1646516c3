"""Cached access to the engine's customer view: who is at risk, and one customer's timeline.

Cached like ``ui.data``: under the warehouse ``Source``, so a new load is seen.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import polars as pl
import streamlit as st

from metrics.customers import customer_timeline, customers_at_risk
from metrics.funnel import MISS_LABELS
from ui import data
from ui import format as fmt

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
        return customers_at_risk(
            cur, data.catalog_of(src), as_of=as_of, broken_min=0, repeat_min=0
        ).sort("customer_id")


@st.cache_data(show_spinner=False, max_entries=64)
def timeline(src: data.Source, customer_id: str, as_of: dt.date) -> pl.DataFrame:
    """Orders, shipments, contacts and answers of one customer, newest first."""
    with data.cursor(src) as cur:
        return customer_timeline(cur, data.catalog_of(src), customer_id, as_of=as_of)


def link(customer_id: str) -> str:
    """The customer page's address, relative to any page of the app."""
    return "account?" + urlencode({"customer_id": str(customer_id)})


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
            st.warning(
                f"There is no customer '{fmt.escape_markdown(raw)}' in the warehouse. "
                "Pick one below."
            )
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


def _md(v: object) -> str:
    """A data value inside markdown: shown literally, a dash for nothing."""
    return fmt.escape_markdown(fmt.text(v))


def title_line(row: dict) -> str:
    """'Nordwind Partners Oy · C100069' (both escaped: names are data)."""
    return f"{_md(row['name'])} · {_md(row['customer_id'])}"


def profile_line(row: dict) -> str:
    """'key account · South · portfolio Key Accounts, accountable manager Helena Brandt'."""
    return (
        f"{_md(row['segment'])} · {_md(row['region'])} · portfolio **{_md(row['portfolio'])}**, "
        f"accountable manager **{_md(row['portfolio_manager'])}**"
    )


def risk_line(row: dict) -> str:
    at_risk = (
        row["broken_promises"] >= 2
        or row["repeated_contacts"] >= 2
        or row["detractor_responses"] >= 1
    )
    badge = ":red-badge[:material/warning: at risk]" if at_risk else ":green-badge[not at risk]"
    return (
        f"{badge} {fmt.plural(row['broken_promises'], 'broken promise')} and "
        f"{fmt.plural(row['repeated_contacts'], 'repeated contact')} in the last 30 days, "
        f"{fmt.plural(row['detractor_responses'], 'detractor answer')} in 90 days"
    )


# ---- the timeline as people read it ------------------------------------------------------

_RESPONSE = re.compile(r"^(?P<tp>.*): CSAT (?P<csat>\S+) NPS (?P<nps>\S+) CES (?P<ces>\S+)$")
_CONTACT = re.compile(r"^(?P<queue>.*) queue, reason (?P<reason>.*)$")
_LINES = re.compile(r"^(?P<n>\d+) line\(s\)")
_SCALES = {"CSAT": 5, "NPS": 10, "CES": 7}
KIND_LABELS = {"order": "Order", "shipment": "Shipment", "contact": "Contact", "response": "Answer"}


def _score(name: str, raw: str) -> str:
    return f"{name} {fmt.DASH}" if raw in ("-", "?", "") else f"{name} {raw}/{_SCALES[name]}"


def _unknown(raw: str) -> str:
    return fmt.DASH if raw in ("?", "") else raw


def readable_what(kind: str, what: str | None) -> str:
    """'delivery: CSAT 3 NPS - CES -' -> 'Delivery: CSAT 3/5 · NPS — · CES —';
    'orders queue, reason where_is_my_order' -> 'orders queue · Where is my order'."""
    if what is None:
        return fmt.DASH
    if kind == "response" and (m := _RESPONSE.match(what)):
        scores = " · ".join(_score(k, m[k.lower()]) for k in _SCALES)
        return f"{fmt.code_label(_unknown(m['tp']))}: {scores}"
    if kind == "contact" and (m := _CONTACT.match(what)):
        return f"{_unknown(m['queue'])} queue · {fmt.code_label(_unknown(m['reason']))}"
    if kind == "order" and (m := _LINES.match(what)):
        return fmt.plural(int(m["n"]), "line") + what[m.end() :].replace(" via ?", "")
    return what.replace(" by ?", "")


def readable_outcome(outcome: str | None) -> str:
    """'broken: late_dispatch' -> 'broken: Late dispatch'; nothing -> a dash."""
    text = fmt.text(outcome)
    if text.startswith("broken: "):
        code = text.removeprefix("broken: ")
        return f"broken: {MISS_LABELS.get(code, fmt.code_label(code))}"
    return text


def readable_timeline(events: pl.DataFrame) -> pl.DataFrame:
    """The engine's timeline with labels instead of codes, dashes instead of nothing."""
    rows = events.select("kind", "what", "outcome").rows()
    return events.with_columns(
        pl.Series("what", [readable_what(k, w) for k, w, _ in rows], dtype=pl.String),
        pl.Series("outcome", [readable_outcome(o) for _, _, o in rows], dtype=pl.String),
        pl.col("kind").replace(KIND_LABELS),
    )


def customer_query(customer_id: str, q):
    """``q`` narrowed to one customer (the sidebar's filters do not apply to a single customer)."""
    return q.replace(where=(("customer_id", (customer_id,)),))
