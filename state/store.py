"""State kept beside the warehouse, which a load never replaces.

The audit trail, kiosk links, alert history and the action log live in one
SQLite file next to the warehouse (``northstar.state.sqlite`` beside
``northstar.duckdb``, or ``$NORTHSTAR_STATE``). A load swaps the warehouse file
in whole; this file it never touches. SQLite lets the dashboard's threads, a
load and the command line write to it at once (WAL, short transactions).

Each owner module declares its own tables with ``CREATE TABLE IF NOT EXISTS``
through ``StateStore.session(ddl)``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from store.errors import StoreError
from store.warehouse import default_db_path, plain_os_error

STATE_SUFFIX = ".state.sqlite"


def default_state_path(db: Path | str | None = None) -> Path:
    """``$NORTHSTAR_STATE``, else the state file beside the warehouse ``db``."""
    env = os.environ.get("NORTHSTAR_STATE")
    if env:
        return Path(env)
    db = Path(db) if db is not None else default_db_path()
    return db.with_name(db.stem + STATE_SUFFIX)


class StateStore:
    """One state file. Cheap to create; every ``session`` opens its own connection."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @classmethod
    def beside(cls, db: Path | str | None = None) -> StateStore:
        return cls(default_state_path(db))

    @contextmanager
    def session(self, ddl: str = "") -> Iterator[sqlite3.Connection]:
        """A connection in one transaction (committed on success, rolled back on error), with
        ``ddl`` (the caller's CREATE TABLE IF NOT EXISTS statements) applied first."""
        folder = self.path.absolute().parent
        if not folder.is_dir():
            raise StoreError(
                f"cannot keep state in {self.path}: the folder {folder} does not exist;"
                " create it, or set NORTHSTAR_STATE to a file in a writable folder"
            )
        try:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the state file {self.path}: {exc}") from exc
        try:
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA busy_timeout=30000")
            if ddl:
                con.executescript(ddl)
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:  # locked, read-only, full, or not a database
            raise StoreError(
                f"cannot write the state file {self.path}: {plain_os_error(exc)}"
            ) from exc
        finally:
            con.close()

    def read(self, sql: str, params: dict | tuple = (), *, ddl: str = "") -> list[dict]:
        """Rows of one query as plain dicts (an absent file reads as empty tables)."""
        with self.session(ddl) as con:
            return [dict(r) for r in con.execute(sql, params).fetchall()]
