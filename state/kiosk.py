"""Kiosk links: signed, revocable tokens that open the wall screen only, with a row scope.

A token is ``<id>.<signature>``: the id names a link kept in the state file, the signature is an
HMAC of the id under a secret that never leaves that file. A token opens the wall only while its
link exists and is not revoked; changing any character of it opens nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from state.store import StateStore

DDL = """
CREATE TABLE IF NOT EXISTS kiosk_secret (k INTEGER PRIMARY KEY CHECK (k = 1), secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kiosk_links (
  id TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
"""

Scope = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class KioskLink:
    id: str
    label: str
    scope: Scope


def _secret(con) -> bytes:
    row = con.execute("SELECT secret FROM kiosk_secret").fetchone()
    if row is None:
        con.execute("INSERT INTO kiosk_secret VALUES (1, ?)", (secrets.token_hex(32),))
        row = con.execute("SELECT secret FROM kiosk_secret").fetchone()
    return bytes.fromhex(row[0])


def _sign(secret: bytes, link_id: str) -> str:
    return hmac.new(secret, link_id.encode(), hashlib.sha256).hexdigest()[:32]


def create(store: StateStore, *, scope: Scope, label: str) -> tuple[str, str]:
    """A new link: (its id, its token)."""
    link_id = secrets.token_hex(6)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with store.session(DDL) as con:
        token = f"{link_id}.{_sign(_secret(con), link_id)}"
        con.execute(
            "INSERT INTO kiosk_links (id, label, scope, created_at) VALUES (?, ?, ?, ?)",
            (link_id, label, json.dumps([[d, list(v)] for d, v in scope]), now),
        )
    return link_id, token


def links(store: StateStore) -> list[dict]:
    return store.read(
        "SELECT id, label, scope, created_at, revoked_at FROM kiosk_links ORDER BY created_at",
        ddl=DDL,
    )


def revoke(store: StateStore, link_id: str) -> bool:
    """Revoke a link; False when there is no such (unrevoked) link."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with store.session(DDL) as con:
        done = con.execute(
            "UPDATE kiosk_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (now, link_id),
        )
        return done.rowcount == 1


def verify(store: StateStore, token: str) -> KioskLink | None:
    """The link a token opens, or None (bad signature, unknown or revoked link)."""
    link_id, _, signature = token.strip().partition(".")
    if not link_id or not signature:
        return None
    with store.session(DDL) as con:
        expected = _sign(_secret(con), link_id)
        row = con.execute(
            "SELECT label, scope FROM kiosk_links WHERE id = ? AND revoked_at IS NULL", (link_id,)
        ).fetchone()
    if row is None or not hmac.compare_digest(expected, signature):
        return None
    scope = tuple((d, tuple(v)) for d, v in json.loads(row["scope"]))
    return KioskLink(link_id, row["label"], scope)
