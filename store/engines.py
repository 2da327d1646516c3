"""Which engine answers a query: DuckDB over the warehouse file or over a lake, or Spark.

``open_engine`` is the one door to a store: the dashboard, the pack, the scheduler, alerts
and every command open their engine through it.
"""

from __future__ import annotations

from pathlib import Path

from store.errors import StoreError
from store.lake import Lake
from store.warehouse import Warehouse

ENGINES = ("duckdb", "spark")


def open_engine(
    db: Path, lake: Path | None, engine: str = "duckdb", config_path: Path | None = None
):
    """What the query functions of metrics/ run on: DuckDB over ``db`` (no lake) or over the
    lake's current version, or Spark over the lake (where Spark runs: config/engines.yaml
    beside ``config_path``, default the project's, and the environment)."""
    if engine not in ENGINES:
        raise StoreError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine == "spark":
        if lake is None:
            raise StoreError(
                "--engine spark reads a lake: pass --lake DIR (write one with "
                "'northstar load --lake DIR PATH...')"
            )
        from store.engine_config import spark_settings
        from store.spark_engine import SparkEngine

        return SparkEngine.for_lake(lake, spark_settings(config_path))
    return open_store(db, lake).engine()


def open_store(db: Path, lake: Path | None) -> Warehouse | Lake:
    """The store DuckDB reads: the lake when given, else the warehouse file. Held open, it
    lends engines on its newest data (``engine()``) and says which that is (``version``)."""
    return Lake(lake) if lake is not None else Warehouse(db)
