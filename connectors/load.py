"""Load extract files into the warehouse: all or nothing, never touching the live file.

A load takes an exclusive lock (``<db>.lock``; a second load waits for it),
copies the warehouse to ``<db>.tmp-<pid>`` (or starts a fresh one), applies
every file there, checkpoints, closes, fsyncs and swaps the copy in with
``os.replace``. The private copy is the transaction: nobody else sees it, and
a failure (or ``--strict``) just deletes it. (No DuckDB transaction is held
across files: inside one, a temp table's rowid is not the row's position.)
A crash at any point leaves the previous file as it was; readers keep their
snapshot and see the new file on their next cursor.

A load into a warehouse that holds data records the rows it replaces and
writes in the ``changes`` schema of the copy, so that the finalize step can
recompute only the stored model rows they can alter (metrics/materialize.py);
the schema is dropped before the swap.

Row numbers in ``rejects`` are the row a spreadsheet shows: the header is row
1, the first record row 2. For CSV, a malformed line's row is its line number
and the accepted records are numbered around those lines (one line per record).
"""

from __future__ import annotations

import concurrent.futures
import glob
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from connectors.errors import ConnectorError
from connectors.readers import (
    SUFFIXES,
    EmptyFile,
    file_recency,
    open_source,
    quote_ident,
    time_limit,
)
from connectors.sources import Sources, TableSource, default_mapping, load_sources
from connectors.validate import Checked, check_file, key_rule_list, key_rules
from metrics.model_changes import CHANGES_SCHEMA
from metrics.schema import RECENCY_COLUMN, SQL_TYPES, TABLES, Table
from store.files import WriteLock, fsync, remove
from store.progress import LoadProgress
from store.warehouse import connect, plain_os_error, writable_folder

# A step run on the new warehouse before the swap; returns a note for the user, or None.
Finalize = Callable[[duckdb.DuckDBPyConnection], "str | None"]

# DuckDB's memory for a load; beyond it, intermediate data spills to disk.
# 3 GB keeps a 10M-line load (and its model rebuild) under 4 GiB of RSS.
LOAD_MEMORY = os.environ.get("NORTHSTAR_LOAD_MEMORY", "3GB")


@dataclass(frozen=True)
class FileReport:
    table: str
    file: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    top_rules: tuple[tuple[str, int], ...] = ()
    skipped: bool = False  # the same content was loaded before: nothing to do
    replaced: int = 0  # rows of the warehouse (or of older files of this load) it replaced
    warnings: tuple[tuple[str, int], ...] = ()  # rows kept with a warning, by rule
    note: str | None = None  # why the file was skipped (e.g. empty)


@dataclass(frozen=True)
class LoadReport:
    db: str
    files: tuple[FileReport, ...]
    seconds: float = 0.0  # the whole load, lock to swap
    finalize_seconds: float | None = None  # of which the finalize step (None: not run)
    finalize_note: str | None = None  # what the finalize step wants the user to know

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)


@dataclass(frozen=True)
class _Planned:
    path: Path
    table: Table
    mapping: TableSource


# --------------------------------------------------------------------------- planning


def _table_by_name(path: Path) -> str | None:
    words = [w for w in re.split(r"[^0-9A-Za-z]+", path.stem) if w]
    return words[0].lower() if words and words[0].lower() in TABLES else None


def _walk(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not path.exists():
        raise ConnectorError(f"{path}: no such file or folder")
    if path.suffix.lower() not in SUFFIXES:
        raise ConnectorError(
            f"{path}: unsupported file type {path.suffix!r}; expected one of {', '.join(SUFFIXES)}"
        )
    return [path]


def plan(paths: list[Path], sources: Sources | None) -> list[_Planned]:
    """The files to load, each with its table and mapping, in load order."""
    files: dict[Path, None] = {}
    for p in paths:
        for f in _walk(Path(p)):
            files.setdefault(f.resolve(), None)
    matched = sources.matched_files() if sources else {}
    planned, problems = [], []
    for f in files:
        mapping = matched.get(f)
        name = mapping.table if mapping else _table_by_name(f)
        if name is None:
            problems.append(
                f"{f}: refused: unknown table; a file's name must start with one of "
                f"{', '.join(TABLES)} (e.g. orders_2026-03.csv), or map it under tables.<table>.files in sources.yaml"
            )
            continue
        if mapping is None:
            mapping = sources.for_table(name) if sources is not None else default_mapping(name)
        planned.append(_Planned(f, TABLES[name], mapping))
    if problems:
        raise ConnectorError("\n".join(problems))
    order = list(TABLES)
    # Within a table, older extracts first: a newer one replaces their rows, whatever the paths.
    return sorted(
        planned,
        key=lambda p: (
            p.table.load_order,
            order.index(p.table.name),
            file_recency(p.path, p.mapping),
            p.path.as_posix(),
        ),
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------- warehouse schema


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The five canonical tables (typed, even when empty), rejects and loads."""
    for t in TABLES.values():
        cols = ", ".join(f"{quote_ident(c.name)} {SQL_TYPES[c.type]}" for c in t.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {t.name} ({cols}, {RECENCY_COLUMN} TIMESTAMP)")
        con.execute(f"ALTER TABLE {t.name} ADD COLUMN IF NOT EXISTS {RECENCY_COLUMN} TIMESTAMP")
    con.execute("""CREATE TABLE IF NOT EXISTS rejects (
        file VARCHAR, "row" BIGINT, "table" VARCHAR, rule VARCHAR, "column" VARCHAR,
        value VARCHAR, raw VARCHAR, message VARCHAR, loaded_at TIMESTAMP)""")
    con.execute("""CREATE TABLE IF NOT EXISTS loads (
        file VARCHAR, "table" VARCHAR, sha256 VARCHAR, rows_read BIGINT, rows_loaded BIGINT,
        rows_rejected BIGINT, loaded_at TIMESTAMP, file_mtime TIMESTAMP)""")
    con.execute("CREATE TABLE IF NOT EXISTS warnings AS SELECT * FROM rejects LIMIT 0")


# --------------------------------------------------------------------------- one file


def _load_file(
    con: duckdb.DuckDBPyConnection, item: _Planned, sha: str, now: datetime, progress: LoadProgress
) -> FileReport:
    path, table = item.path, item.table
    file = path.as_posix()
    if con.execute(
        'SELECT 1 FROM loads WHERE "table" = ? AND sha256 = ?', [table.name, sha]
    ).fetchone():
        return FileReport(table.name, file, 0, 0, 0, skipped=True)
    try:
        source = open_source(con, path, item.mapping)
    except EmptyFile as exc:
        return FileReport(table.name, file, 0, 0, 0, note=str(exc).removeprefix(f"{path}: "))
    persistent = con.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is None
    with progress.watch(con):
        checked = check_file(con, table, source, item.mapping, path, persistent=persistent)
    replaced = key_rules(con, checked, item.mapping)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _malformed (line BIGINT, csv_line VARCHAR, message VARCHAR)"
    )
    if source.csv:
        con.execute("""INSERT INTO _malformed SELECT line, first(csv_line), first(error_message)
                       FROM reject_errors GROUP BY line""")
    n_chk, n_bad = con.execute("SELECT count(*), count(_k) FROM _chk").fetchone()
    n_key, n_malformed = con.execute(
        "SELECT (SELECT count(*) FROM _kr), (SELECT count(*) FROM _malformed)"
    ).fetchone()
    _write_rejects(con, checked, file, now)
    warnings = _write_warnings(con, checked, file, now)
    if table.name == "customers":
        con.execute(f"""INSERT OR REPLACE INTO _load_portfolio
                        SELECT customer_id, portfolio FROM _chk WHERE {_ok_filter(n_key > 0)}""")
    _upsert(con, checked, has_key_rejects=n_key > 0, persistent=persistent)
    rejected = n_bad + n_key + n_malformed
    report_rules = con.execute(
        "SELECT rule, count(*) FROM rejects WHERE file = ? GROUP BY rule ORDER BY count(*) DESC, rule LIMIT 3",
        [file],
    ).fetchall()
    rows_read = n_chk + n_malformed
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [file, table.name, sha, rows_read, rows_read - rejected, rejected, now, mtime],
    )
    for name in ("_chk", "_kr", "_malformed", "_warn"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    if not source.params:
        con.unregister(source.relation)
    return FileReport(
        table.name,
        file,
        rows_read,
        rows_read - rejected,
        rejected,
        tuple((r, int(n)) for r, n in report_rules),
        replaced=replaced,
        warnings=warnings,
    )


def _write_rejects(
    con: duckdb.DuckDBPyConnection, checked: Checked, file: str, now: datetime
) -> None:
    """Replace this file's previous rejects with the new ones."""
    table = checked.table
    rules = checked.rules + key_rule_list(table)
    # The raw row of a key-rule reject (a row valid in itself): its values as
    # loaded, under the file's headers.
    pairs = [(h, quote_ident(c)) for c, h in checked.columns.items() if h is not None]
    pairs += [(h, a) for a, h in checked.extras.items()]
    raw = (
        "json_object("
        + ", ".join("'" + h.replace("'", "''") + f"', CAST(c.{e} AS VARCHAR)" for h, e in pairs)
        + ")"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rules (k INTEGER, rule VARCHAR, col VARCHAR, message VARCHAR)"
    )
    con.executemany(
        "INSERT INTO _rules VALUES (?, ?, ?, ?)",
        [(r.k, r.rule, r.column, r.message) for r in rules],
    )
    con.execute("DELETE FROM rejects WHERE file = ?", [file])
    con.execute(
        f"""
        INSERT INTO rejects
        WITH m AS (SELECT line, row_number() OVER (ORDER BY line) AS j FROM _malformed),
             g AS (SELECT line - 1 - j AS gap, max(j) AS j FROM m GROUP BY 1),
             bad AS (SELECT rowid AS rid, _k AS k, _val AS val, _raw AS raw FROM _chk WHERE _k IS NOT NULL
                     UNION ALL
                     SELECT kr.rid, kr.k, kr.val, CAST({raw} AS VARCHAR) FROM _kr kr JOIN _chk c ON c.rowid = kr.rid),
             numbered AS (SELECT bad.*, bad.rid + 2 + COALESCE(g.j, 0) AS row_no
                          FROM bad ASOF LEFT JOIN g ON bad.rid >= g.gap)
        SELECT ?, row_no, ?, r.rule, r.col, val, raw, r.message, ?
        FROM numbered JOIN _rules r USING (k)
        UNION ALL
        SELECT ?, line, ?, 'malformed_row', NULL, NULL, csv_line, 'malformed CSV line: ' || message, ?
        FROM _malformed
    """,
        [file, table.name, now, file, table.name, now],
    )


def _write_warnings(
    con: duckdb.DuckDBPyConnection, checked: Checked, file: str, now: datetime
) -> tuple[tuple[str, int], ...]:
    """Rows kept with a warning (``_warn``) into ``warnings``, numbered like rejects; by rule."""
    con.execute("DELETE FROM warnings WHERE file = ?", [file])
    con.execute(
        """
        INSERT INTO warnings
        WITH m AS (SELECT line, row_number() OVER (ORDER BY line) AS j FROM _malformed),
             g AS (SELECT line - 1 - j AS gap, max(j) AS j FROM m GROUP BY 1),
             numbered AS (SELECT w.*, w.rid + 2 + COALESCE(g.j, 0) AS row_no
                          FROM _warn w ASOF LEFT JOIN g ON w.rid >= g.gap)
        SELECT ?, row_no, ?, r.rule, r.col, val, NULL, r.message, ?
        FROM numbered JOIN _rules r USING (k)
    """,
        [file, checked.table.name, now],
    )
    rows = con.execute(
        "SELECT rule, count(*) FROM warnings WHERE file = ? GROUP BY 1 ORDER BY 2 DESC", [file]
    ).fetchall()
    return tuple((r, int(n)) for r, n in rows)


def _ok_filter(has_key_rejects: bool) -> str:
    return "_k IS NULL" + (" AND rowid NOT IN (SELECT rid FROM _kr)" if has_key_rejects else "")


def _upsert(
    con: duckdb.DuckDBPyConnection, checked: Checked, *, has_key_rejects: bool, persistent: bool
) -> None:
    """Put the good rows in the table; rows with the same key are replaced.

    When the table was empty, ``_chk`` was built in the database and becomes
    the table (bad rows deleted, helper columns dropped): rows are written once.
    """
    table = checked.table
    if persistent:
        _end_changes(con)  # the whole table is new: every model is rebuilt
        con.execute(f"DELETE FROM _chk WHERE NOT ({_ok_filter(has_key_rejects)})")
        for helper in ("_k", "_raw", "_val"):
            con.execute(f"ALTER TABLE _chk DROP COLUMN {helper}")
        for alias, header in checked.extras.items():
            con.execute(f"ALTER TABLE _chk RENAME COLUMN {alias} TO {quote_ident(header.strip())}")
        con.execute(f"DROP TABLE {table.name}")
        con.execute(f"ALTER TABLE _chk RENAME TO {table.name}")
        return
    for header in checked.extras.values():
        con.execute(
            f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {quote_ident(header.strip())} VARCHAR"
        )
    cols = [quote_ident(c) for c in table.column_names] + [RECENCY_COLUMN]
    select = ", ".join(cols + list(checked.extras))
    ok = f"SELECT {select} FROM _chk WHERE {_ok_filter(has_key_rejects)}"
    if con.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone():
        keys = [quote_ident(k) for k in table.key]
        on = " AND ".join(f"{table.name}.{k} = o.{k}" for k in keys)
        _record_changes(con, table, f"SELECT {', '.join(keys)} FROM ({ok})", old=True)
        con.execute(
            f"DELETE FROM {table.name} USING (SELECT DISTINCT {', '.join(keys)} FROM ({ok})) o WHERE {on}"
        )
    target = cols + [quote_ident(h.strip()) for h in checked.extras.values()]
    con.execute(f"INSERT INTO {table.name} ({', '.join(target)}) {ok}")
    _record_changes(con, table, ok, old=False)


# --------------------------------------------------------------------------- changes for the models


def _start_changes(con: duckdb.DuckDBPyConnection) -> None:
    """Record this load's changes (``changes.<table>``) when it adds to a warehouse with data.

    The model refresh then recomputes only what they can alter
    (metrics/materialize.py). Without them (a fresh load, or a table that was
    empty) every model is rebuilt.
    """
    if not any(con.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() for t in TABLES):
        return
    con.execute(f"CREATE SCHEMA {CHANGES_SCHEMA}")
    for t in TABLES.values():
        cols = ", ".join(quote_ident(c) for c in t.column_names)
        con.execute(
            f"CREATE TABLE {CHANGES_SCHEMA}.{t.name} AS SELECT {cols} FROM main.{t.name} LIMIT 0"
        )


def _record_changes(con: duckdb.DuckDBPyConnection, table: Table, rows: str, *, old: bool) -> None:
    """Add rows to the table's changes: the stored rows with the keys ``rows`` selects (``old``),
    or the rows ``rows`` selects (the new versions)."""
    if not con.execute(
        "SELECT 1 FROM information_schema.schemata WHERE schema_name = ?", [CHANGES_SCHEMA]
    ).fetchone():
        return
    cols = ", ".join(quote_ident(c) for c in table.column_names)
    if old:
        keys = ", ".join(quote_ident(k) for k in table.key)
        rows = f"SELECT {cols} FROM main.{table.name} SEMI JOIN ({rows}) o USING ({keys})"
    con.execute(f"INSERT INTO {CHANGES_SCHEMA}.{table.name} SELECT {cols} FROM ({rows})")


def _end_changes(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP SCHEMA IF EXISTS {CHANGES_SCHEMA} CASCADE")


# --------------------------------------------------------------------------- swap


def _prepare_tmp(db: Path, tmp: Path, fresh: bool) -> str | None:
    """Copy the warehouse to ``tmp``; a write-ahead log beside it is folded in, or, when it
    belongs to another file (a stale one), left out. Returns a note about the log, if any."""
    for stale in glob.glob(glob.escape(str(db)) + ".tmp-*"):  # left by a crashed load
        remove(stale)
    wal = db.with_name(db.name + ".wal")
    if fresh or not db.exists():
        return "removed a stale write-ahead log beside the warehouse" if wal.exists() else None
    shutil.copyfile(db, tmp)
    if not wal.exists():
        return None
    tmp_wal = tmp.with_name(tmp.name + ".wal")
    shutil.copyfile(wal, tmp_wal)
    try:
        connect(tmp, read_only=False).close()  # replays the log into the copy
        return f"folded the write-ahead log {wal.name} (left by a program that stopped) into the warehouse"
    except ConnectorError:  # the log does not match this file: it is stale
        tmp_wal.unlink(missing_ok=True)
        shutil.copyfile(db, tmp)
        return (
            f"removed the stale write-ahead log {wal.name} (it belonged to an older warehouse file)"
        )


# --------------------------------------------------------------------------- entry point


def load_paths(
    db_path: Path | str,
    paths: list[Path | str],
    *,
    sources: Sources | Path | str | None = None,
    strict: bool = False,
    progress: bool = True,
    fresh: bool = False,
    lock_timeout: float = 600.0,
    finalize: Finalize | None = None,
) -> LoadReport:
    """Load files and folders into the warehouse at ``db_path``, all or nothing.

    ``fresh`` builds a new warehouse instead of adding to the current one.
    ``strict`` refuses the whole load when any row is rejected.
    ``finalize`` runs on the new warehouse before it is swapped in (e.g. to
    rebuild what is derived from the data), inside the same all-or-nothing step;
    what it returns is a note for the user (``LoadReport.finalize_note``).
    """
    db = Path(db_path).absolute()
    writable_folder(db)
    if sources is not None and not isinstance(sources, Sources):
        sources = load_sources(sources)
    planned = plan([Path(p) for p in paths], sources)
    now = datetime.now(UTC).replace(tzinfo=None)
    started, finalize_seconds, note = time.perf_counter(), None, None
    with (
        concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool,
        LoadProgress(len(planned), enabled=progress) as bar,
        WriteLock(db, lock_timeout, bar),
    ):
        hashes = [pool.submit(_sha256, item.path) for item in planned]  # hashed while DuckDB reads
        tmp = db.with_name(f"{db.name}.tmp-{os.getpid()}")
        try:
            wal_note = _prepare_tmp(db, tmp, fresh)
            con = connect(tmp, read_only=False)
            try:
                reports = _apply(con, planned, hashes, now, bar)
                if strict and sum(r.rows_rejected for r in reports):
                    raise ConnectorError(_strict_message(reports))
                unchanged = (
                    db.exists() and not fresh and all(r.skipped for r in reports) and not wal_note
                )
                if unchanged:  # nothing new: keep the live file (the copy is removed below)
                    return LoadReport(db.as_posix(), tuple(reports), time.perf_counter() - started)
                if finalize is not None:
                    finalize_seconds, note = _finalize(con, finalize, bar)
                _end_changes(con)
                con.execute("CHECKPOINT")
            finally:
                con.close()
            fsync(tmp)
            os.replace(tmp, db)
            if (
                wal_note
            ):  # its content is in the new file (or it was stale): it must not be replayed
                db.with_name(db.name + ".wal").unlink(missing_ok=True)
                note = "; ".join(n for n in (wal_note, note) if n)
            fsync(db.parent)
        except OSError as exc:
            raise ConnectorError(
                f"cannot write the new warehouse beside {db}: {plain_os_error(exc)}; "
                "nothing was changed"
            ) from None
        except duckdb.Error as exc:
            raise ConnectorError(
                f"cannot write the new warehouse beside {db}: "
                f"{plain_os_error(exc)}; nothing was changed"
            ) from None
        finally:
            for leftover in glob.glob(glob.escape(str(tmp)) + "*"):
                remove(leftover)
    return LoadReport(
        db.as_posix(), tuple(reports), time.perf_counter() - started, finalize_seconds, note
    )


def _finalize(
    con: duckdb.DuckDBPyConnection, finalize: Finalize, bar: LoadProgress
) -> tuple[float, str | None]:
    """Run the finalize step on a cursor of its own (no half-read result in its way): its seconds and note."""
    t0 = time.perf_counter()
    bar.start_step("rebuilding the metric models for the new data")
    step = con.cursor()
    try:
        with bar.watch(step):
            note = finalize(step)
    finally:
        step.close()
    return time.perf_counter() - t0, note


def _apply(
    con: duckdb.DuckDBPyConnection,
    planned: list[_Planned],
    hashes: list,
    now: datetime,
    bar: LoadProgress,
) -> list[FileReport]:
    con.execute(f"SET memory_limit = '{LOAD_MEMORY}'")
    con.execute("SET preserve_insertion_order = true")
    if bar.enabled:
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
    ensure_schema(con)
    _start_changes(con)
    con.execute(
        "CREATE TEMP TABLE _load_portfolio (customer_id VARCHAR PRIMARY KEY, portfolio VARCHAR)"
    )
    reports = []
    for item, sha in zip(planned, hashes):
        bar.start_file(item.path, item.table.name)
        try:
            with time_limit(con, item.mapping.policy.file_time_limit, item.path):
                report = _load_file(con, item, sha.result(), now, bar)
        except duckdb.Error as exc:
            if _disk_full(exc):
                raise
            raise ConnectorError(
                f"{item.path}: cannot load: {str(exc).strip().splitlines()[0]}"
            ) from exc
        bar.done_file(report.rows_read)
        reports.append(report)
    return reports


def _disk_full(exc: BaseException) -> bool:
    text = str(exc)
    return "No space left" in text or "File too large" in text


def _strict_message(reports: list[FileReport]) -> str:
    lines = [
        f"--strict: {sum(r.rows_rejected for r in reports)} row(s) rejected; nothing was loaded"
    ]
    for r in reports:
        if r.rows_rejected:
            rules = ", ".join(f"{k}: {n}" for k, n in r.top_rules)
            lines.append(f"  {r.file}: {r.rows_rejected} rejected ({rules})")
    lines.append("  see the reasons with a load without --strict, then 'northstar rejects'")
    return "\n".join(lines)
