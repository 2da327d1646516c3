"""Evaluate the alert rules of alerts.yaml against the warehouse: which alerts fire now.

Pure evaluation over the query API (``run_details``, ``read_signal``, the customer counts):
each firing is a frozen ``Alert`` naming its rule, scope, period, value, target, the accountable
person and their address, chosen by the access policy and the metric owners (``metrics.routing``),
never by the extract. Only complete periods are judged, never a partial one. Delivery and alert
state live elsewhere (``notify``, ``state.alert_state``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import urlencode

import polars as pl

from metrics.access import Policy
from metrics.alert_spec import AlertsFile, Rule
from metrics.catalog import Catalog
from metrics.customer_triggers import window_counts
from metrics.customers import customer_ids
from metrics.details import run_details
from metrics.engine import Engine
from metrics.periods import last_complete_period, period_end, shift_period
from metrics.query import resolve_as_of
from metrics.routing import ROUTE_DIMENSION, Router
from metrics.signals import read_signal
from metrics.sqlgen import Query
from metrics.targets import target_for

Filters = tuple[tuple[str, tuple[str, ...]], ...]

# Customer triggers: the metric whose records stand behind the alert, and whether only failing ones.
TRIGGER_RECORDS = {
    "broken_promises": ("otif", True),
    "key_account_otif": ("otif", False),
    "detractor_after_broken_promise": ("nps", False),
    "contact_surge": ("contacts", False),
    "order_volume_drop": ("measured_orders", False),
}
PAGE_FILTERS = ("region", "segment", "portfolio")  # the sidebar filters a link can carry


@dataclass(frozen=True)
class Alert:
    rule: str
    kind: str
    metric: str | None
    scope: tuple[tuple[str, object], ...]  # (dimension, value) the alert is about
    period: dt.date  # first day of the period (customer triggers: of the window)
    period_end: dt.date
    value: float | None
    target: float | None  # the target (off_target, signal, change: the previous value) or threshold
    n: int | None
    owner: str  # the accountable person (or role, or 'site X')
    recipients: tuple[str, ...]
    summary: str  # one plain line
    link: str  # page address relative to the dashboard's base URL
    # The records behind it, as every recipient may see them (None: no attachment):
    # fetch_rows(records.metrics[0], records, failing=...)
    records: Query | None
    failing: bool

    @property
    def key(self) -> str:
        """Identity across runs: the rule and the scope (not the period: it stays ongoing)."""
        return self.rule + " " + json.dumps(dict(self.scope), sort_keys=True, default=str)

    def as_json(self, state: str | None = None) -> dict:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "metric": self.metric,
            "scope": dict(self.scope),
            "period": self.period.isoformat(),
            "period_end": self.period_end.isoformat(),
            "value": self.value,
            "target": self.target,
            "n": self.n,
            "owner": self.owner,
            "recipients": list(self.recipients),
            "summary": self.summary,
            "link": self.link,
        } | ({"state": state} if state else {})


def evaluate(
    cur: Engine,
    catalog: Catalog,
    spec: AlertsFile,
    *,
    as_of: dt.date | None = None,
    scope: Filters = (),
    policy: Policy | None = None,
) -> list[Alert]:
    """Every alert that fires as of ``as_of`` (default: the data's), within the row ``scope``,
    routed under the access ``policy`` (None: there is none, so to the metric owners)."""
    as_of = resolve_as_of(cur, as_of)
    router = Router(policy, spec.recipients)
    # Customer counts of every window, in one pass, for every customer in scope: a customer's
    # counts do not depend on which other customers are counted, so a rule's filter only picks
    # its customers.
    windows = [(r.days, r.baseline_windows) for r in spec.rules.values() if r.kind == "customer"]
    counted = (
        window_counts(cur, catalog, as_of=as_of, windows=windows, filters=scope) if windows else {}
    )
    alerts: list[Alert] = []
    for name, rule in spec.rules.items():
        if rule.kind == "customer":
            counts = counted[(rule.days, rule.baseline_windows)]
            if rule.filters:
                counts = counts.join(customer_ids(cur, rule.filters), on="customer_id", how="semi")
            alerts += _customer_alerts(catalog, router, name, rule, as_of, scope, counts)
        else:
            alerts += _metric_alerts(cur, catalog, router, name, rule, as_of, scope)
    return alerts


def _metric_alerts(cur, catalog, router: Router, name, rule: Rule, as_of, scope) -> list[Alert]:
    m = catalog.metric(rule.metric)
    last = last_complete_period(as_of, rule.grain)
    first = shift_period(last, rule.grain, -(rule.periods - 1)) if rule.kind == "signal" else last
    q = Query(
        metrics=(rule.metric,),
        by=tuple(rule.by),
        grain=rule.grain,
        date_from=first,
        date_to=period_end(last, rule.grain),
        where=rule.filters,
        as_of=as_of,
        scope=scope,
    )
    details = run_details(cur, catalog, q, compare=rule.kind == "change")
    if details.is_empty():
        return []
    details = details.filter(~pl.col("partial")).sort("period")
    out = []
    for group in details.partition_by(rule.by, maintain_order=True) if rule.by else [details]:
        now = group.filter(pl.col("period") == last)
        if now.is_empty():
            continue
        row = now.row(0, named=True)
        if m.min_sample and (row["n"] or 0) < m.min_sample:  # a small sample is never the reason
            continue
        fired = _fires(rule, m, row, group.filter(pl.col("period") < last))
        if fired is None:
            continue
        dims = {d: row[d] for d in rule.by}
        role = rule.recipient_role
        to = router.route(role, dims.get(ROUTE_DIMENSION.get(role, "")), owner=m.owner)
        records = q.replace(
            by=(), grain=None, date_from=last, where=rule.filters + _as_filters(dims)
        )
        failing = rule.kind != "change"
        target = (
            row["prev_value" if rule.against == "previous" else "ly_value"]
            if (rule.kind == "change")
            else row["target"]
        )
        out.append(
            Alert(
                rule=name,
                kind=rule.kind,
                metric=rule.metric,
                scope=tuple(dims.items()),
                period=last,
                period_end=period_end(last, rule.grain),
                value=row["value"],
                target=target,
                n=row["n"],
                owner=to.owner,
                recipients=to.recipients,
                summary=f"{m.label}: {fired}",
                link=_metric_link(rule, dims, last),
                records=router.records(catalog, to.recipients, records),
                failing=failing,
            )
        )
    return out


def _fires(rule: Rule, m, row: dict, history: pl.DataFrame | list[float | None]) -> str | None:
    """Why this row fires the rule, in words; None when it does not. ``history``: the group's
    complete periods before it (its ``value`` and ``n``; or just the values)."""
    if rule.kind == "off_target":
        hit = row["status"] == "red" or (rule.level == "amber" and row["status"] == "amber")
        if not hit or not row["significant"]:
            return None
        side = "off" if row["status"] == "red" else "near"
        return f"{_num(row['value'], m.format)} {side} target {_num(row['target'], m.format)}"
    if rule.kind == "change":
        tag = "prev" if rule.against == "previous" else "ly"
        delta = row[f"delta_{tag}"]
        if delta is None or row["n"] is None or row["n"] < rule.min_volume:
            return None
        worse = -delta if m.direction == "up" else delta
        if worse <= 0 or worse < rule.min_change:
            return None
        said = "the previous period" if tag == "prev" else "the same period last year"
        return (
            f"{_num(row['value'], m.format)} against {_num(row[f'{tag}_value'], m.format)} "
            f"in {said} ({row['n']} in the sample)"
        )
    # The signal is read over the periods measured on enough units, each with its volume.
    if not isinstance(history, pl.DataFrame):
        history = pl.DataFrame(
            {"value": history, "n": [None] * len(history)},
            schema={"value": pl.Float64, "n": pl.Int64},
        )
    enough = history.filter(pl.col("n").fill_null(0) >= m.min_sample)
    ns = enough["n"].to_list()
    weighed = m.format == "percent" and row.get("n") is not None and None not in ns
    reading = read_signal(
        enough["value"].to_list(),
        row["value"],
        target=row["target"],
        direction=m.direction,
        n=[*ns, row["n"]] if weighed else None,
    )
    if reading.case not in rule.cases:
        return None
    words = {
        "shift_worse": f"a signal for the worse ({reading.signal.rule})",
        "shift_better": f"a signal for the better ({reading.signal.rule})",
        "off_target_stable": "off target and stable: the process, not chance, keeps it there",
    }
    return f"{_num(row['value'], m.format)}, {words[reading.case]}"


def _num(v: float | None, fmt: str) -> str:
    if v is None:
        return "no value"
    return f"{v:.1%}" if fmt == "percent" else f"{v:,.4g}"


def _as_filters(dims: dict) -> Filters:
    return tuple((d, (str(v),)) for d, v in dims.items() if v is not None)


def _metric_link(rule: Rule, dims: dict, period: dt.date) -> str:
    params: dict[str, str] = {"metric": rule.metric, "every": rule.grain, "at": str(period)}
    if rule.by:
        params["by"] = rule.by[0]
        if dims.get(rule.by[0]) is not None:
            params["pick"] = str(dims[rule.by[0]])
    for d, vals in (*rule.filters, *_as_filters(dims)):
        if d in PAGE_FILTERS and len(vals) == 1:
            params[d] = vals[0]
    return "explore?" + urlencode(params)


def _customer_alerts(
    catalog, router: Router, name, rule: Rule, as_of, scope, counts: pl.DataFrame
) -> list[Alert]:
    start = as_of - dt.timedelta(days=rule.days - 1)
    records_metric, failing = TRIGGER_RECORDS[rule.trigger]
    out = []
    for row in counts.filter(_may_fire(rule)).sort("customer_id").iter_rows(named=True):
        fired = _customer_fires(catalog, rule, row, as_of)
        if fired is None:
            continue
        value, target, summary = fired
        owner = catalog.metric(rule.metric or records_metric).owner
        role = rule.recipient_role  # the customer's portfolio names its manager
        to = router.route(role, row.get(ROUTE_DIMENSION.get(role, "")), owner=owner)
        first = start
        if rule.trigger == "order_volume_drop":  # its records show the baseline too
            first = as_of - dt.timedelta(days=rule.days * (rule.baseline_windows + 1) - 1)
        records = Query(
            metrics=(records_metric,),
            date_from=first,
            date_to=as_of,
            where=(("customer_id", (row["customer_id"],)),),
            as_of=as_of,
            scope=scope,
        )
        out.append(
            Alert(
                rule=name,
                kind=rule.kind,
                metric=rule.metric or records_metric,
                scope=(("customer_id", row["customer_id"]),),
                period=start,
                period_end=as_of,
                value=value,
                target=target,
                n=row["orders"],
                owner=to.owner,
                recipients=to.recipients,
                summary=f"{row['name']} ({row['customer_id']}): {summary}",
                link="account?" + urlencode({"customer_id": row["customer_id"]}),
                records=router.records(catalog, to.recipients, records),
                failing=failing,
            )
        )
    return out


def _may_fire(rule: Rule) -> pl.Expr:
    """The customers ``_customer_fires`` may fire for (a cheap first cut over every customer)."""
    t, c = rule.trigger, pl.col
    if t == "broken_promises":
        return c("broken_promises") >= rule.count
    if t == "detractor_after_broken_promise":
        return c("detractor_answers") >= rule.count
    if t == "contact_surge":
        return (c("contacts") >= rule.min_contacts) & (
            c("contacts") >= rule.factor * c("usual_contacts")
        )
    if t == "order_volume_drop":
        usual = c("usual_orders_placed")
        return (usual >= rule.min_orders) & (c("orders_placed") < rule.below * usual)
    if t == "key_account_otif":
        return (c("orders") >= rule.min_orders) & c("otif").is_not_null()
    return pl.lit(True)


def _customer_fires(
    catalog: Catalog, rule: Rule, row: dict, as_of: dt.date
) -> tuple[float, float, str] | None:
    """(value, threshold or target, words) when the trigger fires for this customer."""
    days = f"in the last {rule.days} days"
    t = rule.trigger
    if t == "broken_promises" and row["broken_promises"] >= rule.count:
        n = row["broken_promises"]
        return n, rule.count, f"{n} broken promises (orders that missed OTIF) {days}"
    if t == "detractor_after_broken_promise" and row["detractor_answers"] >= rule.count:
        n = row["detractor_answers"]
        return n, rule.count, f"{n} detractor answer(s) about a broken promise {days}"
    if t == "contact_surge":
        n, usual = row["contacts"], row["usual_contacts"]
        if n >= rule.min_contacts and n >= rule.factor * usual:
            return n, rule.factor * usual, f"{n} contacts {days}, usually {usual:.1f}"
    if t == "order_volume_drop":
        n, usual = row["orders_placed"], row["usual_orders_placed"]
        if usual >= rule.min_orders and n < rule.below * usual:
            return (
                n,
                rule.below * usual,
                f"{n} order{'' if n == 1 else 's'} placed {days}, usually {usual:.1f}",
            )
    if t == "key_account_otif" and row["otif"] is not None:
        m = catalog.metric(rule.metric or "otif")
        if row["orders"] < max(rule.min_orders, m.min_sample):  # never fire on a small sample
            return None
        dims = {d: row[d] for d in ("segment", "region", "portfolio", "portfolio_manager")}
        target = target_for(m, on=as_of, dims={**dims, "customer_id": row["customer_id"]})
        if target is not None and row["otif"] < target:
            return (
                row["otif"],
                target,
                f"OTIF {row['otif']:.1%} {days} over {row['orders']} orders, target {target:.0%}",
            )
    return None
