"""The warehouse file: the one place that opens DuckDB.

Readers hold a read-only handle and lend a cursor per query; when a load swaps
in a new file (atomic ``os.replace``) the next ``cursor()`` reopens it. Writers
never touch the live file: they build a new one beside it (see ``load.py``).
"""

from __future__ import annotations

import errno
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from metrics.engine import Compiled, MissingObject, plain_types
from metrics.errors import MetricsError
from store.errors import StoreError

DEFAULT_DB = "northstar.duckdb"

# No extension is fetched at run time: the machine may be offline.
_CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def default_db_path() -> Path:
    return Path(os.environ.get("NORTHSTAR_DB") or DEFAULT_DB)


def plain_os_error(exc: BaseException) -> str:
    """What went wrong writing a file, in words (disk full, read-only, no permission...)."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code == errno.ENOSPC or "No space left" in text:
        return "the disk is full (no space left on device); free some space and load again"
    if code == errno.EFBIG or "File too large" in text:
        return "the file would exceed the size this system allows (file too large)"
    if code == errno.EROFS or "Read-only file system" in text:
        return "the file system is read-only; choose a --db on a writable disk"
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return "permission denied; choose a --db in a folder you can write to"
    if isinstance(exc, OSError):
        return exc.strerror or text
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def writable_folder(db: Path) -> None:
    """Refuse plainly a warehouse path whose folder is missing or not a folder."""
    folder = Path(db).absolute().parent
    if not folder.is_dir():
        raise StoreError(
            f"cannot create the warehouse {db}: the folder {folder} does not exist; "
            "create it first, or choose another --db"
        )


def connect(path: Path | str, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file with the project's settings. Only this module and the loader call it."""
    try:
        return duckdb.connect(str(path), read_only=read_only, config=dict(_CONFIG))
    except duckdb.Error as exc:  # locked, corrupt, a stale log, or another DuckDB version
        text = str(exc)
        if "WAL" in text and ("does not match" in text or "replaying" in text):
            raise StoreError(
                f"cannot open the warehouse {path}: the write-ahead log {Path(path).name}.wal beside it "
                "was left by a program that stopped while writing an older version of the file; the "
                "warehouse itself is intact. Run 'northstar load' (any file) to clear it, or delete "
                "the .wal file"
            ) from exc
        if "lock" in text.lower():
            raise StoreError(
                f"cannot open the warehouse {path}: another program has it open for "
                "writing; close it and try again"
            ) from exc
        raise StoreError(f"cannot open the warehouse {path}: {plain_os_error(exc)}") from exc


def in_memory() -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB database with the project's settings (nothing fetched)."""
    return duckdb.connect(config=dict(_CONFIG))


def file_version(path: Path) -> str | None:
    """A stamp that changes whenever a load swaps in a new warehouse file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"


@dataclass
class DuckDBEngine:
    """The DuckDB implementation of ``metrics.engine.Engine``, over a connection or a cursor."""

    con: duckdb.DuckDBPyConnection
    dialect: str = "duckdb"

    def run(self, compiled: Compiled) -> pl.DataFrame:
        try:
            result = self.con.sql(compiled.render(self.dialect), params=compiled.params)
            return plain_types(result.pl()) if result is not None else pl.DataFrame()
        except duckdb.CatalogException as exc:
            raise MissingObject(
                f"the warehouse lacks something a metric needs: {_first_line(exc)}"
                " (load the extracts with 'northstar load', or run 'northstar demo')"
            ) from exc
        except duckdb.Error as exc:
            raise MetricsError(f"the query failed: {_first_line(exc)}") from exc

    def fork(self) -> DuckDBEngine:
        """Another engine on the same database, for statements run at the same time."""
        return DuckDBEngine(self.con.cursor())

    def close(self) -> None:
        self.con.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@dataclass
class Warehouse:
    """Read-only access to the warehouse, reopened after each completed load."""

    path: Path

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: str | None = None

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def version(self) -> str | None:
        return file_version(self.path)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for the calling thread, on the newest warehouse file."""
        with self._lock:
            current = self.version
            if current is None:
                raise StoreError(
                    f"no warehouse at {self.path}: run 'northstar demo' or 'northstar load PATH' first"
                )
            if self._con is None or current != self._version:
                if self._con is not None:
                    self._con.close()
                self._con = connect(self.path, read_only=True)
                self._version = current
            return self._con.cursor()

    def engine(self) -> DuckDBEngine:
        """The metric engine over a cursor of its own (see ``cursor``)."""
        return DuckDBEngine(self.cursor())

    def tables(self) -> set[str]:
        cur = self.cursor()
        try:
            rows = cur.sql("select table_name from information_schema.tables").fetchall()
        finally:
            cur.close()
        return {r[0] for r in rows}

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
