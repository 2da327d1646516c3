"""State kept beside the warehouse, which a load never replaces.

The audit trail, kiosk links, alert history and the action log live in one
SQLite file next to the warehouse (``northstar.state.sqlite`` beside
``northstar.duckdb``, or ``$NORTHSTAR_STATE``). A load swaps the warehouse file
in whole; this file it never touches. SQLite lets the dashboard's threads, a
load and the command line write to it at once (WAL, short transactions).

Each owner module declares its own tables with ``CREATE TABLE IF NOT EXISTS``
through ``StateStore.session(ddl)``. The file holds the kiosk secret and the audit
trail: it is created readable and writable by its owner only (0600; SQLite gives its
-wal and -shm files the same mode), and an existing file is narrowed to that.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from store.errors import StoreError
from store.warehouse import default_db_path, plain_os_error

STATE_SUFFIX = ".state.sqlite"
# How long a run may hold what it claimed to send (alerts, packs) before the next run takes it
# over: a run killed mid-send leaves its claims to expire, never to stay "sending".
LEASE = dt.timedelta(minutes=10)


def stamp(t: dt.datetime) -> str:
    """``t`` as the state file keeps times: UTC ISO 8601 to the second (sorts as it reads)."""
    return t.astimezone(dt.UTC).isoformat(timespec="seconds")


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
            _owner_only(self.path)
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
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


def _owner_only(path: Path) -> None:
    """Create ``path`` readable by its owner only, or narrow an existing file to that."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        info = path.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
            path.chmod(0o600)
