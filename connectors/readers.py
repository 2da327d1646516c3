"""One small reader per file format, dispatched by suffix.

A reader does not copy data: it tells the validator where the rows come from
(a DuckDB table function with bound parameters, or a registered Arrow table)
and which headers the file has, each as a VARCHAR expression. The validator
then reads, casts and checks every row in one SQL pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from connectors.errors import ConnectorError

SUFFIXES = (".csv", ".parquet", ".xlsx")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Source:
    """Where a file's rows come from, as seen by DuckDB."""

    relation: str  # SQL after FROM, e.g. "read_csv(?, ...)" or a registered name
    params: list = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    text: dict[str, str] = field(default_factory=dict)  # header -> VARCHAR expression
    native: frozenset[str] = frozenset()  # headers already typed in the file (no decimal rule)
    csv: bool = False  # malformed lines land in reject_errors


_CSV_OPTIONS = "all_varchar=true, header=true, store_rejects=true, encoding='utf-8'"


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None) -> Source:
    """CSV: delimiter, quoting and BOM sniffed by DuckDB; every value read as text."""
    for name in ("reject_errors", "reject_scans"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    relation = f"read_csv(?, {_CSV_OPTIONS})"
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}", [str(path)]).fetchall()
    headers = [r[0] for r in rows]
    return Source(relation, [str(path)], headers, {h: quote_ident(h) for h in headers}, csv=True)


def read_parquet(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None) -> Source:
    """Parquet: typed columns are turned to text (ISO dates, '.' decimals)."""
    relation = "read_parquet(?)"
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}", [str(path)]).fetchall()
    headers = [r[0] for r in rows]
    text, native = {}, set()
    for name, type_, *_ in rows:
        if type_ == "VARCHAR":
            text[name] = quote_ident(name)
        else:
            text[name] = f"CAST({quote_ident(name)} AS VARCHAR)"
            native.add(name)
    return Source(relation, [str(path)], headers, text, frozenset(native))


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None) -> Source:
    """Excel: the first sheet (or the mapped one) through Polars/calamine, every cell as text."""
    import fastexcel
    import polars as pl

    try:
        book = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types
        raise ConnectorError(f"{path}: cannot read the workbook: {exc}") from exc
    if sheet is not None and sheet not in book.sheet_names:
        raise ConnectorError(
            f"{path}: no sheet {sheet!r}; sheets: {', '.join(map(repr, book.sheet_names))}"
        )
    sheet_name = sheet if sheet is not None else book.sheet_names[0]
    opts = dict(sheet_name=sheet_name, drop_empty_rows=False, drop_empty_cols=False, raise_if_empty=False)
    df = pl.read_excel(path, infer_schema_length=0, **opts)
    # Trailing blank rows are formatting, not data: drop them (blank rows inside are kept).
    filled = df.select(pl.any_horizontal(pl.all().is_not_null()).alias("f"))["f"]
    last = max((i for i, f in enumerate(filled) if f), default=-1)
    df = df.head(last + 1)
    native: set[str] = set()
    try:  # columns Excel holds as numbers: their text uses '.', whatever the mapping says
        typed = pl.read_excel(path, infer_schema_length=None, **opts)
        native = {c for c, t in typed.schema.items() if t.is_numeric()}
    except Exception:
        pass
    name = "_xlsx_source"
    con.register(name, df.to_arrow())
    headers = list(df.columns)
    return Source(name, [], headers, {h: quote_ident(h) for h in headers}, frozenset(native))


READERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Path, str | None], Source]] = {
    ".csv": read_csv,
    ".parquet": read_parquet,
    ".xlsx": read_xlsx,
}


def open_source(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None = None) -> Source:
    """The reader for the file's suffix; a file that cannot be read is refused."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ConnectorError(
            f"{path}: unsupported file type {path.suffix!r}; expected one of {', '.join(SUFFIXES)}"
        )
    try:
        return reader(con, path, sheet)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise ConnectorError(f"{path}: cannot read the file: {first}") from exc
