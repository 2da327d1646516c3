"""The audit trail: who signed in, viewed which page with which filters, downloaded what.

Kept in the state file (``state.store``), which a load never replaces. Entries are only
ever added; ``northstar audit`` reads them.
"""

from __future__ import annotations

import datetime as dt
import json

from state.action_log import Action
from state.store import StateStore

DDL = """
CREATE TABLE IF NOT EXISTS audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  email TEXT NOT NULL,
  event TEXT NOT NULL,
  page TEXT NOT NULL,
  detail TEXT NOT NULL
);
"""


def record(
    store: StateStore, *, email: str, event: str, page: str, detail: dict | None = None
) -> None:
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with store.session(DDL) as con:
        con.execute(
            "INSERT INTO audit_events (at, email, event, page, detail) VALUES (?, ?, ?, ?, ?)",
            (at, email, event, page, json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)),
        )


def record_action(store: StateStore, *, email: str, event: str, action: Action, page: str) -> None:
    """A write to the action log ("action add", "action done"): its number, text and scope."""
    detail = {"action": action.id, "what": action.what, "scope": action.scope_text}
    record(store, email=email, event=event, page=page, detail=detail)


def entries(
    store: StateStore, *, email: str | None = None, event: str | None = None, limit: int = 200
) -> list[dict]:
    """The newest entries first, optionally of one user or one kind of event."""
    return store.read(
        "SELECT at, email, event, page, detail FROM audit_events"
        " WHERE (:email IS NULL OR email = :email) AND (:event IS NULL OR event = :event)"
        " ORDER BY id DESC LIMIT :limit",
        {"email": email, "event": event, "limit": limit},
        ddl=DDL,
    )
