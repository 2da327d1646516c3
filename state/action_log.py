"""The action log: decisions taken in the weekly review, kept in the state file (a load never
erases them). Each action says what, who owns it, by when, about which metric and scope
(dimension filters), and the day it was decided; it is open until marked done.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from state.store import StateStore
from store.errors import StoreError

DDL = """
CREATE TABLE IF NOT EXISTS action_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    what TEXT NOT NULL,
    owner TEXT NOT NULL,
    due TEXT NOT NULL,
    metric TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '{}',
    decided TEXT NOT NULL,
    done TEXT
);
"""

Scope = tuple[tuple[str, tuple[str, ...]], ...]  # (dimension, values) pairs, as Query.where


@dataclass(frozen=True)
class Action:
    id: int
    what: str
    owner: str
    due: dt.date
    metric: str
    scope: Scope
    decided: dt.date
    done: dt.date | None = None

    def overdue(self, today: dt.date) -> bool:
        """Past its due date and not done."""
        return self.done is None and self.due < today

    def status(self, today: dt.date) -> str:
        if self.done is not None:
            return "done"
        return "overdue" if self.overdue(today) else "open"

    @property
    def scope_text(self) -> str:
        return "; ".join(f"{d}={','.join(v)}" for d, v in self.scope) or "all"

    def applies_to(self, where: Scope) -> bool:
        """Whether the action concerns a view filtered by ``where``: on every dimension both
        name, they share a value (an action for all customers shows in every view)."""
        view = dict(where)
        return all(set(view[d]) & set(v) for d, v in self.scope if d in view)

    def within(self, rows: Scope) -> bool:
        """Whether the action's scope lies inside ``rows`` (a viewer's row scope; () is every
        row): on each dimension ``rows`` restricts, the action names only values of it. An
        action without a scope concerns the whole company: inside every row only."""
        own = dict(self.scope)
        return all(bool(own.get(d)) and set(own[d]) <= set(v) for d, v in rows)

    def label(self) -> str:
        return f"#{self.id} {self.what} ({self.owner}, due {self.due:%d %b})"


def _row(r: dict) -> Action:
    scope = tuple((d, tuple(v)) for d, v in json.loads(r["scope"] or "{}").items())
    return Action(
        id=r["id"],
        what=r["what"],
        owner=r["owner"],
        due=dt.date.fromisoformat(r["due"]),
        metric=r["metric"],
        scope=scope,
        decided=dt.date.fromisoformat(r["decided"]),
        done=dt.date.fromisoformat(r["done"]) if r["done"] else None,
    )


def add_action(
    store: StateStore,
    *,
    what: str,
    owner: str,
    due: dt.date,
    metric: str,
    decided: dt.date,
    scope: Scope = (),
) -> Action:
    """Record a decision; ``what`` and ``owner`` must not be blank, ``due`` not before
    ``decided``. Names (metric, scope dimensions) are the caller's to validate."""
    what, owner = " ".join(what.split()), " ".join(owner.split())
    if not what or not owner:
        raise StoreError("an action needs a text (what) and an owner (who); one is empty")
    if due < decided:
        raise StoreError(f"the due date {due} is before the decision date {decided}")
    body = json.dumps({d: list(v) for d, v in scope})
    with store.session(DDL) as con:
        cur = con.execute(
            "INSERT INTO action_log (what, owner, due, metric, scope, decided)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (what, owner, due.isoformat(), metric, body, decided.isoformat()),
        )
        new_id = cur.lastrowid
    return next(a for a in list_actions(store) if a.id == new_id)


def mark_done(store: StateStore, action_id: int, on: dt.date) -> Action:
    """Close an action (again on an already closed one keeps its first closing day)."""
    with store.session(DDL) as con:
        found = con.execute("SELECT id FROM action_log WHERE id = ?", (action_id,)).fetchone()
        if found is None:
            raise StoreError(f"there is no action {action_id}; `northstar actions` lists them")
        con.execute(
            "UPDATE action_log SET done = coalesce(done, ?) WHERE id = ?",
            (on.isoformat(), action_id),
        )
    return next(a for a in list_actions(store) if a.id == action_id)


def list_actions(store: StateStore) -> list[Action]:
    """Every action, oldest decision first."""
    rows = store.read("SELECT * FROM action_log ORDER BY decided, id", ddl=DDL)
    return [_row(r) for r in rows]
