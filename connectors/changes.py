"""Change capture for the model refresh: the rows a load replaces and writes, in the
``changes`` schema of the warehouse copy.

A load into a warehouse that holds data records them so that the finalize step can recompute
only the stored model rows they can alter (metrics/materialize.py); the schema is dropped
before the swap.
"""

from __future__ import annotations

import duckdb

from metrics.model_changes import CHANGES_SCHEMA
from metrics.schema import TABLES, Table
from store.warehouse import quote_ident


def start_changes(con: duckdb.DuckDBPyConnection) -> None:
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


def record_changes(con: duckdb.DuckDBPyConnection, table: Table, rows: str, *, old: bool) -> None:
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


def end_changes(con: duckdb.DuckDBPyConnection) -> None:
    """Stop recording: the changes are dropped (every model is rebuilt, or the load is done)."""
    con.execute(f"DROP SCHEMA IF EXISTS {CHANGES_SCHEMA} CASCADE")
