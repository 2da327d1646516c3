"""The pack's sections on where the numbers stand against target: the North Star (OTIF), the
customer outcomes, the department KPIs beside them and the portfolio scoreboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from metrics.catalog import Catalog
from metrics.review_model import OUTCOMES, verdict
from present import format as fmt
from present import trend_charts
from reports.document import Section, Table, altair_chart
from reports.review_data import SCORE_METRICS, ReviewData
from state.action_log import Action

COMPANY = "The company's North Star, open to every role; all else in this pack is your rows only."


def _status(s: str | None) -> str:
    return fmt.STATUS_TEXT.get(s, fmt.STATUS_TEXT[None])


def north_star(data: ReviewData, catalog: Catalog, actions: Sequence[Action]) -> Section | None:
    """OTIF against target: in the reader's rows, else the whole company's (a company-wide
    North Star), else nothing."""
    if not data.headline:
        return None
    m = catalog.metric("otif")
    head = data.head or {}
    value, target = head.get("value"), head.get("target")
    company = data.headline == "company"
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
    elif data.reading is not None:
        said, ask = verdict(data.reading.case, head.get("status"))
        lines.append(f"Signal: {said}" + (f": {ask}" if ask else "."))
    if company:
        lines.insert(0, COMPANY)
    if head.get("target_note"):
        lines.append(f"Target: {head['target_note']}.")
    marks = tuple((a.decided, a.label()) for a in actions if a.metric == "otif")
    trend = trend_charts.trend(data.trend, m, grain="week", height=210, actions=marks)
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
        "The North Star: OTIF against target" + (" · whole company" if company else ""),
        (*lines, legend),
        (
            altair_chart(trend, 900, 210),
            Table(
                ("Week", "OTIF", "Target", "Status", "Orders"),
                rows,
                (3, 1, 1, 2, 1),
                (False, True, True, False, True),
            ),
        ),
    )


def outcomes(data: ReviewData, catalog: Catalog) -> Section | None:
    shown = data.reader.visible(OUTCOMES)
    if not shown:
        return None
    rows = []
    for name in shown:
        r = data.outcomes.filter(pl.col("metric") == name)
        row = r.row(0, named=True) if r.height else {}
        m = catalog.metric(name)
        lagged = row.get("period") not in (None, data.start)
        rows.append(
            (
                m.label
                + (f" (week of {row['period']:%d %b}, latest measurable)" if lagged else ""),
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


def pairs(data: ReviewData, catalog: Catalog) -> Section | None:
    p = data.pairs
    if not any(
        data.reader.sees(x.department) and data.reader.sees(x.customer) for x in catalog.pairs
    ):
        return None
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
                c.label
                + (
                    f" (week of {r['period']:%d %b}, latest measurable)"
                    if r.get("period") not in (None, data.start)
                    else ""
                ),
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


def scoreboard(data: ReviewData, catalog: Catalog) -> Section | None:
    b, shown = data.scoreboard, data.reader.visible(SCORE_METRICS)
    if not shown:
        return None
    if b.is_empty():
        return Section("Portfolio scoreboard", ("No data for the portfolios in this week.",))
    keys = ["portfolio", "portfolio_manager"]
    rows = []
    for (portfolio, manager), group in b.group_by(keys, maintain_order=True):
        cells = {r["metric"]: r for r in group.iter_rows(named=True)}
        values = []
        for name in shown:
            r, m = cells.get(name, {}), catalog.metric(name)
            status = r.get("status")
            mark = f" {fmt.STATUS_MARK[status]}" if status in ("green", "amber", "red") else ""
            if status == "small":  # too few measured to judge: never ✓ or ✕
                mark = f" (n={r.get('n')})"
            values.append(fmt.value(r.get("value"), m.format) + mark)
        rows.append((portfolio or "(no portfolio)", manager or "—", *values))
    rows.sort(key=lambda r: (r[0] == "(no portfolio)", r[0]))
    headers = ("Portfolio", "Manager", *(catalog.metric(n).label for n in shown))
    return Section(
        "Portfolio scoreboard",
        (
            "Against each metric's target: ✓ on target, ! near target, ✕ off target; "
            "(n=…) a small sample, too few measured to judge.",
        ),
        (
            Table(
                headers,
                tuple(rows),
                (1.6, 1.6, *(1.2,) * len(shown)),
                (False, False, *(True,) * len(shown)),
            ),
        ),
    )


def granted(data: ReviewData, catalog: Catalog) -> Section | None:
    """The metrics a role lists (a site manager's dispatch metrics), in the reader's rows."""
    g = data.granted
    if g.is_empty():
        return None
    rows = []
    for r in g.iter_rows(named=True):
        m = catalog.metric(r["metric"])
        rows.append(
            (
                m.label,
                fmt.value(r["value"], m.format),
                fmt.value(r["target"], m.format),
                _status(r["status"]),
                f"{int(r['n'] or 0):,}",
                m.owner,
            )
        )
    return Section(
        "Your metrics this week",
        ("The metrics your role is given, in your rows, each against its own target.",),
        (
            Table(
                ("Metric", "Value", "Target", "Status", "Sample", "Owner"),
                tuple(rows),
                (3, 1, 1, 1.4, 1, 2),
                (False, True, True, False, True, False),
            ),
        ),
    )
