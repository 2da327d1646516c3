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

Values cross the seam in one set of types: a decimal column comes back as
``Float64`` on every engine (``plain_types``), so the same query gives the same
column types, and JSON, on each.

The engines live in store/ (``store.engines.open_engine`` opens one; the DuckDB
engine is ``store.warehouse.DuckDBEngine``). Every query function in metrics/
takes an engine as its first argument, and nothing else: a bare DuckDB
connection or cursor is refused (``as_engine``).
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
    """``runner`` if it is an engine; anything else (a bare DuckDB cursor...) is refused."""
    if isinstance(runner, Engine):
        return runner
    raise TypeError(
        f"the metric core runs on an Engine (store.engines.open_engine, Warehouse.engine()), "
        f"not on a {type(runner).__name__}"
    )


def execute(engine: Engine, compiled: Compiled) -> pl.DataFrame:
    """The one place a compiled statement runs; the result is read fully before returning."""
    return as_engine(engine).run(compiled)


def plain_types(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its decimal columns as Float64: what every engine's ``run`` returns."""
    decimals = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Decimal)]
    return frame.with_columns(pl.col(decimals).cast(pl.Float64)) if decimals else frame
