"""One alert run: evaluate the rules, decide what is new, ongoing or recovered, deliver, record.

Used by ``northstar alerts run`` and after every ``northstar load``. Delivery problems are
returned in the run's outcome, never raised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from metrics.alert_rules import Alert, evaluate
from metrics.alert_spec import AlertsFile, load_alert_rules
from metrics.catalog import Catalog, load_catalog
from metrics.errors import MetricsError
from metrics.query import fetch_rows, fetch_rows_each
from notify.channels import Deliverer
from notify.messages import Notice, base_url
from present.csv_safe import frames_csv
from state.alert_state import Outcome, Planned, plan, settle
from state.store import StateStore
from store.lake import Lake
from store.warehouse import Warehouse


@dataclass(frozen=True)
class AlertRun:
    planned: tuple[Planned, ...]
    outcomes: tuple[Outcome, ...]
    dry_run: bool

    def count(self, state: str) -> int:
        return sum(p.state == state for p in self.planned)

    def summary(self) -> str:
        states = ", ".join(f"{self.count(s)} {s}" for s in ("new", "ongoing", "recovered"))
        if self.dry_run:
            return f"alerts: {states} (dry run: nothing sent)"
        sent = sum(o.ok for o in self.outcomes)
        failed = len(self.outcomes) - sent
        return f"alerts: {states}; {sent} delivered, {failed} failed"


def run_alerts(
    db: Path,
    config_path: Path,
    alerts_file: Path,
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    lake: Path | None = None,
) -> AlertRun:
    """Evaluate over the warehouse ``db`` or, given, the ``lake`` (its history stays in the
    state file beside ``db`` either way, where the dashboard keeps it)."""
    now = now or dt.datetime.now(dt.UTC)
    catalog = load_catalog(config_path)
    spec = load_alert_rules(alerts_file, catalog)
    wh = Lake(lake) if lake is not None else Warehouse(db)
    try:
        cur = wh.cursor()
        alerts = {a.key: a for a in evaluate(cur, catalog, spec)}
        planned = plan(
            StateStore.beside(db),
            {k: a.as_json() for k, a in alerts.items()},
            renotify={n: r.renotify for n, r in spec.rules.items()},
            recovery={n: r.notify_recovery for n, r in spec.rules.items()},
            now=now,
            claim=not dry_run,
        )
        if dry_run:
            return AlertRun(tuple(planned), (), True)
        outcomes = _deliver(cur, catalog, spec, planned, alerts)
    finally:
        wh.close()
    settle(StateStore.beside(db), planned, outcomes, now)
    return AlertRun(tuple(planned), tuple(outcomes), False)


def _deliver(
    cur, catalog: Catalog, spec: AlertsFile, planned: list[Planned], alerts: dict[str, Alert]
) -> list[Outcome]:
    deliverer = Deliverer(spec.channels, retries=spec.settings.retries)
    root = base_url(spec.settings.base_url)
    sending = [
        alerts[p.key] for p in planned if p.send and p.key in alerts and p.state != "recovered"
    ]
    records = _Records(cur, catalog, sending, spec.settings.max_records)
    for channel in {c for p in planned if p.send for c in _channels(spec, p)}:
        deliverer.check(channel)  # records are not read for a channel that cannot send
    outcomes = []
    for p in planned:
        if not p.send:
            continue
        channels = _channels(spec, p)
        # Records are read only for a notice some channel may still take (one that failed
        # this run is not tried again).
        live = any(c not in deliverer.dead for c in channels)
        csv = records.get(p.key) if live else None
        notice = Notice(p.state, p.alert, f"{root}/{p.alert['link']}", csv)
        recipients = tuple(p.alert["recipients"])
        for channel in channels:
            d = deliverer.deliver(notice, channel, recipients)
            outcomes.append(Outcome(p.key, d.channel, d.recipients, d.ok, d.detail))
    return outcomes


def _channels(spec: AlertsFile, p: Planned) -> list[str]:
    rule = spec.rules.get(p.rule)
    return rule.channels if rule else ["email"]


class _Records:
    """The CSV of each alert's records, read on first asking for the alerts alike (same metric,
    same side) in one statement, and each alone if that fails: an alert whose records cannot
    be read goes without."""

    def __init__(self, cur, catalog: Catalog, alerts: list[Alert], limit: int) -> None:
        self.cur, self.catalog, self.limit = cur, catalog, limit
        self.alike: dict[tuple[str, bool], list[Alert]] = {}
        for alert in alerts:
            self.alike.setdefault((alert.records.metrics[0], alert.failing), []).append(alert)
        self.group = {a.key: g for g, members in self.alike.items() for a in members}
        self.read: dict[str, str | None] = {}

    def get(self, key: str) -> str | None:
        if key in self.group and key not in self.read:
            self._read(self.group[key])
        return self.read.get(key)

    def _read(self, group: tuple[str, bool]) -> None:
        (metric, failing), members = group, self.alike[group]
        try:
            frames = fetch_rows_each(
                self.cur,
                self.catalog,
                metric,
                [a.records for a in members],
                failing=failing,
                limit=self.limit,
            )
        except MetricsError:
            frames = [_alone(self.cur, self.catalog, metric, a, self.limit) for a in members]
        self.read |= {a.key: None for a in members}
        done = [(a, f) for a, f in zip(members, frames, strict=True) if f is not None]
        texts = frames_csv([f for _, f in done])
        self.read |= {a.key: text for (a, _), text in zip(done, texts, strict=True)}


def _alone(cur, catalog: Catalog, metric: str, alert: Alert, limit: int) -> pl.DataFrame | None:
    try:
        return fetch_rows(cur, catalog, metric, alert.records, failing=alert.failing, limit=limit)
    except MetricsError:
        return None
