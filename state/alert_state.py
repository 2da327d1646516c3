"""Alert state and history in the state file, which a load never replaces.

``alert_open`` holds the alerts firing now (one row per rule and scope) with when a notice of
each was last queued; ``alert_send`` the notices queued and not yet delivered, one per channel;
``alert_event`` is the history (fired, ongoing, recovered; per channel: to whom, when, the
outcome). What a run sends is decided by ``metrics.alert_lifecycle``.

Claim, send, then record: ``claim`` reads the rows it decides from, writes its plan, queues its
notices and leases every queued notice no live run holds, in one transaction, so two runs at
once never send the same notice; ``record_all`` writes each delivery as soon as it is known. A run
killed mid-send leaves its leases to expire (``state.store.LEASE``), and the next run sends
what it had not delivered, once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from metrics.alert_lifecycle import Open, Outcome, Planned, Send
from state.store import LEASE, StateStore, stamp

DDL = """
CREATE TABLE IF NOT EXISTS alert_open (
    key TEXT PRIMARY KEY, rule TEXT NOT NULL, first_fired TEXT NOT NULL, last_seen TEXT NOT NULL,
    last_sent TEXT, alert TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_send (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, rule TEXT NOT NULL,
    state TEXT NOT NULL, alert TEXT NOT NULL, channel TEXT NOT NULL, lease_until TEXT);
CREATE TABLE IF NOT EXISTS alert_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, key TEXT NOT NULL, rule TEXT NOT NULL,
    state TEXT NOT NULL, alert TEXT NOT NULL, channel TEXT, recipients TEXT, outcome TEXT,
    detail TEXT);
"""


def _open(row) -> Open:
    sent = row["last_sent"]
    return Open(
        row["key"],
        row["rule"],
        json.loads(row["alert"]),
        None if sent is None else dt.datetime.fromisoformat(sent),
    )


def claim(
    store: StateStore,
    decide: Callable[[dict[str, Open]], list[Planned]],
    now: dt.datetime,
    *,
    write: bool = True,
) -> tuple[list[Planned], list[Send]]:
    """``decide`` over the open alerts, and the notices this run is to send. With ``write``, in
    the same transaction: the plan becomes the open alerts, each notice it sends is queued per
    channel (replacing those of the same alert still queued), and every queued notice that no
    run holds, or whose holder's lease has run out, is leased to this run. A dry run only reads
    (and sends nothing)."""
    with store.session(DDL) as con:
        before = {r["key"]: _open(r) for r in con.execute("SELECT * FROM alert_open").fetchall()}
        planned = decide(before)
        if not write:
            return planned, []
        for p in planned:
            _keep(con, p, stamp(now))
        rows = con.execute(
            "UPDATE alert_send SET lease_until = ? WHERE lease_until IS NULL OR lease_until <= ?"
            " RETURNING *",
            (stamp(now + LEASE), stamp(now)),
        ).fetchall()
    sends = [
        Send(r["id"], r["key"], r["rule"], r["state"], json.loads(r["alert"]), r["channel"])
        for r in rows
    ]
    return planned, sorted(sends, key=lambda s: s.id)


def _keep(con, p: Planned, at: str) -> None:
    """One planned alert into the open alerts, its notices into the queue."""
    if p.send or p.state == "recovered":  # what was queued and is not out yet is out of date
        con.execute(
            "DELETE FROM alert_send WHERE key = ? AND (lease_until IS NULL OR lease_until <= ?)",
            (p.key, at),
        )
    if p.state != "recovered":
        con.execute(
            "INSERT INTO alert_open VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE"
            " SET last_seen = excluded.last_seen, alert = excluded.alert,"
            " last_sent = CASE WHEN ? THEN excluded.last_sent ELSE last_sent END",
            (p.key, p.rule, at, at, at if p.send else None, json.dumps(p.alert), p.send),
        )
    else:
        con.execute("DELETE FROM alert_open WHERE key = ?", (p.key,))
        if not p.send:  # no note asked for: the history says so
            _event(con, at, p, None, None, "not sent", "")
    for channel in p.channels if p.send else ():
        con.execute(
            "INSERT INTO alert_send (key, rule, state, alert, channel) VALUES (?, ?, ?, ?, ?)",
            (p.key, p.rule, p.state, json.dumps(p.alert), channel),
        )


def record_all(store: StateStore, done: list[tuple[Send, Outcome]], now: dt.datetime) -> None:
    """Deliveries as soon as they are known (a digest completes many notices at once: one
    transaction for them all): into the history; out of the queue once delivered, else their
    leases given up for the next run."""
    if not done:
        return
    with store.session(DDL) as con:
        for send, outcome in done:
            recipients = ",".join(outcome.recipients)
            _event(con, stamp(now), send, send.channel, recipients, outcome.status, outcome.detail)
            if outcome.final:
                con.execute("DELETE FROM alert_send WHERE id = ?", (send.id,))
            else:
                con.execute("UPDATE alert_send SET lease_until = NULL WHERE id = ?", (send.id,))


def _event(con, at: str, of: Planned | Send, channel, recipients, outcome: str, detail: str):
    """One line of the history: the alert ``of`` and one delivery (or none)."""
    con.execute(
        "INSERT INTO alert_event (at, key, rule, state, alert, channel, recipients, outcome,"
        " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, of.key, of.rule, of.state, json.dumps(of.alert), channel, recipients, outcome, detail),
    )


def firing(store: StateStore) -> list[dict]:
    """The alerts firing now (as JSON), by rule and key."""
    rows = store.read("SELECT alert FROM alert_open ORDER BY rule, key", ddl=DDL)
    return [json.loads(r["alert"]) for r in rows]


def history(store: StateStore, *, limit: int = 200) -> list[dict]:
    """The latest events, newest first."""
    return store.read(
        "SELECT at, rule, state, alert, channel, recipients, outcome, detail FROM alert_event"
        " ORDER BY id DESC LIMIT ?",
        (limit,),
        ddl=DDL,
    )
