"""Alert state and history in the state file, which a load never replaces.

``alert_open`` holds the alerts firing now (one row per rule and scope) with when each was last
sent; ``alert_event`` is the history (fired, ongoing, recovered; per channel: to whom, when,
the outcome). ``claim`` decides, in one transaction, what a run sends, and marks it as being
sent, so two runs at once never send the same alert twice; ``settle`` records the outcome.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from state.store import StateStore

DDL = """
CREATE TABLE IF NOT EXISTS alert_open (
    key TEXT PRIMARY KEY, rule TEXT NOT NULL, first_fired TEXT NOT NULL, last_seen TEXT NOT NULL,
    last_sent TEXT, alert TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, key TEXT NOT NULL, rule TEXT NOT NULL,
    state TEXT NOT NULL, alert TEXT NOT NULL, channel TEXT, recipients TEXT, outcome TEXT,
    detail TEXT);
"""


@dataclass(frozen=True)
class Planned:
    key: str
    rule: str
    state: str  # new | ongoing | recovered
    alert: dict  # the alert as JSON (for a recovered one: as it was last seen)
    send: bool  # due to be sent in this run
    previous_sent: str | None  # last_sent before this run's claim (restored when sending fails)


@dataclass(frozen=True)
class Outcome:
    key: str
    channel: str
    recipients: tuple[str, ...]
    ok: bool
    detail: str


def _stamp(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat(timespec="seconds")


def plan(
    store: StateStore,
    firing: Mapping[str, dict],
    *,
    renotify: Mapping[str, dt.timedelta],
    recovery: Mapping[str, bool],
    now: dt.datetime,
    claim: bool = True,
) -> list[Planned]:
    """States of the ``firing`` alerts (key -> alert JSON) against those open before, and which
    to send: new ones, ongoing ones last sent ``renotify[rule]`` ago or never, recovered ones
    whose rule asks for a note. With ``claim`` the open alerts are updated (a dry run reads)."""
    stamp = _stamp(now)
    with store.session(DDL) as con:
        before = {r["key"]: dict(r) for r in con.execute("SELECT * FROM alert_open").fetchall()}
        out: list[Planned] = []
        for key, alert in firing.items():
            old = before.get(key)
            rule = alert["rule"]
            if old is None:
                due = True
            else:
                sent = old["last_sent"]
                wait = renotify.get(rule, dt.timedelta(days=7))
                due = sent is None or dt.datetime.fromisoformat(sent) + wait <= now
            state = "new" if old is None else "ongoing"
            prev = None if old is None else old["last_sent"]
            out.append(Planned(key, rule, state, alert, due, prev))
            if claim:
                con.execute(
                    "INSERT INTO alert_open VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE"
                    " SET last_seen = excluded.last_seen, alert = excluded.alert,"
                    " last_sent = CASE WHEN ? THEN excluded.last_sent ELSE last_sent END",
                    (key, rule, stamp, stamp, stamp if due else None, json.dumps(alert), due),
                )
        for key, old in before.items():
            if key in firing:
                continue
            alert = json.loads(old["alert"])
            note = recovery.get(old["rule"], False)
            out.append(Planned(key, old["rule"], "recovered", alert, note, old["last_sent"]))
            if claim:
                con.execute("DELETE FROM alert_open WHERE key = ?", (key,))
    return out


def settle(
    store: StateStore, planned: Iterable[Planned], outcomes: Iterable[Outcome], now: dt.datetime
) -> None:
    """Write the history; an alert whose sending failed on any channel is due again next run."""
    stamp = _stamp(now)
    by_key: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_key.setdefault(o.key, []).append(o)
    with store.session(DDL) as con:
        for p in planned:
            sent = by_key.get(p.key, [])
            if p.state == "ongoing" and not sent:
                continue  # still firing, not due again: nothing new to tell
            alert = json.dumps(p.alert)
            rows = [
                (o.channel, ",".join(o.recipients), "sent" if o.ok else "failed", o.detail)
                for o in sent
            ] or [(None, None, "not sent", "")]
            for channel, recipients, outcome, detail in rows:
                con.execute(
                    "INSERT INTO alert_event (at, key, rule, state, alert, channel, recipients,"
                    " outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (stamp, p.key, p.rule, p.state, alert, channel, recipients, outcome, detail),
                )
            if p.state != "recovered" and any(not o.ok for o in sent):
                con.execute(
                    "UPDATE alert_open SET last_sent = ? WHERE key = ?", (p.previous_sent, p.key)
                )


def history(store: StateStore, *, limit: int = 200) -> list[dict]:
    """The latest events, newest first."""
    return store.read(
        "SELECT at, rule, state, alert, channel, recipients, outcome, detail FROM alert_event"
        " ORDER BY id DESC LIMIT ?",
        (limit,),
        ddl=DDL,
    )
