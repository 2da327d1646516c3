"""One small reader per file format, dispatched by suffix.

A reader does not copy data: it tells the validator where the rows come from
(a DuckDB table function with bound parameters, or a registered Arrow table)
and which headers the file has, each as a VARCHAR expression. The validator
then reads, casts and checks every row in one SQL pass.

CSV is read with an explicit dialect: the delimiter and quote come from
sources.yaml or from the header line, read here by Python, never by DuckDB's
sniffer (which fails on mixed line endings and on a first line longer than
its buffer). What DuckDB cannot say plainly is said here first: an empty file,
another encoding, a header given twice.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from connectors.csv_reader import MAX_LINE, read_csv
from connectors.errors import ConnectorError
from connectors.source_file import EmptyFile, Source, check_headers
from connectors.sources import Recency, TableSource
from connectors.xlsx_reader import formulas_without_values, read_xlsx
from store.warehouse import quote_ident

__all__ = [
    "SUFFIXES",
    "EmptyFile",
    "Source",
    "check_headers",
    "file_recency",
    "formulas_without_values",
    "open_source",
    "quote_ident",
    "time_limit",
]

SUFFIXES = (".csv", ".txt", ".tsv", ".parquet", ".xlsx")


def file_recency(path: Path, mapping: TableSource | None) -> dt.datetime:
    """The extract's date from its name (sources.yaml recency.file_name), else its modification time."""
    recency = mapping.recency if mapping else Recency()
    if recency.file_name:
        m = re.search(recency.file_name, path.name)
        if m:
            try:
                return dt.datetime.strptime(m.group(1), recency.format)
            except ValueError:
                pass
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- Parquet


def read_parquet(con: duckdb.DuckDBPyConnection, path: Path, mapping: TableSource | None) -> Source:
    """Parquet: typed columns are turned to text (ISO dates, '.' decimals)."""
    relation = "read_parquet(?)"
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}", [str(path)]).fetchall()
    headers = [r[0] for r in rows]
    check_headers(path, headers)
    text, native = {}, set()
    for name, type_, *_ in rows:
        if type_ == "VARCHAR":
            text[name] = quote_ident(name)
        else:
            text[name] = f"CAST({quote_ident(name)} AS VARCHAR)"
            native.add(name)
    return Source(relation, [str(path)], headers, text, frozenset(native))


READERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Path, TableSource | None], Source]] = {
    ".csv": read_csv,
    ".txt": read_csv,
    ".tsv": read_csv,
    ".parquet": read_parquet,
    ".xlsx": read_xlsx,
}


def plain_duckdb_error(exc: duckdb.Error) -> str:
    """DuckDB's reader messages, said plainly (the first line, with a hint for known ones)."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if "Invalid unicode" in text or "not utf-8 encoded" in text:
        return (
            "the file is not UTF-8 beyond its first lines; set encoding: cp1252 (Windows-1252), "
            "latin-1 or utf-16 for its table in sources.yaml"
        )
    if "invalid state" in text or "sniffing" in text:
        return (
            "its lines do not parse as CSV (mixed line endings or an unclosed quote); "
            "check the quote character (sources.yaml quote:) or re-export the file"
        )
    if "Maximum line size" in text:
        return f"a line is longer than {MAX_LINE >> 20} MiB"
    return first


def open_source(
    con: duckdb.DuckDBPyConnection, path: Path, mapping: TableSource | None = None
) -> Source:
    """The reader for the file's suffix; a file that cannot be read is refused."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ConnectorError(
            f"{path}: unsupported file type {path.suffix!r}; expected one of {', '.join(SUFFIXES)}"
        )
    if path.stat().st_size == 0:
        raise EmptyFile(f"{path}: empty file (no header, no rows): skipped")
    try:
        return reader(con, path, mapping)
    except duckdb.Error as exc:
        raise ConnectorError(f"{path}: cannot read the file: {plain_duckdb_error(exc)}") from exc


@contextmanager
def time_limit(con: duckdb.DuckDBPyConnection, seconds: float, path: Path) -> Iterator[None]:
    """Stop the work on one file after ``seconds`` (interrupting DuckDB) with a plain message."""
    done, expired = threading.Event(), threading.Event()

    def watch() -> None:
        if done.wait(seconds):
            return
        expired.set()
        while not done.wait(0.05):  # until the running statement gives up
            con.interrupt()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    message = (
        f"{path}: stopped after {seconds:g} s, the time limit for one file "
        "(sources.yaml file_time_limit); nothing was loaded. Split the file, or raise the limit"
    )
    try:
        yield
    except Exception as exc:
        if expired.is_set():
            raise ConnectorError(message) from exc
        raise
    finally:
        done.set()
        thread.join()
    if expired.is_set():
        raise ConnectorError(message)
