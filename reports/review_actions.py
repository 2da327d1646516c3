"""The pack's sections on what is being done: this week's alerts and the action log, each
action with its effect on its metric."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from metrics.action_effect import action_effect
from metrics.catalog import Catalog
from metrics.engine import Engine
from present import format as fmt
from reports.document import Section, Table
from reports.review_data import ReviewData
from state.action_log import Action


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
    engine: Engine,
    catalog: Catalog,
    actions: Sequence[Action],
    data: ReviewData,
    today: dt.date,
) -> Section:
    """The actions the reader sees (``data.reader.actions``), each with its effect in their rows."""
    if not actions:
        return Section("Action log", ("No actions recorded yet.",), new_page=True)
    rows = []
    for a in sorted(actions, key=lambda a: (a.done is not None, a.due)):
        m = catalog.metric(a.metric)
        effect = action_effect(
            engine,
            catalog,
            metric=a.metric,
            decided=a.decided,
            as_of=data.as_of,
            where=a.scope,
            scope=data.reader.rows,
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
