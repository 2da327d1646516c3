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
from metrics.routing import Router
from notify.channels import Deliverer, Delivery
from notify.digest import RunSummary, digests
from notify.messages import DEFAULT_BASE_URL, Notice, base_url
from present import format as fmt
from present.csv_safe import frames_csv
from state.alert_state import claim, record_all
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
    fmt.use_currency(catalog.spec.settings.reporting_currency)  # money in the notices
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
        outcomes = _deliver(
            engine, catalog, spec, sends, alerts, state, now, _summary_to(catalog, spec, policy)
        )
    finally:
        engine.close()
    return AlertRun(tuple(planned), tuple(outcomes), False)


def _summary_to(catalog: Catalog, spec: AlertsFile, policy: Policy | None) -> tuple[str, ...]:
    """The addresses of the North Star's owner (the COO for OTIF): they get the run's summary."""
    router = Router(policy, spec.recipients)
    owners = dict.fromkeys(m.owner for m in catalog.metrics.values() if m.family == "north_star")
    return tuple(a for o in owners for a in router.route("owner", None, owner=o).recipients)


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
    summary_to: tuple[str, ...] = (),
) -> list[Outcome]:
    """Send the claimed notices: by e-mail one digest per recipient (every alert of the run for
    that person, the records attached; the run's summary to the North Star's owner), elsewhere
    one message per alert. Each notice is recorded as soon as all its messages went (a run
    killed later has lost nothing it delivered)."""
    deliverer = Deliverer(spec.channels, retries=spec.settings.retries)
    root = base_url(spec.settings.base_url)
    firing = {s.key: alerts[s.key] for s in sends if s.state != "recovered" and s.key in alerts}
    records = _Records(engine, catalog, list(firing.values()), spec.settings.max_records)
    for channel in {s.channel for s in sends}:
        deliverer.check(channel)  # records are not read for a channel that cannot send
    outcomes = []
    mail = [s for s in sends if s.channel == "email"]
    for s in sends:
        if s.channel != "email":
            notice = _notice(catalog, spec, s, root, None, None)
            d = deliverer.deliver(notice, s.channel, tuple(s.alert["recipients"]))
            outcomes.append(_record(state, s, [d], now))
    live = "email" not in deliverer.dead
    notices = [
        (
            _notice(
                catalog,
                spec,
                s,
                root,
                records.get(s.key) if live else None,
                records.main_reason(s.key) if live else None,
            ),
            s,
        )
        for s in mail
    ]
    summary = RunSummary(
        {st: sum(s.state == st for s in mail) for st in ("new", "ongoing", "recovered")},
        _per_address(mail),
    )
    warning = NO_BASE_URL if root == DEFAULT_BASE_URL else None  # links point at localhost
    digest_of = digests(
        [(n, s.alert["recipients"]) for n, s in notices],
        warning=warning,
        summary_to=summary_to if mail else (),
        summary=summary,
    )
    left = {s.id: len(set(s.alert["recipients"])) for s in mail}
    done: dict[int, list[Delivery]] = {s.id: [] for s in mail}
    for s in mail:
        if not s.alert["recipients"]:  # nobody to write to: said, and kept for the record
            d = deliverer.deliver(_notice(catalog, spec, s, root, None, None), "email", ())
            outcomes.append(_record(state, s, [d], now))
    for address, digest in digest_of.items():
        d = deliverer.deliver(digest, "email", (address,))
        completed = []  # the notices this digest was the last message of: recorded together
        for s in mail:  # every notice of the address is in its digest
            if address in s.alert["recipients"]:
                done[s.id].append(d)
                left[s.id] -= 1
                if left[s.id] == 0:
                    completed.append((s, _outcome(s, done[s.id])))
        record_all(state, completed, now)
        outcomes += [o for _, o in completed]
    return outcomes


NO_BASE_URL = (
    f"The links below point at this computer ({DEFAULT_BASE_URL}): set settings.base_url in "
    "alerts.yaml or $NORTHSTAR_BASE_URL to the dashboard's address so they open for you."
)


def _per_address(sends: list[Send]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in sends:
        for a in dict.fromkeys(s.alert["recipients"]):
            out[a] = out.get(a, 0) + 1
    return out


def _notice(
    catalog: Catalog,
    spec: AlertsFile,
    s: Send,
    root: str,
    csv: str | None,
    reason: str | None,
) -> Notice:
    """The notice of one send, in the words of metrics.yaml and alerts.yaml."""
    name = s.alert.get("metric")
    m = catalog.metrics.get(name) if name else None
    rule = spec.rules.get(s.rule)
    return Notice(
        s.state,
        s.alert,
        f"{root}/{s.alert['link']}",
        csv,
        label=m.label if m else None,
        rule_text=rule.description if rule and rule.description else None,
        value_format="integer" if s.alert.get("kind") == "customer" else (m.format if m else None),
        scope_text=", ".join(
            f"{catalog.spec.dimensions[d].label if d in catalog.spec.dimensions else d} {v}"
            for d, v in s.alert["scope"].items()
        ),
        main_reason=reason,
    )


def _record(state: StateStore, s: Send, deliveries: list[Delivery], now: dt.datetime) -> Outcome:
    """One notice's outcome (``_outcome``), recorded at once."""
    outcome = _outcome(s, deliveries)
    record_all(state, [(s, outcome)], now)
    return outcome


def _outcome(s: Send, deliveries: list[Delivery]) -> Outcome:
    """One notice's outcome over its messages: sent when all went, partly sent when some did."""
    went = [d for d in deliveries if d.status in ("sent", "partly sent")]
    if went and len(went) == len(deliveries) and all(d.status == "sent" for d in went):
        status = "sent"
    elif went:
        status = "partly sent"
    elif any(d.status == "failed" for d in deliveries):
        status = "failed"
    else:
        status = "rejected"
    recipients = tuple(r for d in (went or deliveries) for r in d.recipients)
    detail = "; ".join(dict.fromkeys(d.detail for d in deliveries))
    return Outcome(s.key, s.channel, recipients, status, detail)


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
        self.reason: dict[str, str] = {}  # alert key -> the commonest miss reason, in words

    def get(self, key: str) -> str | None:
        if key in self.group and key not in self.read:
            self._read(self.group[key])
        return self.read.get(key)

    def main_reason(self, key: str) -> str | None:
        self.get(key)
        return self.reason.get(key)

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
        labels = {r.name: r.label for r in self.catalog.miss_reasons}
        for a, f in done:
            if "miss_reason" in f.columns and f["miss_reason"].drop_nulls().len():
                top = f["miss_reason"].drop_nulls().value_counts(sort=True)[0, 0]
                self.reason[a.key] = labels.get(top, str(top))


def _alone(
    engine: Engine, catalog: Catalog, metric: str, alert: Alert, limit: int
) -> pl.DataFrame | None:
    try:
        return fetch_rows(
            engine, catalog, metric, alert.records, failing=alert.failing, limit=limit
        )
    except MetricsError:
        return None
