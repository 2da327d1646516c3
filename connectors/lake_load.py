"""A load into the lake: the warehouse loader unchanged, then a new version published.

Under a lock beside the lake, it seeds a private DuckDB file from the current version, applies
the files there (``load_paths``: same checks, same rejects, same stored models) and, in the
loader's finalize step, copies every table to Parquet in a new version folder, which one
atomic step then publishes (store/lake.py).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import duckdb

from connectors.key_rules import DEFAULT_REPORTING_CURRENCY
from connectors.load import Finalize, LoadReport, load_paths
from connectors.sources import Sources
from store.errors import StoreError
from store.files import WriteLock
from store.lake import (
    MODELS,
    LakeVersion,
    ModelWriter,
    current_version,
    export_tables,
    lake_folder,
    prune,
    publish,
    seed_warehouse,
)
from store.progress import LoadProgress
from store.warehouse import DuckDBEngine, plain_os_error


def load_lake(
    lake: Path | str,
    paths: list[Path | str],
    *,
    sources: Sources | Path | str | None = None,
    strict: bool = False,
    progress: bool = True,
    finalize: Finalize | None = None,
    models: ModelWriter | None = None,
    lock_timeout: float = 600.0,
    reporting_currency: str = DEFAULT_REPORTING_CURRENCY,
    dry_run: bool = False,
    max_reject_share: float | None = None,
) -> LoadReport:
    """Load files into the lake at ``lake`` exactly as ``load_paths`` loads a warehouse, then
    publish the result as a new version; all or nothing (see the module docstring).

    With ``models``, the stored models are not those of the load's warehouse (``finalize``
    may still run): ``models`` writes them into the new version, from its Parquet tables,
    before it is published (e.g. computed by Spark, see store/lake_models.py).
    ``dry_run`` checks the files against the current version in a temporary folder (no lock,
    nothing written in the lake), as ``load_paths`` does."""
    lake = lake_folder(lake)
    if dry_run:
        return _dry_run(
            lake, paths, sources, strict, progress, reporting_currency, max_reject_share
        )
    with WriteLock(lake, lock_timeout, LoadProgress(0, enabled=False)):
        previous = current_version(lake)
        prune(lake, previous.name if previous else "")
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        staging, built = lake / f".staging-{tag}", lake / f".build-{tag}"
        try:
            staging.mkdir()
            db = staging / "work.duckdb"
            seed_warehouse(db, previous)
            manifest: dict = {}

            def step(engine: DuckDBEngine) -> str | None:
                note = finalize(engine) if finalize is not None else None
                if models is not None:  # they come from ``models``, not from this warehouse
                    engine.con.execute(f"DROP SCHEMA IF EXISTS {MODELS} CASCADE")
                built.mkdir()
                manifest.update(export_tables(engine.con, built))
                return note

            report = load_paths(
                db,
                paths,
                sources=sources,
                strict=strict,
                progress=progress,
                lock_timeout=lock_timeout,
                finalize=step,
                reporting_currency=reporting_currency,
                max_reject_share=max_reject_share,
            )
            if manifest:  # else nothing was new: the current version stays
                if models is not None:
                    started = time.perf_counter()
                    manifest["tables"] |= models(LakeVersion(built, manifest))
                    took = time.perf_counter() - started
                    report = dataclasses.replace(
                        report, seconds=report.seconds + took, finalize_seconds=took
                    )
                prune(lake, publish(lake, built, manifest))
        except OSError as exc:
            raise StoreError(
                f"cannot write the lake {lake}: {plain_os_error(exc)}; nothing was changed"
            ) from None
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot write the lake {lake}: {plain_os_error(exc)}; nothing was changed"
            ) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(built, ignore_errors=True)
    return dataclasses.replace(report, db=lake.as_posix())


def _dry_run(
    lake: Path,
    paths: list[Path | str],
    sources: Sources | Path | str | None,
    strict: bool,
    progress: bool,
    reporting_currency: str,
    max_reject_share: float | None,
) -> LoadReport:
    """``load_paths``' dry run on a warehouse seeded from the current version, in a temporary
    folder outside the lake."""
    with tempfile.TemporaryDirectory(prefix="northstar-dry-run-") as folder:
        db = Path(folder) / "lake.duckdb"
        try:
            seed_warehouse(db, current_version(lake))
        except (OSError, duckdb.Error) as exc:
            raise StoreError(f"cannot read the lake {lake}: {plain_os_error(exc)}") from None
        report = load_paths(
            db,
            paths,
            sources=sources,
            strict=strict,
            progress=progress,
            reporting_currency=reporting_currency,
            dry_run=True,
            max_reject_share=max_reject_share,
        )
    return dataclasses.replace(report, db=lake.as_posix())
