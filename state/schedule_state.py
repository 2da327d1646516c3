"""Scheduled sends in the state file: one row per subscription and due time.

``claim`` inserts the row before sending (or takes over a failed one, or one a run has held
for longer than the lease: that run was killed mid-send), in one transaction, so two runs (cron
and a server, or cron twice) never send the same pack for the same time twice, and an
interrupted send is taken up by the next run; ``record`` writes the outcome once it is known.
"""

from __future__ import annotations

import datetime as dt

from state.store import LEASE, StateStore, stamp

DDL = """
CREATE TABLE IF NOT EXISTS schedule_send (
    subscription TEXT NOT NULL, due_at TEXT NOT NULL, claimed_at TEXT NOT NULL,
    outcome TEXT NOT NULL, detail TEXT, PRIMARY KEY (subscription, due_at));
"""


def claim(store: StateStore, subscription: str, due_at: dt.datetime, now: dt.datetime) -> bool:
    """True when this run is the one to send ``subscription`` for ``due_at``."""
    with store.session(DDL) as con:
        cur = con.execute(
            "INSERT INTO schedule_send VALUES (?, ?, ?, 'sending', NULL)"
            " ON CONFLICT (subscription, due_at) DO UPDATE SET claimed_at = excluded.claimed_at,"
            " outcome = 'sending' WHERE outcome = 'failed'"
            " OR (outcome = 'sending' AND claimed_at <= ?)",
            (subscription, stamp(due_at), stamp(now), stamp(now - LEASE)),
        )
        return cur.rowcount == 1


def record(
    store: StateStore, subscription: str, due_at: dt.datetime, *, ok: bool, detail: str
) -> None:
    with store.session(DDL) as con:
        con.execute(
            "UPDATE schedule_send SET outcome = ?, detail = ? WHERE subscription = ? AND due_at = ?",
            ("sent" if ok else "failed", detail, subscription, stamp(due_at)),
        )


def sends(store: StateStore, *, limit: int = 100) -> list[dict]:
    return store.read(
        "SELECT * FROM schedule_send ORDER BY due_at DESC, subscription LIMIT ?", (limit,), ddl=DDL
    )
