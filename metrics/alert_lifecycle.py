"""The life of an alert across runs, beside its rules (``alert_spec``, ``alert_rules``).

An alert (one rule and scope) is *new* the first run it fires, *ongoing* while it keeps firing
and *recovered* the first run it no longer does. A run sends the new ones, the ongoing ones
never sent or last sent the rule's ``renotify_after`` ago, and the recovered ones whose rule
asks for a note, each to every channel of its rule.

Each notice is queued once per channel (a ``Send``) and stays queued until that channel has
delivered it (to some of its recipients at least); one that failed (the channel was down, or
refused this message) is tried again by the next run, on that channel only. A run leases what
it sends (``state.alert_state``), so a run killed mid-send leaves the rest to the next run once
the lease has expired.

Pure decisions: ``state.alert_state`` reads and writes the rows they are made from and to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from metrics.alert_spec import Rule

DEFAULT_RENOTIFY = dt.timedelta(days=7)  # for an alert whose rule is gone from alerts.yaml


@dataclass(frozen=True)
class Open:
    """An alert firing at the end of the previous run."""

    key: str
    rule: str
    alert: dict  # the alert as JSON, as last seen
    last_sent: dt.datetime | None  # when its last notice was queued (None: never)


@dataclass(frozen=True)
class Planned:
    key: str
    rule: str
    state: str  # new | ongoing | recovered
    alert: dict  # the alert as JSON (for a recovered one: as it was last seen)
    send: bool  # due to be sent in this run
    channels: tuple[str, ...]  # where it goes: its rule's channels


@dataclass(frozen=True)
class Send:
    """A notice queued for one channel, until delivered there."""

    id: int
    key: str
    rule: str
    state: str
    alert: dict
    channel: str


@dataclass(frozen=True)
class Outcome:
    key: str
    channel: str
    recipients: tuple[str, ...]
    status: str  # sent | partly sent | rejected (this message) | failed (the channel)
    detail: str

    @property
    def ok(self) -> bool:
        return self.status == "sent"

    @property
    def final(self) -> bool:
        """Delivered (to some recipients at least): sending it again would repeat it."""
        return self.status in ("sent", "partly sent")


def plan(
    before: Mapping[str, Open],
    firing: Mapping[str, dict],
    rules: Mapping[str, Rule],
    now: dt.datetime,
) -> list[Planned]:
    """The ``firing`` alerts (key -> alert JSON) as new or ongoing, then those of ``before`` no
    longer firing as recovered; each with whether this run sends it."""
    out: list[Planned] = []
    for key, alert in firing.items():
        old = before.get(key)
        rule = alert["rule"]
        if old is None:
            out.append(Planned(key, rule, "new", alert, True, _channels(rules, rule)))
            continue
        wait = rules[rule].renotify if rule in rules else DEFAULT_RENOTIFY
        due = old.last_sent is None or old.last_sent + wait <= now
        out.append(Planned(key, rule, "ongoing", alert, due, _channels(rules, rule)))
    for key, old in before.items():
        if key not in firing:
            note = old.rule in rules and rules[old.rule].notify_recovery
            channels = _channels(rules, old.rule)
            out.append(Planned(key, old.rule, "recovered", old.alert, note, channels))
    return out


def _channels(rules: Mapping[str, Rule], rule: str) -> tuple[str, ...]:
    return tuple(rules[rule].channels) if rule in rules else ("email",)
