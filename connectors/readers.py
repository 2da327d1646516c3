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

import codecs
import csv
import datetime as dt
import io
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from connectors.errors import ConnectorError
from connectors.sources import Recency, TableSource
from store.warehouse import quote_ident

SUFFIXES = (".csv", ".parquet", ".xlsx")
_HEAD_BYTES = 1 << 20  # what is read to find the header, the dialect and the encoding
_DELIMITERS = (",", ";", "\t", "|")
_MAX_LINE = 8 << 20  # DuckDB's limit per CSV line; longer lines are malformed rows


class EmptyFile(ConnectorError):
    """A file with no header and no rows: reported and skipped, the rest of the load goes on."""


@dataclass(frozen=True)
class Source:
    """Where a file's rows come from, as seen by DuckDB."""

    relation: str  # SQL after FROM, e.g. "read_csv(?, ...)" or a registered name
    params: list = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    text: dict[str, str] = field(default_factory=dict)  # header -> VARCHAR expression
    native: frozenset[str] = frozenset()  # headers already typed in the file (no decimal rule)
    csv: bool = False  # malformed lines land in reject_errors
    sheets: tuple[str, ...] = ()  # xlsx: the workbook's sheets
    sheet: str | None = None  # xlsx: the sheet read

    @property
    def xlsx(self) -> bool:
        return bool(self.sheets)


def _norm_header(h: str) -> str:
    return " ".join(h.split()).lower()


def check_headers(path: Path, headers: list[str]) -> None:
    """Refuse a header given twice, also when two differ only by case or spacing."""
    seen: dict[str, str] = {}
    for h in headers:
        key = _norm_header(h)
        if key and key in seen:
            raise ConnectorError(
                f"{path}: refused: the header has {seen[key]!r} and {h!r}, the same column "
                "twice (names differing only by case or spacing count as the same); "
                "rename or remove one of them"
            )
        seen[key] = h


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


# --------------------------------------------------------------------------- CSV


def _encoding(path: Path, head: bytes, configured: str | None) -> str:
    """The file's encoding: the configured one, else UTF-8 (refusing UTF-16 and other bytes)."""
    if configured:
        return configured
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head[:200].count(0) > 10:
        raise ConnectorError(
            f"{path}: refused: the file is UTF-16 encoded, not UTF-8; set encoding: utf-16 for "
            "its table in sources.yaml, or save it as UTF-8 (CSV UTF-8)"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        byte = head[exc.start : exc.start + 1]
        raise ConnectorError(
            f"{path}: refused: the file is not UTF-8 (byte 0x{byte.hex()} on line {line}, "
            f"{byte.decode('latin-1')!r} in latin-1); it is probably latin-1 / Windows-1252: set "
            "encoding: latin-1 for its table in sources.yaml, or save it as UTF-8"
        ) from None
    return "utf-8"


def _header_line(path: Path, text: str, complete: bool) -> str:
    text = text.lstrip("\ufeff")
    end = re.search(r"\r\n|\n|\r", text)
    if end is None and not complete:
        raise ConnectorError(
            f"{path}: refused: the first line is longer than {_HEAD_BYTES >> 20} MiB, so it is not "
            "a header row; a CSV file must start with one line of column names"
        )
    return text[: end.start()] if end else text


def _dialect(line: str, mapping: TableSource | None) -> tuple[str, str]:
    quote = mapping.quote if mapping and mapping.quote is not None else '"'
    if mapping and mapping.delimiter:
        return mapping.delimiter, quote
    unquoted = re.sub(re.escape(quote) + ".*?" + re.escape(quote), "", line) if quote else line
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return (best if counts[best] else ","), quote


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, mapping: TableSource | None) -> Source:
    """CSV: an explicit dialect, every value read as text."""
    for name in ("reject_errors", "reject_scans"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    with open(path, "rb") as f:
        head = f.read(_HEAD_BYTES)
        complete = not f.read(1)
    if not head.lstrip(codecs.BOM_UTF8).strip():
        raise EmptyFile(f"{path}: empty file (no header, no rows): skipped")
    encoding = _encoding(path, head, mapping.encoding if mapping else None)
    py_codec = {"utf-16": "utf-16", "latin-1": "latin-1"}.get(encoding, "utf-8-sig")
    text = head.decode(py_codec, errors="ignore")
    line = _header_line(path, text, complete)
    delim, quote = _dialect(line, mapping)
    headers = next(csv.reader(io.StringIO(line), delimiter=delim, quotechar=quote or None))
    headers = [h if h.strip() else f"column{i}" for i, h in enumerate(headers)]
    check_headers(path, headers)
    # Mixed line endings (\r\n and \n) need DuckDB's lenient mode; otherwise stay strict.
    crlf = text.count("\r\n")
    mixed = 0 < crlf < text.count("\n")
    relation = (
        "read_csv(?, auto_detect=false, header=true, delim=?, quote=?, escape=?, "
        "columns=?, encoding=?, store_rejects=true, strict_mode=?, max_line_size=?)"
    )
    params = [
        str(path),
        delim,
        quote,
        quote,
        {h: "VARCHAR" for h in headers},
        encoding,
        not mixed,
        _MAX_LINE,
    ]
    return Source(relation, params, headers, {h: quote_ident(h) for h in headers}, csv=True)


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


# --------------------------------------------------------------------------- Excel

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def formulas_without_values(path: Path, sheet: str, limit: int = 5) -> list[str]:
    """Cells (e.g. 'D2') of ``sheet`` holding a formula whose result was never saved."""
    import posixpath
    import xml.etree.ElementTree as ET
    import zipfile

    with zipfile.ZipFile(path) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))
        rid = next(
            (s.get(f"{_REL}id") for s in book.iter(f"{_MAIN}sheet") if s.get("name") == sheet), None
        )
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
        if target is None:
            return []
        member = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        with z.open(member) as f:  # most sheets have no formula: a byte scan says so quickly
            if not any(
                b"<f>" in chunk or b"<f " in chunk for chunk in iter(lambda: f.read(1 << 22), b"")
            ):
                return []
        cells = []
        with z.open(member) as f:
            for _, c in ET.iterparse(f):
                if c.tag == f"{_MAIN}c":
                    v = c.find(f"{_MAIN}v")
                    if c.find(f"{_MAIN}f") is not None and (
                        v is None or not (v.text or "").strip()
                    ):
                        cells.append(c.get("r") or "?")
                        if len(cells) >= limit:
                            break
                    c.clear()
        return cells


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, mapping: TableSource | None) -> Source:
    """Excel: the first sheet (or the mapped one) through Polars/calamine, every cell as text."""
    import fastexcel
    import polars as pl

    sheet = mapping.sheet if mapping else None
    try:
        book = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types
        raise ConnectorError(f"{path}: cannot read the workbook: {exc}") from exc
    sheets = tuple(book.sheet_names)
    if sheet is not None and sheet not in sheets:
        raise ConnectorError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(map(repr, sheets))}")
    sheet_name = sheet if sheet is not None else sheets[0]
    blank = formulas_without_values(path, sheet_name)
    if blank:
        raise ConnectorError(
            f"{path}: refused: sheet {sheet_name!r} has formulas whose results were never saved "
            f"(cells {', '.join(blank)}); open the workbook in Excel or LibreOffice and save it, "
            "or export the values"
        )
    opts = dict(
        sheet_name=sheet_name, drop_empty_rows=False, drop_empty_cols=False, raise_if_empty=False
    )
    raw = book.load_sheet(sheet_name, header_row=None, n_rows=1)
    first = [str(v) for v in raw.to_polars().row(0)] if raw.height else []
    check_headers(path, [h for h in first if h not in ("", "None")])
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
    return Source(
        name,
        [],
        headers,
        {h: quote_ident(h) for h in headers},
        frozenset(native),
        sheets=sheets,
        sheet=sheet_name,
    )


READERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Path, TableSource | None], Source]] = {
    ".csv": read_csv,
    ".parquet": read_parquet,
    ".xlsx": read_xlsx,
}


def plain_duckdb_error(exc: duckdb.Error) -> str:
    """DuckDB's reader messages, said plainly (the first line, with a hint for known ones)."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if "Invalid unicode" in text or "not utf-8 encoded" in text:
        return "the file is not UTF-8 beyond its first lines; set encoding: latin-1 (or utf-16) in sources.yaml"
    if "invalid state" in text or "sniffing" in text:
        return (
            "its lines do not parse as CSV (mixed line endings or an unclosed quote); "
            "check the quote character (sources.yaml quote:) or re-export the file"
        )
    if "Maximum line size" in text:
        return f"a line is longer than {_MAX_LINE >> 20} MiB"
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
