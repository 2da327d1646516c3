"""The lake: the validated tables as Parquet in a folder, published atomically.

A lake load goes through the warehouse loader unchanged (same checks, same
rejects, same stored models): under a lock beside the lake, it seeds a private
DuckDB file from the current version, applies the files there (``load_paths``),
and, in the loader's finalize step, copies every table to Parquet in a new
version folder. Then one ``os.replace`` of the ``_current`` pointer publishes
it: a reader that resolves the pointer sees the old version or the new one,
never half of either. The last ``KEEP_VERSIONS`` older versions are kept for
readers still busy with them; older ones are removed.

Layout of a version folder (``manifest.json`` lists its tables)::

    v20260401T101500-1a2b3c4d/
      orders/month=2026-03/data_0.parquet   facts: partitioned by their event month
      customers/data.parquet                the rest: one file each
      rejects/ warnings/ loads/             what the load refused, warned about, read
      models/<model>/ models/materialized/  the stored metric models (see metrics/materialize.py)

A reader lists a table's files recursively (``**/*.parquet``) and ignores the
partition folders' names: the month is a copy of the table's own date column.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb

from metrics.schema import TABLES, Table
from store.errors import StoreError
from store.files import WriteLock, fsync
from store.progress import LoadProgress
from store.warehouse import DuckDBEngine, connect, in_memory, plain_os_error, quote_ident

POINTER = "_current"
MANIFEST = "manifest.json"
MODELS = "models"  # the stored models' schema in the warehouse, folder in the lake
KEEP_VERSIONS = 2  # older versions kept for readers still reading them
_SIDE_TABLES = ("rejects", "warnings", "loads")

# Writes the stored models of a version being built into its folder (from its Parquet tables)
# and returns their manifest entries (``{"models.<m>": {"path": ..., "partition": None}}``).
ModelWriter = Callable[["LakeVersion"], dict[str, dict]]


def _partition_column(table: Table) -> str | None:
    """The date a fact table is partitioned by: its required event date (none for customers)."""
    return next((c.name for c in table.columns if c.when == "event" and c.required), None)


@dataclasses.dataclass(frozen=True)
class LakeVersion:
    """One published version: its folder and what it holds (``{"tables": {name: {...}}}``)."""

    folder: Path
    manifest: dict

    @property
    def name(self) -> str:
        return self.folder.name

    def tables(self) -> dict[str, Path]:
        """Table name (``models.<m>`` for a stored model) -> its folder."""
        return {t: self.folder / info["path"] for t, info in self.manifest["tables"].items()}


def current_version(lake: Path) -> LakeVersion | None:
    """The version the pointer names, or None for a folder that holds no lake yet."""
    lake = Path(lake)
    try:
        name = (lake / POINTER).read_text().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read the lake {lake}: {plain_os_error(exc)}") from None
    folder = lake / name
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"the lake {lake} is damaged: its pointer {POINTER} names version {name!r}, whose "
            f"{MANIFEST} cannot be read ({exc}); load again to publish a whole version"
        ) from None
    return LakeVersion(folder, manifest)


def require_version(lake: Path) -> LakeVersion:
    version = current_version(lake)
    if version is None:
        raise StoreError(
            f"no lake at {lake}: write one with 'northstar load --lake {lake} PATH...' first"
        )
    return version


def parquet_glob(folder: Path) -> str:
    return (folder / "**" / "*.parquet").as_posix()


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --------------------------------------------------------------------------- writing


def _copy(con: duckdb.DuckDBPyConnection, select: str, target: Path, partition: str | None) -> None:
    if partition is None:
        target.mkdir(parents=True)
        con.execute(
            f"COPY ({select}) TO {_sql_text((target / 'data.parquet').as_posix())} (FORMAT parquet)"
        )
    else:
        con.execute(
            f"COPY ({select}) TO {_sql_text(target.as_posix())} "
            f"(FORMAT parquet, PARTITION_BY ({partition}))"
        )


def export_tables(con: duckdb.DuckDBPyConnection, folder: Path) -> dict:
    """Every table of the warehouse ``con`` as Parquet under ``folder``; the manifest."""
    tables: dict[str, dict] = {}
    for t in TABLES.values():
        cols = {r[0] for r in con.execute(f"DESCRIBE {t.name}").fetchall()}
        date = _partition_column(t)
        has_rows = con.execute(f"SELECT 1 FROM {t.name} LIMIT 1").fetchone() is not None
        if date is None or not has_rows:  # an empty table: one file that still carries the types
            _copy(con, f"SELECT * FROM {t.name}", folder / t.name, None)
            tables[t.name] = {"path": t.name, "partition": None}
            continue
        month = next(m for m in ("month", "event_month", "partition_month") if m not in cols)
        select = f"SELECT *, strftime({quote_ident(date)}, '%Y-%m') AS {month} FROM {t.name}"
        _copy(con, select, folder / t.name, month)
        tables[t.name] = {"path": t.name, "partition": {"column": month, "from": date}}
    for name in _SIDE_TABLES:
        _copy(con, f"SELECT * FROM {name}", folder / name, None)
        tables[name] = {"path": name, "partition": None}
    tables |= export_models(con, folder)
    return {"format": 1, "tables": tables}


def export_models(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, dict]:
    """The stored models of the warehouse ``con`` as Parquet under ``folder``; their entries."""
    stored = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
        [MODELS],
    ).fetchall()
    tables: dict[str, dict] = {}
    for (name,) in stored:
        _copy(con, f"SELECT * FROM {MODELS}.{quote_ident(name)}", folder / MODELS / name, None)
        tables[model_table(name)] = {"path": f"{MODELS}/{name}", "partition": None}
    return tables


def model_table(name: str) -> str:
    """The manifest's name of a stored model."""
    return f"{MODELS}.{name}"


def seed_warehouse(db: Path, version: LakeVersion | None) -> None:
    """A private warehouse holding the current version's tables (nothing for a fresh lake)."""
    if version is None:
        return
    con = connect(db, read_only=False)
    try:
        for name, folder in version.tables().items():
            if "." in name:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {MODELS}")
            target = ".".join(quote_ident(p) for p in name.split("."))
            con.execute(
                f"CREATE TABLE {target} AS SELECT * FROM read_parquet("
                f"{_sql_text(parquet_glob(folder))}, hive_partitioning = false)"
            )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def publish(lake: Path, built: Path, manifest: dict) -> str:
    """Move the built version into place and point ``_current`` at it: one atomic step."""
    (built / MANIFEST).write_text(json.dumps(manifest, indent=1))
    name = f"v{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    os.rename(built, lake / name)
    pointer = lake / f".{POINTER}.tmp-{os.getpid()}"
    pointer.write_text(name + "\n")
    fsync(pointer)
    fsync(lake)
    os.replace(pointer, lake / POINTER)
    fsync(lake)
    return name


def prune(lake: Path, current: str) -> None:
    """Remove the versions older than the ``KEEP_VERSIONS`` before ``current``, and leftovers
    of crashed loads (called under the lock)."""
    versions = sorted(p.name for p in lake.iterdir() if p.is_dir() and p.name.startswith("v"))
    older = [v for v in versions if v < current]
    for name in older[: max(0, len(older) - KEEP_VERSIONS)]:
        shutil.rmtree(lake / name, ignore_errors=True)
    for p in lake.iterdir():
        if p.name.startswith((".staging-", ".build-", f".{POINTER}.tmp-")):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def lake_folder(lake: Path | str) -> Path:
    """``lake`` as an absolute folder, created if new; a plain error for a file or no parent."""
    lake = Path(lake).absolute()
    if lake.exists() and not lake.is_dir():
        raise StoreError(
            f"--lake {lake} is a file; a lake is a folder (new, or one "
            "written by 'northstar load --lake')"
        )
    if not lake.parent.is_dir():
        raise StoreError(
            f"cannot create the lake {lake}: the folder {lake.parent} does not "
            "exist; create it first, or choose another --lake"
        )
    try:
        lake.mkdir(exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the lake {lake}: {plain_os_error(exc)}") from None
    return lake


def rebuild_models(
    lake: Path | str, models: ModelWriter, *, lock_timeout: float = 600.0
) -> LakeVersion:
    """Publish a new version of ``lake``: the current one's tables (their files shared: hard
    links, or copies where links cannot be made) with stored models written anew by
    ``models``; all or nothing. Returns the new version."""
    lake = Path(lake).absolute()
    with WriteLock(lake, lock_timeout, LoadProgress(0, enabled=False)):
        current = require_version(lake)
        prune(lake, current.name)
        built = lake / f".build-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            built.mkdir()
            kept = {t: info for t, info in current.manifest["tables"].items() if not _is_model(t)}
            for info in kept.values():
                shutil.copytree(
                    current.folder / info["path"], built / info["path"], copy_function=_share
                )
            manifest = {**current.manifest, "tables": dict(kept)}
            manifest["tables"] |= models(LakeVersion(built, manifest))
            name = publish(lake, built, manifest)
            prune(lake, name)
        except (OSError, duckdb.Error) as exc:
            raise StoreError(
                f"cannot write the lake {lake}: {plain_os_error(exc)}; nothing was changed"
            ) from None
        finally:
            shutil.rmtree(built, ignore_errors=True)
    return LakeVersion(lake / name, manifest)


def _is_model(table: str) -> bool:
    return table.startswith(f"{MODELS}.")


def _share(src: str, dst: str) -> None:
    """A version's file in the next one: the same file (a hard link; files of a published
    version never change), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


# --------------------------------------------------------------------------- reading


def create_views(con: duckdb.DuckDBPyConnection, version: LakeVersion) -> None:
    """A view per table of ``version`` in ``con`` (stored models in the ``models`` schema)."""
    for name, folder in version.tables().items():
        if "." in name:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {MODELS}")
        target = ".".join(quote_ident(p) for p in name.split("."))
        con.execute(
            f"CREATE OR REPLACE VIEW {target} AS SELECT * FROM read_parquet("
            f"{_sql_text(parquet_glob(folder))}, hive_partitioning = false)"
        )


class Lake:
    """Read access to a lake through DuckDB, like ``Warehouse``: each ``cursor()`` sees the
    newest published version (views over its Parquet files in an in-memory database)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: str | None = None

    @property
    def exists(self) -> bool:
        return (self.path / POINTER).exists()

    @property
    def version(self) -> str | None:
        try:
            return (self.path / POINTER).read_text().strip()
        except OSError:
            return None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            version = require_version(self.path)
            if self._con is None or version.name != self._version:
                if self._con is not None:
                    self._con.close()
                self._con = self._open(version)
                self._version = version.name
            return self._con.cursor()

    def _open(self, version: LakeVersion) -> duckdb.DuckDBPyConnection:
        con = in_memory()
        try:
            create_views(con, version)
        except duckdb.Error as exc:  # a damaged or missing Parquet file
            con.close()
            raise StoreError(f"cannot read the lake {self.path}: {plain_os_error(exc)}") from exc
        return con

    def engine(self) -> DuckDBEngine:
        """The metric engine over a cursor of its own (see ``cursor``)."""
        return DuckDBEngine(self.cursor())

    def tables(self) -> set[str]:
        return {n for n in require_version(self.path).tables() if "." not in n}

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
