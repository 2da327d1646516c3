"""What a dry run shows (``northstar load --dry-run``): each file's first rows as they would
load, and the first rejects; the dry run itself is the load on a private copy
(``connectors.load``)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from connectors.key_rules import key_rules
from connectors.plan import Planned
from connectors.readers import EmptyFile, open_source, quote_ident
from connectors.validate import check_file
from store.errors import StoreError
from store.warehouse import connect

PREVIEW_ROWS = 5  # typed rows a dry run shows per file
PREVIEW_REJECTS = 20  # rejected rows a dry run shows


@dataclass(frozen=True)
class Preview:
    """The first rows of a file as they would load: canonical columns, typed."""

    file: str
    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]


@dataclass(frozen=True)
class DryRun:
    """What a dry run saw: each file's first typed rows, the first rejects (file, row, table,
    rule, column, value, message) of all, and why the load would fail (None: it would not)."""

    previews: tuple[Preview, ...]
    rejects: tuple[tuple, ...]
    rejects_total: int
    failure: str | None = None


def copy_for_dry_run(db: Path, work: Path) -> None:
    """The warehouse (and a write-ahead log beside it, folded in when it belongs to it)."""
    shutil.copyfile(db, work)
    wal = db.with_name(db.name + ".wal")
    if not wal.exists():
        return
    work_wal = work.with_name(work.name + ".wal")
    shutil.copyfile(wal, work_wal)
    try:
        connect(work, read_only=False).close()
    except StoreError:  # a stale log: the file alone is the warehouse
        work_wal.unlink(missing_ok=True)
        shutil.copyfile(db, work)


def preview(con: duckdb.DuckDBPyConnection, item: Planned, sha: str) -> list[Preview]:
    """The file's first rows as they would load (typed, past every row and key rule), read
    once more before ``load_file`` reads it: a dry run pays a second read to show them.
    Nothing for a file already loaded, or an empty one (``load_file`` says why)."""
    table = item.table
    if con.execute(
        'SELECT 1 FROM loads WHERE "table" = ? AND sha256 = ?', [table.name, sha]
    ).fetchone():
        return []
    try:
        source = open_source(con, item.path, item.mapping)
    except EmptyFile:
        return []
    checked = check_file(con, table, source, item.mapping, item.path)
    key_rules(con, checked, item.mapping)
    cols = table.column_names
    rows = con.execute(
        f"SELECT {', '.join(quote_ident(c) for c in cols)} FROM _chk "
        f"WHERE _k IS NULL AND rowid NOT IN (SELECT rid FROM _kr) ORDER BY rowid LIMIT ?",
        [PREVIEW_ROWS],
    ).fetchall()
    for name in ("_chk", "_kr", "_warn"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    if not source.params:
        con.unregister(source.relation)
    source.close(con)  # a re-encoded copy of the file, if one was made
    return [Preview(item.path.as_posix(), table.name, tuple(cols), tuple(map(tuple, rows)))]
