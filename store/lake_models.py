"""The stored metric models of a lake version, computed by DuckDB or by Spark.

A ``ModelWriter`` (store/lake.py) writes them into a version being built,
from its Parquet tables, before it is published. Either engine writes what a
DuckDB load writes (metrics/materialize.py): one Parquet folder per model under
``models/``, each model's SQL from the catalogue run at the data's as-of with
the same bound parameters, dependencies read from their stored rows, and the
``models/materialized`` bookkeeping table (model, as-of, fingerprint). Readers
cannot tell which engine wrote them.

On Spark each model's SQL is rendered for Spark through the engine seam and
the result written by Spark itself (nothing passes through this process), so
the lake may be larger than one machine. A model Spark cannot compute stops
the whole write with a message naming it: nothing is published.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

from metrics.as_of import default_as_of
from metrics.catalog import Catalog
from metrics.engine import Compiled
from metrics.errors import MetricsError
from metrics.materialize import fingerprint, refresh_models, stored_model_select
from metrics.sqlgen import settings_params, used_params
from store.engines import ENGINES
from store.errors import StoreError
from store.lake import (
    MODELS,
    LakeVersion,
    ModelWriter,
    create_views,
    export_models,
    model_table,
)
from store.warehouse import DuckDBEngine, connect


def model_writer(engine: str, catalog: Catalog, config_path: Path) -> ModelWriter:
    """The writer for ``engine``; for Spark, the session is started now (a plain error if it
    cannot be), before anything is read or written."""
    if engine == "duckdb":
        return duckdb_models(catalog)
    if engine != "spark":
        raise StoreError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    from store.engine_config import spark_settings
    from store.spark_engine import spark_session

    return spark_models(spark_session(spark_settings(config_path)), catalog)


def duckdb_models(catalog: Catalog) -> ModelWriter:
    """The models computed by DuckDB over the version's Parquet files (the load's own path)."""

    def write(version: LakeVersion) -> dict[str, dict]:
        work = version.folder.parent / f".staging-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        work.mkdir()
        try:
            con = connect(work / "work.duckdb", read_only=False)
            try:
                create_views(con, version)
                engine = DuckDBEngine(con)
                refresh_models(engine, catalog, default_as_of(engine))
                return export_models(con, version.folder)
            finally:
                con.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    return write


def spark_models(session, catalog: Catalog) -> ModelWriter:
    """The models computed by Spark (``session``, see store.spark_engine.spark_session)."""

    def write(version: LakeVersion) -> dict[str, dict]:
        from store.spark_engine import SparkEngine

        engine = SparkEngine(session, version)
        # Timestamps as DuckDB writes them (Spark's default, INT96, is a legacy encoding).
        engine.session.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        as_of = default_as_of(engine)
        entries: dict[str, dict] = {}
        names = catalog.model_order(list(catalog.models)) if as_of is not None else []
        for name in names:
            _write_model(engine, catalog, name, as_of, version)
            entries[model_table(name)] = {"path": f"{MODELS}/{name}", "partition": None}
        info = engine.session.createDataFrame(
            [(n, as_of, fingerprint(catalog, n)) for n in names],
            "model string, as_of date, fingerprint string",
        )
        _save(info.coalesce(1), version, "materialized")
        entries[model_table("materialized")] = {"path": f"{MODELS}/materialized", "partition": None}
        return entries

    return write


def _stored_view(name: str) -> str:
    """The temporary view a computed model is read back through by the models that use it."""
    return f"northstar_stored_{name}"


def _write_model(engine, catalog: Catalog, name: str, as_of: dt.date, version: LakeVersion):
    inputs = {d: f"SELECT * FROM {_stored_view(d)}" for d in catalog.models[name].deps}
    sql = stored_model_select(catalog, name, inputs)
    compiled = Compiled(sql, used_params(sql, settings_params(catalog, as_of)))
    try:
        _save(engine.frame(compiled), version, name)
    except MetricsError as exc:
        why = str(exc).removeprefix("the query failed on Spark: ")
        raise MetricsError(
            f"the stored model '{name}' cannot be computed on Spark: {why}; nothing was "
            "published (compute the stored models with --engine duckdb meanwhile)"
        ) from exc
    folder = (version.folder / MODELS / name).as_posix()
    engine.session.read.parquet(folder).createOrReplaceTempView(_stored_view(name))


def _save(frame, version: LakeVersion, name: str) -> None:
    """``frame`` written by Spark as the Parquet files of ``models/<name>`` in ``version``."""
    from pyspark.errors import PySparkException

    from store.spark_engine import spark_error

    try:
        frame.write.parquet((version.folder / MODELS / name).as_posix())
    except PySparkException as exc:
        raise spark_error(exc) from exc
