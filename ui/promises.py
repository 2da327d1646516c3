"""Promises at risk on the pages: a summary on the weekly review, and the worklist per
portfolio or site (``pages/at_risk.py``) with its records as CSV. Money (the open value) is
shown only to a viewer who may see revenue; the worklist is linked only for one who may open it."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from metrics.catalog import Catalog
from metrics.promises import WHY, at_risk_counts, horizon, promises_at_risk, why_label
from metrics.sqlgen import Query
from present import format as fmt
from ui import access, customer_data, data
from ui.filters import View

PAGE = "at-risk"  # the worklist's address, relative to any page
GROUPS = {"portfolio": "Portfolio (promise owner)", "site": "Site (dispatch)"}
# Streamlit's own money formats group thousands (€16,256.89); another currency keeps its sign.
MONEY_FORMATS = {"€": "euro", "$": "dollar", "¥": "yen"}


def money_format() -> str:
    """The open value's column format, in the reporting currency."""
    sign = fmt.money_sign()
    return MONEY_FORMATS.get(sign, sign + "%.2f")


# The reasons a line is at risk, short enough for a table cell; the column's help says them whole.
SHORT_WHY = {WHY["past_plan"]: "past its plan", WHY["plan_too_late"]: "plan too late"}
WHY_HELP = (
    f"Past its plan: {WHY['past_plan'].lower()}. Plan too late: {WHY['plan_too_late'].lower()}. "
    "✕: can no longer make it: even a dispatch tomorrow arrives after the due date."
)
NO_VALUE = {"portfolio": "(no portfolio)", "site": "(no site)"}


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs={data.Source: repr, Query: repr})
def _lines(src: data.Source, q: Query) -> pl.DataFrame:
    with data.engine(src) as eng:
        return promises_at_risk(eng, data.catalog_of(src), q)


def at_risk_lines(src: data.Source, view: View) -> pl.DataFrame:
    """The view's promises at risk as of its data (every period of the view shares them),
    within the viewer's access (scoped as the order lines' OTIF is)."""
    q = data.scoped(src, Query(metrics=("otif_line",), where=view.where, as_of=view.as_of))
    return _lines(src, q.replace(metrics=()))


def horizon_text(catalog: Catalog, as_of: dt.date) -> str:
    days = catalog.spec.settings.promise_horizon_days
    first, last = horizon(as_of, days)
    return (
        f"Open order lines due {first:%a %d %b} – {last:%a %d %b %Y} (the next {days} days after "
        f"the data's {as_of:%d %b}) that cannot reach the customer's date on the current plan: "
        "not shipped in full past their planned ship date, or planned to ship too late for "
        "the site's usual transit time (median of the last 13 weeks). Lines that can no "
        "longer make it come first. Always as of the newest data, "
        "whatever period is under review."
    )


def shows_money() -> bool:
    """Whether the viewer may see money: the open value is revenue still to ship."""
    return access.viewer().sees_metric(data.catalog(), "revenue")


def counts(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    """Per portfolio (with its manager) or site: lines, orders, customers, open value (for a
    viewer who may see revenue)."""
    out = at_risk_counts(frame, by)
    if by == "portfolio":
        managers = frame.group_by("portfolio").agg(pl.col("portfolio_manager").first())
        out = out.join(managers, on="portfolio", how="left", nulls_equal=True)
        out = out.select(
            "portfolio", "portfolio_manager", pl.exclude("portfolio", "portfolio_manager")
        )
    out = out.with_columns(pl.col(by).fill_null(NO_VALUE[by]), pl.col("open_value").round(2))
    return out if shows_money() else out.drop("open_value")


def review_summary(frame: pl.DataFrame, catalog: Catalog, as_of: dt.date) -> None:
    """On the weekly review: how many, how much (to a viewer who may see revenue), whose; the
    worklist one click away for a viewer whose pages include it."""
    st.caption(horizon_text(catalog, as_of))
    if frame.is_empty():
        st.success("No promise due in the coming days is behind.", icon=":material/check:")
        return
    left, right = st.columns([1, 2], gap="large")
    with left:
        st.metric("Lines at risk", f"{frame.height:,}", border=True)
        if shows_money():
            st.metric("Still to ship", fmt.value(frame["open_value"].sum(), "money"), border=True)
        if access.viewer().sees_page(PAGE):
            st.page_link(
                "pages/at_risk.py",
                label="Worklist per portfolio and site",
                icon=":material/checklist:",
            )
    with right:
        st.dataframe(
            counts(frame, "portfolio").drop("orders", "soonest_due"),
            hide_index=True,
            width="stretch",
            column_config=_count_columns("portfolio"),
        )


def _count_columns(by: str) -> dict:
    return {
        by: st.column_config.TextColumn(GROUPS[by].split(" (")[0]),
        "portfolio_manager": st.column_config.TextColumn("Manager"),
        "lines": st.column_config.NumberColumn("Lines"),
        "orders": st.column_config.NumberColumn("Orders"),
        "customers": st.column_config.NumberColumn("Customers"),
        "open_value": st.column_config.NumberColumn("Open value", format=money_format()),
        "soonest_due": st.column_config.DateColumn("Soonest due", format="D MMM"),
    }


def worklist(frame: pl.DataFrame, by: str, pick: str | None) -> pl.DataFrame:
    """The lines of one group (all when ``pick`` is None), soonest due first, as shown (without
    their open value for a viewer who may not see revenue)."""
    rows = frame if pick is None else frame.filter(pl.col(by).fill_null(NO_VALUE[by]) == pick)
    rows = rows.select(
        "due_date",
        "order_id",
        "line_id",
        "customer_id",
        "customer",
        "portfolio_manager",
        "site",
        "sku",
        "planned_ship_date",
        "qty_ordered",
        "qty_shipped",
        "open_value",
        why_label(),
    )
    return rows if shows_money() else rows.drop("open_value")


def show_counts(frame: pl.DataFrame, by: str) -> None:
    st.dataframe(
        counts(frame, by), hide_index=True, width="stretch", column_config=_count_columns(by)
    )


def show_worklist(rows: pl.DataFrame, by: str) -> None:
    """The lines on screen, narrow enough to read whole at a laptop's width: order and line in
    one column, shipped of ordered in another, without the column the page groups by (the
    counts above name it) and the SKU (both stay in the CSV)."""
    grouped = {"portfolio": "portfolio_manager"}.get(by, by)
    shown = customer_data.with_links(rows).select(
        "due_date",
        pl.concat_str(pl.col("order_id"), pl.col("line_id").cast(pl.String), separator=" / ").alias(
            "order"
        ),
        "customer_id",
        "customer",
        *(c for c in ("portfolio_manager", "site") if c != grouped),
        "planned_ship_date",
        pl.format(
            "{} of {}", _qty(pl.col("qty_shipped").fill_null(0)), _qty(pl.col("qty_ordered"))
        ).alias("shipped"),
        *(["open_value"] if "open_value" in rows.columns else []),
        pl.col("why")
        .str.replace("Can no longer make it: ", "✕ ", literal=True)
        .str.replace_many(SHORT_WHY),
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "customer_id": customer_data.LINK_COLUMN,
            "due_date": st.column_config.DateColumn("Due", format="D MMM"),
            "order": st.column_config.TextColumn("Order / line"),
            "customer": st.column_config.TextColumn("Name"),
            "portfolio_manager": st.column_config.TextColumn("Manager"),
            "site": st.column_config.TextColumn("Site"),
            "planned_ship_date": st.column_config.DateColumn("Planned ship", format="D MMM"),
            "shipped": st.column_config.TextColumn("Shipped"),
            "open_value": st.column_config.NumberColumn("Open value", format=money_format()),
            "why": st.column_config.TextColumn("Why at risk", help=WHY_HELP),
        },
    )


def _qty(col: pl.Expr) -> pl.Expr:
    """A quantity as people count it: 16, not 16.0."""
    return col.cast(pl.String).str.replace(r"\.0$", "")
