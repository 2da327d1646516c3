"""The engine seam: the one way the metric core runs SQL.

The core compiles every question into a ``Compiled``: SQL written once in the
source dialect (DuckDB's, the dialect of the models in metrics.yaml, with
``$name`` placeholders) and the values bound to those names. An ``Engine``
runs it::

    class Engine(Protocol):
        dialect: str                                    # a sqlglot dialect: "duckdb", "spark"
        def run(self, compiled: Compiled) -> pl.DataFrame: ...

``run`` renders the statement for its dialect with ``compiled.render(self.dialect)``
(sqlglot transpiles from the source dialect; placeholders become the dialect's
own, e.g. ``:name`` for Spark), binds ``compiled.params`` by name, reads the
result fully into a Polars frame and returns it (an empty frame for a statement
that returns no rows). It raises ``MetricsError`` with a plain message, never
the driver's exception; a missing table or column is ``MissingObject``.

The DuckDB engine lives with the warehouse connection
(``store.warehouse.DuckDBEngine``; ``Warehouse.engine()``). Every query
function in metrics/ takes the engine as its first argument; a bare DuckDB
connection or cursor is accepted there too and wrapped (``as_engine``), so
callers that hold a cursor need not change.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import polars as pl
import sqlglot
from sqlglot.errors import ErrorLevel, SqlglotError

from metrics.errors import MetricsError

SOURCE_DIALECT = "duckdb"  # the dialect every statement of the core (and every model) is written in


@dataclass(frozen=True)
class Compiled:
    """A statement in the source dialect and its bound parameters (``$name`` -> value)."""

    sql: str
    params: dict[str, object] = field(default_factory=dict)

    def render(self, dialect: str) -> str:
        """The statement in ``dialect``; raises MetricsError if it has no equivalent there."""
        return self.sql if dialect == SOURCE_DIALECT else transpile(self.sql, dialect)


@runtime_checkable
class Engine(Protocol):
    """Runs compiled statements; see the module docstring for the contract."""

    dialect: str

    def run(self, compiled: Compiled) -> pl.DataFrame: ...


class MissingObject(MetricsError):
    """The engine lacks a table, view or column the statement names."""


@functools.lru_cache(maxsize=256)
def transpile(sql: str, dialect: str) -> str:
    """``sql`` (source dialect) rendered in ``dialect``, refusing what the dialect cannot express."""
    try:
        out = sqlglot.transpile(
            sql, read=SOURCE_DIALECT, write=dialect, pretty=True, unsupported_level=ErrorLevel.RAISE
        )
    except SqlglotError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MetricsError(f"the statement cannot be written in {dialect} SQL: {first}") from exc
    return ";\n".join(out)


def as_engine(runner: object) -> Engine:
    """An engine as is; a DuckDB connection or cursor wrapped in the warehouse's DuckDB engine."""
    if isinstance(runner, Engine):
        return runner
    from store.warehouse import DuckDBEngine  # the one module that knows DuckDB

    return DuckDBEngine(runner)  # type: ignore[arg-type]


def execute(runner: Engine | object, compiled: Compiled) -> pl.DataFrame:
    """The one place a compiled statement runs; the result is read fully before returning."""
    return as_engine(runner).run(compiled)
