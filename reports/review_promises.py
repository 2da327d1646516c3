"""The pack's sections on the promises: the funnel of the week's orders, where they broke
and who acts, and the open lines already at risk."""

from __future__ import annotations

import polars as pl

from metrics.catalog import Catalog
from metrics.causes import causes_text, read_causes
from metrics.promises import at_risk_counts, horizon, why_label
from metrics.review_model import top_causes
from present import format as fmt
from present import miss_charts
from reports.document import Section, Table, altair_chart
from reports.review_data import ReviewData

AT_RISK_ROWS = 25  # lines listed in the pack (the worklist page has them all)
VALUE = "Open value"


def _sees_funnel(data: ReviewData) -> bool:
    return data.reader.sees("otif") and data.reader.sees("measured_orders")


def funnel(data: ReviewData) -> Section | None:
    if not _sees_funnel(data):
        return None
    f = data.funnel
    due = int(f["orders"][0]) if f.height else 0
    if not due:
        return Section("The promise funnel", ("No orders were due in this week.",), new_page=True)
    kept = int(f.filter(pl.col("step") == "OTIF")["orders"][0])
    rows = tuple(
        (
            r["step"],
            r["owner"] or "—",
            f"{r['orders']:,}",
            fmt.value(r["share"], "percent"),
            f"{r['open']:,}" if r["reason"] else "—",
        )
        for r in f.iter_rows(named=True)
    )
    return Section(
        "The promise funnel",
        (
            (
                f"Of {due:,} orders due, {kept:,} were delivered on time and in full. An order misses "
                "when any of its lines does and takes the reason of its first failing line; "
                "'still open' misses may still change cause."
            ),
        ),
        (
            altair_chart(miss_charts.waterfall(f, height=230), 560, 230),
            Table(
                ("Step", "Owner", "Orders", "Share of due", "Still open"),
                rows,
                (2, 2, 1, 1, 1),
                (False, False, True, True, True),
            ),
        ),
        new_page=True,
    )


def causes(data: ReviewData) -> Section | None:
    if not _sees_funnel(data):
        return None
    c = top_causes(data.funnel)
    if c.is_empty():
        return Section("Where promises broke", ("No missed orders in this week.",))
    missed = int(c["orders"].sum())
    read = read_causes(data.funnel)
    rows = tuple(
        (
            r["step"],
            r["owner"],
            f"{r['orders']:,}",
            fmt.value(r["orders"] / missed, "percent"),
            f"{r['orders'] - r['open']:,}",
            f"{r['open']:,}",
        )
        for r in c.iter_rows(named=True)
    )
    return Section(
        "Where promises broke: top causes and who acts",
        (causes_text(read), f"{missed:,} missed orders, biggest cause first."),
        (
            Table(
                ("Cause", "Owner", "Orders", "Share of misses", "Settled", "Still open"),
                rows,
                (2, 2, 1, 1, 1, 1),
                (False, False, True, True, True, True),
            ),
        ),
    )


def at_risk(data: ReviewData, catalog: Catalog) -> Section:
    """The open lines at risk in the reader's rows; their value only for a reader who sees
    money (a role hiding revenue gets counts, never amounts)."""
    frame, money = data.at_risk, data.reader.money
    days = catalog.spec.settings.promise_horizon_days
    first, last = horizon(data.as_of, days)
    still = frame["open_value"].sum() if frame.height else 0
    intro = (
        f"Open order lines due {first:%d %b} – {last:%d %b %Y} (the next {days} days after "
        f"{data.as_of:%d %b}) that cannot reach the customer's date on the current plan "
        f"(lines that can no longer make it first): {frame.height:,} lines"
        + (f", {fmt.value(still, 'money')} still to ship." if money else ".")
    )
    if frame.is_empty():
        return Section("Promises at risk", (intro,), new_page=True)
    per_portfolio = at_risk_counts(frame, "portfolio").join(
        frame.group_by("portfolio").agg(pl.col("portfolio_manager").first()),
        on="portfolio",
        how="left",
        nulls_equal=True,
    )
    by_owner = Table(
        ("Portfolio", "Manager", "Lines", "Customers", VALUE),
        tuple(
            (
                r["portfolio"] or "(none)",
                r["portfolio_manager"] or "—",
                f"{r['lines']:,}",
                f"{r['customers']:,}",
                fmt.value(r["open_value"], "money"),
            )
            for r in per_portfolio.iter_rows(named=True)
        ),
        (2, 2, 1, 1, 1.2),
        (False, False, True, True, True),
    )
    by_site = Table(
        ("Site", "Lines", VALUE),
        tuple(
            (r["site"] or "(none)", f"{r['lines']:,}", fmt.value(r["open_value"], "money"))
            for r in at_risk_counts(frame, "site").iter_rows(named=True)
        ),
        (2, 1, 1.2),
        (False, True, True),
    )
    lines = Table(
        ("Due", "Order", "Customer", "Manager", "Site", "Open / ordered", VALUE, "Why"),
        tuple(
            (
                f"{r['due_date']:%a %d %b}",
                f"{r['order_id']}/{r['line_id']}",
                r["customer"] or r["customer_id"],
                r["portfolio_manager"] or "—",
                r["site"] or "—",
                f"{r['qty_open']:,.0f} / {r['qty_ordered']:,.0f}",
                fmt.value(r["open_value"], "money"),
                r["why"],
            )
            for r in frame.head(AT_RISK_ROWS).with_columns(why_label()).iter_rows(named=True)
        ),
        (1.2, 1.4, 2, 1.6, 1, 1.2, 1.1, 2.8),
        (False, False, False, False, False, True, True, False),
    )
    if not money:
        by_owner, by_site, lines = (_without_money(t) for t in (by_owner, by_site, lines))
    more = f"The first {AT_RISK_ROWS} of {frame.height:,}." if frame.height > AT_RISK_ROWS else ""
    return Section(
        "Promises at risk",
        tuple(x for x in (intro, more) if x),
        (by_owner, by_site, lines),
        new_page=True,
    )


def _without_money(table: Table) -> Table:
    """The table without its money column (for a reader who may not see money)."""
    i = table.headers.index(VALUE)

    def drop(cells: tuple) -> tuple:
        return cells[:i] + cells[i + 1 :]

    return Table(
        drop(table.headers),
        tuple(drop(r) for r in table.rows),
        drop(table.widths),
        drop(table.numeric),
    )
