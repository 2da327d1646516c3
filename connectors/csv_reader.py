"""Delimited text (.csv, .txt, .tsv): an explicit dialect, every value read as text.

The delimiter and quote come from sources.yaml or from the header line, read here by Python,
never by DuckDB's sniffer (which fails on mixed line endings and on a first line longer than
its buffer). ``skip_rows`` and ``skip_footer`` count physical lines (blank ones included),
``header_rows`` counts records; blank lines above the header are skipped. A file in another
encoding than UTF-8, or with lines around its data, is copied to a temporary UTF-8 file
holding only the header and the data, which DuckDB then reads (any codec Python knows).
What DuckDB cannot say plainly is said here first: an empty file, another encoding, a
header given twice, a title line above the header.
"""

from __future__ import annotations

import codecs
import collections
import csv
import io
import os
import re
import tempfile
from pathlib import Path

import duckdb

from connectors.errors import ConnectorError
from connectors.source_file import EmptyFile, Source, check_headers
from connectors.sources import TableSource
from store.warehouse import quote_ident

HEAD_BYTES = 1 << 20  # what is read to find the header, the dialect and the encoding
MAX_LINE = 8 << 20  # DuckDB's limit per CSV line; longer lines are malformed rows
_DELIMITERS = (",", ";", "\t", "|")
_LINE_END = re.compile(r"\r\n|\n|\r")


def _codec(name: str | None) -> str:
    return codecs.lookup(name).name if name else "utf-8"


def _reads_it(line: bytes) -> str:
    """A codec that reads this line: Windows-1252 when it can, else latin-1 (reads any byte)."""
    try:
        line.decode("cp1252")
        return "cp1252 (Windows-1252)"
    except UnicodeDecodeError:
        return "latin-1"


def _bad_byte(path: Path, codec: str) -> tuple[int, bytes, bytes] | None:
    """The first byte ``codec`` cannot read: its line number, the byte, the line."""
    decoder = codecs.getincrementaldecoder(codec)()
    with open(path, "rb") as f:
        for n, line in enumerate(f, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as exc:
                return n, line[exc.start : exc.start + 1], line
    return None


def _encoding_error(path: Path, codec: str, where: tuple[int, bytes, bytes] | None) -> str:
    if where is None:
        return f"{path}: refused: the file is not {codec}; set encoding: for its table"
    n, byte, line = where
    other = _reads_it(line)
    said = "UTF-8" if codec == "utf-8" else codec
    also = " (latin-1 reads any byte: set encoding: latin-1 works too)" if "1252" in other else ""
    return (
        f"{path}: refused: the file is not {said} (byte 0x{byte.hex()} on line {n}); "
        f"{other} reads it: set encoding: {other.split()[0]} for its table in sources.yaml"
        + also
        + (", or save the file as UTF-8" if codec == "utf-8" else "")
    )


def _encoding(path: Path, head: bytes, configured: str | None) -> str:
    """The file's codec: the configured one, else UTF-8 (refusing UTF-16 and other bytes)."""
    if configured:
        return _codec(configured)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head[:200].count(0) > 10:
        raise ConnectorError(
            f"{path}: refused: the file is UTF-16 encoded, not UTF-8; set encoding: utf-16 for "
            "its table in sources.yaml, or save it as UTF-8 (CSV UTF-8)"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        raise ConnectorError(_encoding_error(path, "utf-8", _bad_byte(path, "utf-8"))) from None
    return "utf-8"


def _dialect(line: str, mapping: TableSource | None) -> tuple[str, str]:
    quote = mapping.quote if mapping and mapping.quote is not None else '"'
    if mapping and mapping.delimiter:
        return mapping.delimiter, quote
    unquoted = re.sub(re.escape(quote) + ".*?" + re.escape(quote), "", line) if quote else line
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return (best if counts[best] else ","), quote


def _fields(line: str, delim: str, quote: str) -> list[str]:
    return next(csv.reader([line], delimiter=delim, quotechar=quote or None), [])


def _title_check(path: Path, lines: list[str], at: int, mapping: TableSource | None) -> None:
    """Refuse a title line where the header should be, saying which line looks like it."""
    delim, quote = _dialect(lines[at], mapping)
    if sum(1 for f in _fields(lines[at], delim, quote) if f.strip()) >= 2:
        return  # a title is one cell, maybe followed by empty ones ("Sales list;;;;")
    for j in range(at + 1, min(len(lines) - 1, at + 40)):
        d, q = _dialect(lines[j], mapping)
        fields = _fields(lines[j], d, q)
        n = len(fields)
        if sum(1 for f in fields if f.strip()) >= 2 and len(_fields(lines[j + 1], d, q)) == n:
            raise ConnectorError(
                f"{path}: refused: line {at + 1} ({lines[at].strip()[:60]!r}) looks like a title, "
                f"not a header row; the header looks like line {j + 1}: set skip_rows: {j} "
                "for its table in sources.yaml"
            )


def _copy(
    path: Path,
    codec: str,
    start: int,
    header: list[str],
    dialect: tuple[str, str, str],
    footer: int,
) -> str:
    """A UTF-8 copy: the header, then the lines from ``start`` on, without ``footer`` lines."""
    delim, quote, end = dialect
    fd, temp = tempfile.mkstemp(prefix="northstar-", suffix=".csv")
    try:
        with (
            open(path, encoding=codec, newline="") as src,
            os.fdopen(fd, "w", encoding="utf-8", newline="") as out,
        ):
            w = csv.writer(
                out, delimiter=delim, quotechar=quote or '"', lineterminator=end,
                quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE, escapechar=None if quote else "\\",
            )  # fmt: skip
            w.writerow(header)
            held: collections.deque[str] = collections.deque()
            for n, line in enumerate(src):
                if n < start:
                    continue
                held.append(line)
                if len(held) > footer:
                    out.write(held.popleft())
    except UnicodeDecodeError:
        os.unlink(temp)
        raise ConnectorError(_encoding_error(path, codec, _bad_byte(path, codec))) from None
    except BaseException:
        os.unlink(temp)
        raise
    return temp


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, mapping: TableSource | None) -> Source:
    """Delimited text: an explicit dialect, every value read as text."""
    for name in ("reject_errors", "reject_scans"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
        complete = not f.read(1)
    if not head.lstrip(codecs.BOM_UTF8).strip():
        raise EmptyFile(f"{path}: empty file (no header, no rows): skipped")
    codec = _encoding(path, head, mapping.encoding if mapping else None)
    text = head.decode("utf-8-sig" if codec == "utf-8" else codec, errors="replace")
    text = text.lstrip("\ufeff")
    lines = _LINE_END.split(text)
    if not complete:
        lines = lines[:-1]  # the last one may be cut
    skip = mapping.skip_rows if mapping else 0
    at = skip
    while at < len(lines) and not lines[at].strip():  # blank lines above the header
        at += 1
    if at >= len(lines):
        if complete:
            raise EmptyFile(f"{path}: no header after {at} line(s) (skip_rows: {skip}): skipped")
        raise ConnectorError(
            f"{path}: refused: the first line is longer than {HEAD_BYTES >> 20} MiB, so it is not "
            "a header row; a CSV file must start with one line of column names"
        )
    _title_check(path, lines, at, mapping)
    delim, quote = _dialect(lines[at], mapping)
    records = csv.reader(
        io.StringIO("\n".join(lines[at:])), delimiter=delim, quotechar=quote or None
    )
    headers = next(records)
    for _ in range((mapping.header_rows if mapping else 1) - 1):
        next(records, None)
    start = at + records.line_num  # physical lines before the first data line
    headers = [h if h.strip() else f"column{i}" for i, h in enumerate(headers)]
    check_headers(path, headers)
    footer = mapping.skip_footer if mapping else 0
    temp = None
    target, encoding = str(path), codec
    if codec != "utf-8" or start != 1 or footer:
        end = "\r\n" if "\r\n" in text else "\n"
        temp = _copy(path, codec, start, headers, (delim, quote, end), footer)
        target, encoding = temp, "utf-8"
    # Mixed line endings (\r\n and \n) need DuckDB's lenient mode; otherwise stay strict.
    crlf = text.count("\r\n")
    mixed = 0 < crlf < text.count("\n")
    relation = (
        "read_csv(?, auto_detect=false, header=true, delim=?, quote=?, escape=?, "
        "columns=?, encoding=?, store_rejects=true, strict_mode=?, max_line_size=?)"
    )
    quote_char = quote if temp is None or quote else ""
    params = [
        target,
        delim,
        quote_char,
        quote_char,
        {h: "VARCHAR" for h in headers},
        encoding,
        not mixed,
        MAX_LINE,
    ]
    text_sql = {h: quote_ident(h) for h in headers}
    return Source(relation, params, headers, text_sql, csv=True, row_offset=start - 1, temp=temp)
