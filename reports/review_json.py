"""The weekly review as data (cli.md, "The review as data"): the same numbers the review page,
the wall and the pack show, from the same gathering (``reports.review_data.gather``), as one
JSON object. Values are fractions, dates ISO, money in the reporting currency."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from metrics.catalog import Catalog
from metrics.causes import read_causes
from metrics.customers import customers_at_risk
from metrics.engine import Engine
from metrics.promises import who_acts
from metrics.review_model import review_status
from reports.review_data import ReviewData
from state.action_log import Action


def _num(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else _num(v)


def _signal(data: ReviewData) -> dict[str, Any] | None:
    reading = data.reading
    if reading is None:
        return None
    series = reading.series
    out = (
        series.as_json()
        if series is not None
        else {"verdict": "too_few_periods", "centre": None, "limits": None, "shifts": []}
    )
    out["periods"] = [
        {"period": _iso(r["period"]), "value": _num(r["value"]), "n": r.get("n")}
        for r in data.signal_periods
    ]
    return out


def _causes(data: ReviewData) -> tuple[list[dict[str, Any]], str | None]:
    if data.funnel.is_empty():
        return [], None
    read = read_causes(data.funnel)
    rows = [
        {"reason": c.reason, "owner": c.owner, "orders": c.orders, "open": c.open}
        for c in read.causes
    ]
    return rows, read.settled_top.reason if read.settled_top else None


def _customers(engine: Engine, data: ReviewData, catalog: Catalog) -> list[dict[str, Any]]:
    reader = data.reader
    frame = customers_at_risk(
        engine, catalog, as_of=data.as_of, where=reader.where, scope=reader.scope
    )
    money = reader.money
    return [
        {
            "customer_id": r["customer_id"],
            "name": r.get("name"),
            "portfolio": r.get("portfolio"),
            "manager": r.get("portfolio_manager"),
            "reasons": r.get("reasons"),
            "revenue_at_risk": _num(r.get("revenue_at_risk")) if money else None,
        }
        for r in frame.iter_rows(named=True)
    ]


def _promises(data: ReviewData, catalog: Catalog) -> list[dict[str, Any]]:
    money = data.reader.money
    return [
        {
            "order_id": r["order_id"],
            "line_id": r["line_id"],
            "customer_id": r["customer_id"],
            "due": _iso(r["due_date"]),
            "why": r["why"],
            "cannot_make_it": r["cannot_make_it"],
            "value": _num(r["open_value"]) if money else None,
            "owner": who_acts(catalog, r["why"]),
        }
        for r in data.at_risk.iter_rows(named=True)
    ]


def review_json(
    engine: Engine,
    data: ReviewData,
    catalog: Catalog,
    *,
    alerts: Sequence[Mapping[str, Any]] = (),
    actions: Sequence[Action] = (),
    today: dt.date,
) -> dict[str, Any]:
    """The review of ``data`` (as its reader may see it) as one JSON-ready object."""
    head = data.head or {}
    causes, settled_top = _causes(data)
    m = catalog.metric("otif")
    return {
        "period": data.start.isoformat(),
        "as_of": data.as_of.isoformat(),
        "stale_days": max((today - data.as_of).days, 0),
        "metric": "otif",
        "value": _num(head.get("value")),
        "n": head.get("n"),
        "target": _num(head.get("target")),
        "target_basis": head.get("target_note"),
        "status": review_status(head, m.min_sample),
        "signal": _signal(data),
        "causes": causes,
        "settled_top": settled_top,
        "customers_at_risk": _customers(engine, data, catalog),
        "promises_at_risk": _promises(data, catalog),
        "alerts": [
            {
                "rule": a.get("rule"),
                "scope": a.get("scope"),
                "recipients": list(a.get("recipients") or ()),
                "state": a.get("state"),
            }
            for a in alerts
        ],
        "actions": [_action(a) for a in actions],
    }


def _action(a: Action) -> dict[str, Any]:
    return {
        "id": a.id,
        "what": a.what,
        "owner": a.owner,
        "due": a.due.isoformat(),
        "metric": a.metric,
        "scope": {d: list(v) for d, v in a.scope},
        "decided": a.decided.isoformat(),
        "done": _iso(a.done),
    }
