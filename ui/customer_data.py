"""Cached access to the engine's customer view: who is at risk, and one customer's timeline.

Cached like ``ui.data``: under the warehouse ``Source``, so a new load is seen.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import polars as pl
import streamlit as st

from metrics.catalog import Catalog
from metrics.customers import customer_signals, customer_timeline, customers_at_risk, rule_text
from present import format as fmt
from ui import data

Where = tuple[tuple[str, tuple[str, ...]], ...]


def risk_rule(catalog: Catalog) -> str:
    """The at-risk rule of metrics.yaml in plain words."""
    return rule_text(catalog.spec.at_risk)


# Each reads the viewer's customer scope first (see ui.data.scoped): it is bound into the SQL
# and part of the cache key.


def _scope() -> Where:
    from ui import access

    return access.viewer().customer_scope()


def at_risk(src: data.Source, as_of: dt.date, where: Where = ()) -> pl.DataFrame:
    """The customers at risk as of ``as_of`` (see ``risk_rule``), most revenue at risk first."""
    return _at_risk(src, as_of, where, _scope())


@st.cache_data(show_spinner=False, max_entries=64)
def _at_risk(src: data.Source, as_of: dt.date, where: Where, scope: Where) -> pl.DataFrame:
    with data.engine(src) as eng:
        return customers_at_risk(eng, data.catalog_of(src), as_of=as_of, where=where, scope=scope)


PROFILE = ("customer_id", "name", "segment", "region", "portfolio", "portfolio_manager")


def directory(src: data.Source, as_of: dt.date) -> pl.DataFrame:
    """Every customer the viewer may see, with portfolio, manager and the at-risk signals. For
    rows customers do not carry (a site's dispatch): the customers found in those rows, who
    they are only (their signals would count rows outside the viewer's)."""
    if data.on_customers():
        return _directory(src, as_of, _scope())
    ids = tuple(data.row_values(src, "customer_id"))
    return _directory(src, as_of, (("customer_id", ids),)).select(PROFILE)


@st.cache_data(show_spinner=False, max_entries=16)
def _directory(src: data.Source, as_of: dt.date, scope: Where) -> pl.DataFrame:
    with data.engine(src) as eng:
        return customer_signals(eng, data.catalog_of(src), as_of=as_of, scope=scope).sort(
            "customer_id"
        )


def timeline(src: data.Source, customer_id: str, as_of: dt.date) -> pl.DataFrame:
    """Orders, shipments, contacts and answers of one customer, newest first."""
    return _timeline(src, customer_id, as_of, _scope())


@st.cache_data(show_spinner=False, max_entries=64)
def _timeline(src: data.Source, customer_id: str, as_of: dt.date, scope: Where) -> pl.DataFrame:
    with data.engine(src) as eng:
        return customer_timeline(eng, data.catalog_of(src), customer_id, as_of=as_of, scope=scope)


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
RISK_COLUMNS = (
    "customer_id",
    "name",
    "portfolio",
    "portfolio_manager",
    "revenue_at_risk",
    "reasons",
)


def risk_table(risk: pl.DataFrame) -> None:
    """The at-risk worklist: who, whose, how much revenue, and which signals fired. The
    accountable manager stands for the portfolio on screen, so every column reads whole at a
    laptop's width (the sidebar's Portfolio filter narrows the list to one)."""
    shown = with_links(risk.select(RISK_COLUMNS).drop("portfolio")).with_columns(
        pl.col("revenue_at_risk").round(0).cast(pl.Int64),
        pl.col("portfolio_manager").fill_null("—"),
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="risk_table",
        column_config={
            "customer_id": LINK_COLUMN,
            "name": st.column_config.TextColumn("Name", width=170),
            "portfolio_manager": st.column_config.TextColumn("Manager", width=130),
            "revenue_at_risk": st.column_config.NumberColumn(
                "Revenue at risk",
                format=f"{fmt.money_sign()}%,d",
                width=110,
                help="The ordered value of the customer's orders that missed OTIF in the "
                "revenue window up to as-of, and of its open lines at risk now",
            ),
            "reasons": st.column_config.TextColumn("Signals that fired"),
        },
    )


# ---- the customer page -----------------------------------------------------------------

CUSTOMER_METRICS = ("otif", "perfect_order", "csat", "nps", "revenue", "contacts", "fcr")
KINDS = ("order", "shipment", "contact", "response")


def _picked() -> None:
    """A pick goes into the URL before the rerun: the page view it makes is audited with it."""
    picked = st.session_state.get("customer_pick")
    if picked:
        st.query_params["customer_id"] = picked
    else:
        st.query_params.pop("customer_id", None)


def chosen_customer(customers: pl.DataFrame) -> str | None:
    """The customer of ``?customer_id=``; an unknown id gets a plain warning and no choice.
    A customer picked in the box is put in the URL, where the audit of the view reads it."""
    _scope()  # a viewer whose rows customers do not carry has no customer page (AccessError)
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
        on_change=_picked,
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
    """'at risk: OTIF 40% over 5 orders; 7 contacts, usually 2.7' (signals from the at-risk rule)."""
    badge = (
        ":red-badge[:material/warning: at risk]" if row["at_risk"] else ":green-badge[not at risk]"
    )
    fired = row["reasons"] or "no signal"
    return f"{badge} signals in the at-risk window: {fired}"


def customer_query(customer_id: str, q):
    """``q`` narrowed to one customer (the sidebar's filters do not apply to a single customer)."""
    return q.replace(where=(("customer_id", (customer_id,)),))


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


def _miss_label(code: str) -> str:
    labels = {r.name: r.label for r in data.catalog().miss_reasons}
    return labels.get(code, fmt.code_label(code))


def readable_outcome(outcome: str | None) -> str:
    """'broken: late_dispatch' -> 'broken: Late dispatch'; nothing -> a dash."""
    text = fmt.text(outcome)
    if text.startswith("broken: "):
        code = text.removeprefix("broken: ")
        return f"broken: {_miss_label(code)}"
    return text


def readable_timeline(events: pl.DataFrame) -> pl.DataFrame:
    """The engine's timeline with labels instead of codes, dashes instead of nothing."""
    rows = events.select("kind", "what", "outcome").rows()
    return events.with_columns(
        pl.Series("what", [readable_what(k, w) for k, w, _ in rows], dtype=pl.String),
        pl.Series("outcome", [readable_outcome(o) for _, _, o in rows], dtype=pl.String),
        pl.col("kind").replace(KIND_LABELS),
    )
