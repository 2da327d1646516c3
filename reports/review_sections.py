"""The sections of the weekly review pack, each from ``ReviewData``: words, tables and charts
readable in black and white (status as words, target dashed, numbers printed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import duckdb
import polars as pl

from metrics.action_effect import action_effect
from metrics.catalog import Catalog
from metrics.promises import WHY, at_risk_counts, horizon
from present import chart_builders as charts
from present import format as fmt
from reports.document import Chart, Section, Table
from reports.review_data import OUTCOMES, SCORE_METRICS, ReviewData
from state.action_log import Action

AT_RISK_ROWS = 25  # lines listed in the pack (the worklist page has them all)
SIGNAL_WORDS = {
    "off_target_stable": "Off target and stable: the gap is the system, not a bad week; "
    "waiting will not close it: change the process.",
    "shift_worse": "Real shift for the worse: find what changed, now.",
    "shift_better": "Real shift for the better: find what changed and keep it.",
    "on_target": "On target and stable: no reaction needed on this move alone.",
    "no_target": "Within the usual range; no target to judge against.",
    "too_short": "Not enough history for a signal test.",
}


def _status(s: str | None) -> str:
    return fmt.STATUS_TEXT.get(s, fmt.STATUS_TEXT[None])


def _spec(chart: alt.TopLevelMixin, width: int, height: int) -> Chart:
    with alt.theme.enable("none"):
        spec = chart.properties(width=width).to_dict()
    spec.setdefault("config", {}).update({"font": "DejaVu Sans", "background": "white"})
    return Chart(spec, width, height)


def north_star(data: ReviewData, catalog: Catalog, actions: Sequence[Action]) -> Section:
    m = catalog.metric("otif")
    head = data.head or {}
    value, target = head.get("value"), head.get("target")
    lines = [
        (
            f"{m.label}: {fmt.value(value, m.format)} against a target of "
            f"{fmt.value(target, m.format)} ({_status(head.get('status'))}), "
            f"{int(head.get('n') or 0):,} measured orders. Owner: {m.owner}."
        ),
    ]
    for tag, when in (("prev", "the previous week"), ("ly", "the same week last year")):
        if head.get(f"{tag}_value") is not None and not head.get("partial"):
            lines.append(
                f"{fmt.delta(head[f'delta_{tag}'], m.format)} vs {when} "
                f"({fmt.value(head[f'{tag}_value'], m.format)})."
            )
    if head.get("partial"):
        lines.append("Partial week: the signal test waits until it is complete.")
    else:
        lines.append("Signal: " + SIGNAL_WORDS.get(data.reading.case, data.reading.case))
    if head.get("target_note"):
        lines.append(f"Target: {head['target_note']}.")
    marks = tuple((a.decided, a.label()) for a in actions if a.metric == "otif")
    trend = charts.trend(data.trend, m, grain="week", height=210, actions=marks)
    rows = tuple(
        (
            fmt.period_label(r["period"], r["period"] + dt.timedelta(days=6), "week"),
            fmt.value(r["value"], m.format),
            fmt.value(r["target"], m.format),
            _status(r["status"]) + (" (partial)" if r["partial"] else ""),
            f"{int(r['n'] or 0):,}",
        )
        for r in data.trend.sort("period", descending=True).head(6).iter_rows(named=True)
    )
    legend = (
        "Chart: solid line = OTIF, dashed = target, pale line = last year, triangle = partial "
        "week, dotted rule with a diamond = an action of the log."
    )
    return Section(
        "The North Star: OTIF against target",
        (*lines, legend),
        (
            _spec(trend, 900, 210),
            Table(
                ("Week", "OTIF", "Target", "Status", "Orders"),
                rows,
                (3, 1, 1, 2, 1),
                (False, True, True, False, True),
            ),
        ),
    )


def outcomes(data: ReviewData, catalog: Catalog) -> Section:
    rows = []
    for name in OUTCOMES:
        r = data.outcomes.filter(pl.col("metric") == name)
        row = r.row(0, named=True) if r.height else {}
        m = catalog.metric(name)
        rows.append(
            (
                m.label,
                fmt.value(row.get("value"), m.format),
                fmt.value(row.get("target"), m.format),
                _status(row.get("status")),
                f"{int(row.get('n') or 0):,}",
                m.owner,
            )
        )
    return Section(
        "Customer outcomes",
        (),
        (
            Table(
                ("Metric", "Value", "Target", "Status", "Sample", "Owner"),
                tuple(rows),
                (3, 1, 1, 1.4, 1, 2),
                (False, True, True, False, True, False),
            ),
        ),
    )


def funnel(data: ReviewData) -> Section:
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
            _spec(charts.waterfall(f, height=230), 560, 230),
            Table(
                ("Step", "Owner", "Orders", "Share of due", "Still open"),
                rows,
                (2, 2, 1, 1, 1),
                (False, False, True, True, True),
            ),
        ),
        new_page=True,
    )


def causes(data: ReviewData) -> Section:
    c = data.funnel.filter(pl.col("reason").is_not_null() & (pl.col("orders") > 0)).sort(
        "orders", descending=True
    )
    if c.is_empty():
        return Section("Where promises broke", ("No missed orders in this week.",))
    missed = int(c["orders"].sum())
    rows = tuple(
        (
            r["step"],
            r["owner"],
            f"{r['orders']:,}",
            fmt.value(r["orders"] / missed, "percent"),
            f"{r['open']:,}",
        )
        for r in c.iter_rows(named=True)
    )
    return Section(
        "Where promises broke: top causes and who acts",
        (f"{missed:,} missed orders, biggest cause first.",),
        (
            Table(
                ("Cause", "Owner", "Orders", "Share of misses", "Still open"),
                rows,
                (2, 2, 1, 1, 1),
                (False, False, True, True, True),
            ),
        ),
    )


def pairs(data: ReviewData, catalog: Catalog) -> Section:
    p = data.pairs
    if p.is_empty():
        return Section("Old KPIs vs North Star", ("No data for the pairs in this week.",))
    rows = []
    for r in p.iter_rows(named=True):
        d, c = catalog.metric(r["department"]), catalog.metric(r["customer"])
        rows.append(
            (
                d.label,
                fmt.value(r["dept_value"], d.format),
                fmt.value(r["dept_target"], d.format),
                _status(r["dept_status"]),
                c.label,
                fmt.value(r["cust_value"], c.format),
                fmt.value(r["cust_target"], c.format),
                _status(r["cust_status"]),
                "CONFLICT" if r["conflict"] else "",
            )
        )
    return Section(
        "Old KPIs vs North Star",
        (
            (
                "Each department KPI beside the customer outcome it claims to serve, each against its "
                "own target. CONFLICT: the department KPI is on or near target while the customer "
                "outcome is off target."
            ),
        ),
        (
            Table(
                (
                    "Department KPI",
                    "Value",
                    "Target",
                    "Status",
                    "Customer outcome",
                    "Value",
                    "Target",
                    "Status",
                    "",
                ),
                tuple(rows),
                (2.2, 1, 1, 1.2, 2.2, 1, 1, 1.2, 1.1),
                (False, True, True, False, False, True, True, False, False),
            ),
        ),
        new_page=True,
    )


def scoreboard(data: ReviewData, catalog: Catalog) -> Section:
    b = data.scoreboard
    if b.is_empty():
        return Section("Portfolio scoreboard", ("No data for the portfolios in this week.",))
    keys = ["portfolio", "portfolio_manager"]
    rows = []
    for (portfolio, manager), group in b.group_by(keys, maintain_order=True):
        cells = {r["metric"]: r for r in group.iter_rows(named=True)}
        shown = []
        for name in SCORE_METRICS:
            r, m = cells.get(name, {}), catalog.metric(name)
            mark = {"red": " ✕", "amber": " !", "green": " ✓"}.get(r.get("status"), "")
            shown.append(fmt.value(r.get("value"), m.format) + mark)
        rows.append((portfolio or "(no portfolio)", manager or "—", *shown))
    rows.sort(key=lambda r: (r[0] == "(no portfolio)", r[0]))
    headers = ("Portfolio", "Manager", *(catalog.metric(n).label for n in SCORE_METRICS))
    return Section(
        "Portfolio scoreboard",
        ("Against each metric's target: ✓ on target, ! near target, ✕ off target.",),
        (
            Table(
                headers,
                tuple(rows),
                (1.6, 1.6, *(1.2,) * len(SCORE_METRICS)),
                (False, False, *(True,) * len(SCORE_METRICS)),
            ),
        ),
    )


def at_risk(data: ReviewData, catalog: Catalog) -> Section:
    frame = data.at_risk
    days = catalog.spec.settings.promise_horizon_days
    first, last = horizon(data.as_of, days)
    intro = (
        f"Open order lines due {first:%d %b} – {last:%d %b %Y} (the next {days} days after "
        f"{data.as_of:%d %b}) that are already behind: {frame.height:,} lines, "
        f"{fmt.value(frame['open_value'].sum() if frame.height else 0, 'money')} still to ship."
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
        ("Portfolio", "Manager", "Lines", "Customers", "Open value"),
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
        ("Site", "Lines", "Open value"),
        tuple(
            (r["site"] or "(none)", f"{r['lines']:,}", fmt.value(r["open_value"], "money"))
            for r in at_risk_counts(frame, "site").iter_rows(named=True)
        ),
        (2, 1, 1.2),
        (False, True, True),
    )
    lines = Table(
        ("Due", "Order", "Customer", "Manager", "Site", "Open / ordered", "Open value", "Why"),
        tuple(
            (
                f"{r['due_date']:%a %d %b}",
                f"{r['order_id']}/{r['line_id']}",
                r["customer"] or r["customer_id"],
                r["portfolio_manager"] or "—",
                r["site"] or "—",
                f"{r['qty_open']:,.0f} / {r['qty_ordered']:,.0f}",
                fmt.value(r["open_value"], "money"),
                WHY[r["why"]],
            )
            for r in frame.head(AT_RISK_ROWS).iter_rows(named=True)
        ),
        (1.2, 1.4, 2, 1.6, 1, 1.2, 1.1, 2.8),
        (False, False, False, False, False, True, True, False),
    )
    more = (
        f"The {AT_RISK_ROWS} soonest due of {frame.height:,}."
        if frame.height > AT_RISK_ROWS
        else ""
    )
    return Section(
        "Promises at risk",
        tuple(x for x in (intro, more) if x),
        (by_owner, by_site, lines),
        new_page=True,
    )


def alerts(items: Sequence[Mapping[str, Any]]) -> Section:
    if not items:
        return Section("This week's alerts", ("No alerts this week.",))
    rows = tuple(
        (
            str(a.get("state", "")),
            str(a.get("rule", "")),
            str(a.get("metric", "")),
            "; ".join(f"{k}={v}" for k, v in (a.get("scope") or {}).items()) or "all",
            str(a.get("value", "")),
            str(a.get("target", "")),
            str(a.get("owner", "")),
        )
        for a in items
    )
    return Section(
        "This week's alerts",
        (),
        (
            Table(
                ("State", "Rule", "Metric", "Scope", "Value", "Target", "Owner"),
                rows,
                (1, 2, 1.4, 2, 1, 1, 1.6),
            ),
        ),
    )


def action_log(
    cur: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    actions: Sequence[Action],
    data: ReviewData,
    today: dt.date,
    scope: tuple,
) -> Section:
    if not actions:
        return Section("Action log", ("No actions recorded yet.",), new_page=True)
    rows = []
    for a in sorted(actions, key=lambda a: (a.done is not None, a.due)):
        m = catalog.metric(a.metric)
        effect = action_effect(
            cur,
            catalog,
            metric=a.metric,
            decided=a.decided,
            as_of=data.as_of,
            where=a.scope,
            scope=scope,
        )
        status = a.status(today).upper() if a.overdue(today) else a.status(today)
        rows.append(
            (
                f"#{a.id}",
                f"{a.decided:%d %b %Y}",
                a.what,
                a.owner,
                f"{a.due:%d %b %Y}",
                status,
                m.label,
                a.scope_text,
                effect.text(lambda v, f=m.format: fmt.value(v, f)),
            )
        )
    overdue = sum(a.overdue(today) for a in actions)
    return Section(
        "Action log",
        (
            (
                f"{len(actions)} actions, {overdue} OVERDUE (past their due date, not done). Effect: "
                "the metric over the 4 complete weeks before the decision against those after it."
            ),
        ),
        (
            Table(
                ("", "Decided", "What", "Owner", "Due", "Status", "Metric", "Scope", "Effect"),
                tuple(rows),
                (0.5, 1.2, 3, 1.4, 1.2, 1, 1.4, 1.4, 3),
            ),
        ),
        new_page=True,
    )
