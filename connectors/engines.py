"""Which engine answers a query: DuckDB over the warehouse file or over a lake, or Spark."""

from __future__ import annotations

from pathlib import Path

from connectors.errors import ConnectorError

ENGINES = ("duckdb", "spark")


def open_engine(db: Path, lake: Path | None, engine: str = "duckdb"):
    """What the query functions of metrics/ run on: DuckDB over ``db`` (no lake) or over the
    lake's current version, or Spark over the lake."""
    if engine not in ENGINES:
        raise ConnectorError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine == "spark":
        if lake is None:
            raise ConnectorError(
                "--engine spark reads a lake: pass --lake DIR (write one with "
                "'northstar load --lake DIR PATH...')"
            )
        from connectors.spark_engine import SparkEngine

        return SparkEngine.for_lake(lake)
    if lake is not None:
        from connectors.lake import Lake

        return Lake(lake).engine()
    from connectors.warehouse import Warehouse

    return Warehouse(db).engine()
