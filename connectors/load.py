"""Load extract files into the warehouse: all or nothing, never touching the live file.

A load takes an exclusive lock (``<db>.lock``; a second load waits for it),
copies the warehouse to ``<db>.tmp-<pid>`` (or starts a fresh one), applies
every file there, checkpoints, closes, fsyncs and swaps the copy in with
``os.replace``. The private copy is the transaction: nobody else sees it, and
a failure (or ``--strict``) just deletes it. (No DuckDB transaction is held
across files: inside one, a temp table's rowid is not the row's position.)
A crash at any point leaves the previous file as it was; readers keep their
snapshot and see the new file on their next cursor.

A file that rejects more than its ``max_reject_share`` of its rows (default 0.05; ``--strict``:
0) fails the load the same way. A dry run (``dry_run``) does all of it on a private copy in a
temporary folder, without the lock, and keeps what it saw (``DryRun``): the live warehouse and
everything beside it stay untouched.

Which files, in what order: connectors/plan.py; one file checked and upserted:
connectors/upsert.py; the rows it changes, for the model refresh: connectors/changes.py.
"""

from __future__ import annotations

import concurrent.futures
import glob
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from connectors.changes import end_changes, start_changes
from connectors.dry_run import PREVIEW_REJECTS, DryRun, Preview, copy_for_dry_run, preview
from connectors.errors import ConnectorError
from connectors.key_rules import DEFAULT_REPORTING_CURRENCY
from connectors.plan import Planned, plan
from connectors.readers import quote_ident, time_limit
from connectors.reject_limits import limit_failure
from connectors.sources import Sources, load_sources
from connectors.upsert import FileReport, load_file
from metrics.schema import RECENCY_COLUMN, SQL_TYPES, TABLES
from store.errors import StoreError
from store.files import WriteLock, fsync, remove
from store.progress import LoadProgress
from store.warehouse import DuckDBEngine, connect, plain_os_error, writable_folder

# A step run on the new warehouse (its engine) before the swap; returns a note for the user, or None.
Finalize = Callable[[DuckDBEngine], "str | None"]

# DuckDB's memory for a load; beyond it, intermediate data spills to disk.
# 3 GB keeps a 10M-line load (and its model rebuild) under 4 GiB of RSS.
LOAD_MEMORY = os.environ.get("NORTHSTAR_LOAD_MEMORY", "3GB")


@dataclass(frozen=True)
class LoadReport:
    db: str
    files: tuple[FileReport, ...]
    seconds: float = 0.0  # the whole load, lock to swap
    finalize_seconds: float | None = None  # of which the finalize step (None: not run)
    finalize_note: str | None = None  # what the finalize step wants the user to know
    dry_run: DryRun | None = None  # a dry run: what it saw (nothing was written)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------- warehouse schema


def _column_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchone()[0]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> bool:
    """The canonical tables (typed, even when empty), rejects and loads; a table or column the
    contract added since the warehouse was written (e.g. fx_rates, currency) is added.
    Returns whether anything was added."""
    before = _column_count(con)
    for t in TABLES.values():
        cols = ", ".join(f"{quote_ident(c.name)} {SQL_TYPES[c.type]}" for c in t.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {t.name} ({cols}, {RECENCY_COLUMN} TIMESTAMP)")
        for c in t.columns:
            con.execute(
                f"ALTER TABLE {t.name} ADD COLUMN IF NOT EXISTS {quote_ident(c.name)} "
                f"{SQL_TYPES[c.type]}"
            )
        con.execute(f"ALTER TABLE {t.name} ADD COLUMN IF NOT EXISTS {RECENCY_COLUMN} TIMESTAMP")
    con.execute("""CREATE TABLE IF NOT EXISTS rejects (
        file VARCHAR, "row" BIGINT, "table" VARCHAR, rule VARCHAR, "column" VARCHAR,
        value VARCHAR, raw VARCHAR, message VARCHAR, loaded_at TIMESTAMP)""")
    con.execute("""CREATE TABLE IF NOT EXISTS loads (
        file VARCHAR, "table" VARCHAR, sha256 VARCHAR, rows_read BIGINT, rows_loaded BIGINT,
        rows_rejected BIGINT, loaded_at TIMESTAMP, file_mtime TIMESTAMP)""")
    con.execute("CREATE TABLE IF NOT EXISTS warnings AS SELECT * FROM rejects LIMIT 0")
    for side in ("rejects", "warnings"):  # the sources.yaml source that read the row
        con.execute(f"ALTER TABLE {side} ADD COLUMN IF NOT EXISTS source VARCHAR")
    return _column_count(con) != before


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
    except StoreError:  # the log does not match this file: it is stale (connect says so)
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
    reporting_currency: str = DEFAULT_REPORTING_CURRENCY,
    dry_run: bool = False,
    max_reject_share: float | None = None,
) -> LoadReport:
    """Load files and folders into the warehouse at ``db_path``, all or nothing.

    ``fresh`` builds a new warehouse instead of adding to the current one.
    ``strict`` refuses the whole load when any row is rejected; otherwise a file
    that rejects more than its ``max_reject_share`` of its rows refuses it (``max_reject_share``
    given here: the limit of every file, instead of each mapping's).
    ``finalize`` runs on the new warehouse before it is swapped in (e.g. to
    rebuild what is derived from the data), inside the same all-or-nothing step;
    what it returns is a note for the user (``LoadReport.finalize_note``).
    ``reporting_currency`` (settings.reporting_currency) needs no fx rate.
    ``dry_run`` does the same checks on a private copy and writes nothing: the
    report's ``dry_run`` holds what it saw, and why the load would fail.
    """
    db = Path(db_path).absolute()
    if not dry_run:
        writable_folder(db)
    if sources is not None and not isinstance(sources, Sources):
        sources = load_sources(sources)
    planned = plan([Path(p) for p in paths], sources)
    if dry_run:
        return _dry_run(
            db,
            planned,
            strict=strict,
            limit=max_reject_share,
            fresh=fresh,
            progress=progress,
            reporting_currency=reporting_currency,
        )
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
                reports, grown = _apply(con, planned, hashes, now, bar, reporting_currency)
                failure = limit_failure(planned, reports, strict=strict, limit=max_reject_share)
                if failure:
                    raise ConnectorError(failure)
                unchanged = (
                    db.exists()
                    and not fresh
                    and all(r.skipped for r in reports)
                    and not wal_note
                    and not grown  # a table or column the contract added: the file changes
                )
                if unchanged:  # nothing new: keep the live file (the copy is removed below)
                    return LoadReport(db.as_posix(), tuple(reports), time.perf_counter() - started)
                if finalize is not None:
                    finalize_seconds, note = _finalize(con, finalize, bar)
                end_changes(con)
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
            note = finalize(DuckDBEngine(step))
    finally:
        step.close()
    return time.perf_counter() - t0, note


def _apply(
    con: duckdb.DuckDBPyConnection,
    planned: list[Planned],
    hashes: list,
    now: datetime,
    bar: LoadProgress,
    reporting_currency: str,
    previews: list[Preview] | None = None,
) -> tuple[list[FileReport], bool]:
    """Every planned file into ``con``; the reports, and whether the schema grew. With
    ``previews``, each new file's first typed rows are added to it (a dry run)."""
    con.execute(f"SET memory_limit = '{LOAD_MEMORY}'")
    con.execute("SET preserve_insertion_order = true")
    if bar.enabled:
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
    grown = ensure_schema(con)
    start_changes(con)
    con.execute(
        "CREATE TEMP TABLE _load_portfolio (customer_id VARCHAR PRIMARY KEY, portfolio VARCHAR)"
    )
    # What the key rules need to know of the load (connectors/key_rules.py reporting_currency).
    con.execute(
        "CREATE TEMP TABLE _load_settings AS SELECT CAST(? AS VARCHAR) AS reporting_currency",
        [reporting_currency],
    )
    reports = []
    for item, sha in zip(planned, hashes):
        bar.start_file(item.path, item.table.name)
        try:
            with time_limit(con, item.mapping.policy.file_time_limit, item.path):
                if previews is not None:
                    previews.extend(preview(con, item, sha.result()))
                report = load_file(con, item, sha.result(), now, bar)
        except duckdb.Error as exc:
            if _disk_full(exc):
                raise
            raise ConnectorError(
                f"{item.path}: cannot load: {str(exc).strip().splitlines()[0]}"
            ) from exc
        bar.done_file(report.rows_read)
        reports.append(report)
    return reports, grown


def _disk_full(exc: BaseException) -> bool:
    text = str(exc)
    return "No space left" in text or "File too large" in text


def _dry_run(
    db: Path,
    planned: list[Planned],
    *,
    strict: bool,
    limit: float | None,
    fresh: bool,
    progress: bool,
    reporting_currency: str,
) -> LoadReport:
    """The load on a private copy in a temporary folder, then thrown away: no lock, nothing
    written beside the warehouse, the live file untouched (bytes and modification time)."""
    started = time.perf_counter()
    now = datetime.now(UTC).replace(tzinfo=None)
    previews: list[Preview] = []
    with (
        tempfile.TemporaryDirectory(prefix="northstar-dry-run-") as folder,
        concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool,
        LoadProgress(len(planned), enabled=progress) as bar,
    ):
        work = Path(folder) / "dry-run.duckdb"
        if not fresh and db.exists():
            copy_for_dry_run(db, work)
        hashes = [pool.submit(_sha256, item.path) for item in planned]
        try:
            con = connect(work, read_only=False)
            try:
                reports, _ = _apply(con, planned, hashes, now, bar, reporting_currency, previews)
                files = [r.file for r in reports if not r.skipped and not r.note]
                cols = ", ".join(f'"{c}"' for c in ("file", "row", "table", "rule", "column"))
                listed = "FROM rejects WHERE list_contains(?, file)"
                rejects = con.execute(
                    f'SELECT {cols}, value, message {listed} ORDER BY file, "row" LIMIT ?',
                    [files, PREVIEW_REJECTS],
                ).fetchall()
                (total,) = con.execute(f"SELECT count(*) {listed}", [files]).fetchone()
            finally:
                con.close()
        except duckdb.Error as exc:
            raise ConnectorError(f"dry run: {plain_os_error(exc)}") from None
    seen = DryRun(
        tuple(previews),
        tuple(rejects),
        int(total),
        limit_failure(planned, reports, strict=strict, limit=limit),
    )
    return LoadReport(db.as_posix(), tuple(reports), time.perf_counter() - started, dry_run=seen)
