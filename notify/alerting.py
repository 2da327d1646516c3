"""One alert run: evaluate the rules, decide what is new, ongoing or recovered, claim what to
send, send it, and record each delivery as it happens (``state.alert_state``).

Used by ``northstar alerts run`` and after every ``northstar load``. Recipients come from the
access policy beside metrics.yaml (``metrics.routing``): without one, the metric owners; one that
does not parse fails the run with its config error rather than widening delivery. Delivery
problems are returned in the run's outcome, never raised: one message that cannot go fails alone,
a channel that is down fails its notices for this run, and the next run sends what was not
delivered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from metrics import alert_lifecycle
from metrics.access import Policy, load_policy, policy_path
from metrics.alert_lifecycle import Outcome, Planned, Send
from metrics.alert_rules import Alert, evaluate
from metrics.alert_spec import AlertsFile, load_alert_rules
from metrics.catalog import Catalog, load_catalog
from metrics.engine import Engine
from metrics.errors import MetricsError
from metrics.query import fetch_rows, fetch_rows_each
from notify.channels import Deliverer
from notify.messages import Notice, base_url
from present.csv_safe import frames_csv
from state.alert_state import claim, record
from state.store import StateStore


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
    connect: Callable[[], Engine],
    state: StateStore,
    config_path: Path,
    alerts_file: Path,
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> AlertRun:
    """Evaluate on the engine ``connect`` opens (over the warehouse file or a lake) once the
    rules are read; the alerts' state and history are kept in ``state`` (the file beside the
    warehouse, where the dashboard keeps it)."""
    now = now or dt.datetime.now(dt.UTC)
    catalog = load_catalog(config_path)
    spec = load_alert_rules(alerts_file, catalog)
    policy = _policy(config_path, catalog)
    engine = connect()
    try:
        alerts = {a.key: a for a in evaluate(engine, catalog, spec, policy=policy)}
        firing = {k: a.as_json() for k, a in alerts.items()}
        planned, sends = claim(
            state,
            lambda before: alert_lifecycle.plan(before, firing, spec.rules, now),
            now,
            write=not dry_run,
        )
        if dry_run:
            return AlertRun(tuple(planned), (), True)
        outcomes = _deliver(engine, catalog, spec, sends, alerts, state, now)
    finally:
        engine.close()
    return AlertRun(tuple(planned), tuple(outcomes), False)


def _policy(config_path: Path, catalog: Catalog) -> Policy | None:
    """The access policy that routes the alerts; None when there is none (owners only)."""
    path = policy_path(config_path)
    return load_policy(path, catalog) if path.exists() else None


def _deliver(
    engine: Engine,
    catalog: Catalog,
    spec: AlertsFile,
    sends: list[Send],
    alerts: dict[str, Alert],
    state: StateStore,
    now: dt.datetime,
) -> list[Outcome]:
    """Send each claimed notice and record it at once (a run killed later has lost nothing it
    delivered). The records go with e-mail, read only for a channel still up."""
    deliverer = Deliverer(spec.channels, retries=spec.settings.retries)
    root = base_url(spec.settings.base_url)
    firing = {s.key: alerts[s.key] for s in sends if s.state != "recovered" and s.key in alerts}
    records = _Records(engine, catalog, list(firing.values()), spec.settings.max_records)
    for channel in {s.channel for s in sends}:
        deliverer.check(channel)  # records are not read for a channel that cannot send
    outcomes = []
    for s in sends:
        live = s.channel == "email" and s.channel not in deliverer.dead
        csv = records.get(s.key) if live else None
        notice = Notice(s.state, s.alert, f"{root}/{s.alert['link']}", csv)
        d = deliverer.deliver(notice, s.channel, tuple(s.alert["recipients"]))
        outcome = Outcome(s.key, d.channel, d.recipients, d.status, d.detail)
        record(state, s, outcome, now)
        outcomes.append(outcome)
    return outcomes


class _Records:
    """The CSV of each alert's records, read on first asking for the alerts alike (same metric,
    same side) in one statement, and each alone if that fails: an alert whose records cannot
    be read goes without."""

    def __init__(self, engine: Engine, catalog: Catalog, alerts: list[Alert], limit: int) -> None:
        self.engine, self.catalog, self.limit = engine, catalog, limit
        self.alike: dict[tuple[str, bool], list[Alert]] = {}
        for alert in (a for a in alerts if a.records is not None):  # None: no attachment
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
                self.engine,
                self.catalog,
                metric,
                [a.records for a in members],
                failing=failing,
                limit=self.limit,
            )
        except MetricsError:
            frames = [_alone(self.engine, self.catalog, metric, a, self.limit) for a in members]
        self.read |= {a.key: None for a in members}
        done = [(a, f) for a, f in zip(members, frames, strict=True) if f is not None]
        texts = frames_csv([f for _, f in done])
        self.read |= {a.key: text for (a, _), text in zip(done, texts, strict=True)}


def _alone(
    engine: Engine, catalog: Catalog, metric: str, alert: Alert, limit: int
) -> pl.DataFrame | None:
    try:
        return fetch_rows(
            engine, catalog, metric, alert.records, failing=alert.failing, limit=limit
        )
    except MetricsError:
        return None
