"""The shape of an export file for ``sources suggest``: encoding, delimiter, header and title
lines, extra header rows, footer lines and the sheet; the ``Suggestion`` it starts.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from connectors.errors import ConnectorError
from metrics.schema import TABLES

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
SUFFIXES = (*TEXT_SUFFIXES, ".xlsx", ".parquet")
_DELIMITERS = (";", ",", "\t", "|")
_READ_BYTES = 8 << 20  # a file up to this size is read whole (footer lines are seen)
SAMPLE = 500  # data rows looked at
_FOOTER_WORDS = re.compile(
    r"^\s*(grand\s+totals?|totals?|summe|gesamt|copyright|confidential|generated\s+by|\*)",
    re.IGNORECASE,
)


@dataclass
class Guess:
    column: str  # canonical column
    header: str
    certain: bool
    why: str = ""
    options: dict[str, object] = field(default_factory=dict)  # strip_zeros, duration, ...
    expr: str | None = None
    note: str = ""  # a check: comment


@dataclass
class Suggestion:
    path: Path
    table: str
    table_source: str  # how the table was chosen
    headers: list[str]
    encoding: str = "utf-8"
    encoding_note: str = ""
    delimiter: str | None = None
    skip_rows: int = 0
    header_rows: int = 1
    skip_footer: int = 0
    sheet: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    negative: str | None = None
    null_values: list[str] = field(default_factory=list)
    date_formats: list[str] = field(default_factory=list)
    timezone: str | None = None
    timezone_note: str = ""
    where: str | None = None
    guesses: list[Guess] = field(default_factory=list)
    xlsx: bool = False
    texts: dict[str, str] = field(default_factory=dict)  # header -> its second header row
    hints: list[str] = field(default_factory=list)  # commented-out proposals to consider

    @property
    def missing(self) -> list[str]:
        got = {g.column for g in self.guesses}
        return [c for c in TABLES[self.table].required if c not in got]

    @property
    def unmapped(self) -> list[str]:
        used = {g.header for g in self.guesses}
        return [h for h in self.headers if h not in used and h.strip()]


def _encoding(head: bytes) -> tuple[str, str]:
    """The codec that reads these bytes, and a note when it is not plain UTF-8."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head[:200].count(0) > 10:
        return "utf-16", "the file is UTF-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", ""
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        byte = head[exc.start : exc.start + 1]
        try:
            head.decode("cp1252")
            codec = "cp1252"
        except UnicodeDecodeError:
            codec = "latin-1"
        char = byte.decode(codec, errors="replace")
        return codec, f"not UTF-8: byte 0x{byte.hex()} on line {line} reads as {char!r} in {codec}"


def _read_text(path: Path) -> tuple[str, str, str, bool]:
    """The decoded text (whole, or its head), the codec, a note, and whether it is whole."""
    with open(path, "rb") as f:
        data = f.read(_READ_BYTES)
        whole = not f.read(1)
    if not data.strip(b"\xef\xbb\xbf \r\n\t"):
        raise ConnectorError(f"{path}: empty file: nothing to suggest")
    codec, note = _encoding(data[: 1 << 20])
    text = data.decode("utf-16" if codec == "utf-16" else codec, errors="replace")
    return text.lstrip("\ufeff"), codec, note, whole


def _lines(text: str) -> list[str]:
    lines = re.split(r"\r\n|\n|\r", text)
    if lines and lines[-1] == "":  # the final line break ends the last line
        lines.pop()
    return lines


def _cells(line: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim), [])
    except csv.Error:
        return line.split(delim)


def _looks_like_header(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) < 2 or len(filled) < 0.6 * len(cells):
        return False
    numeric = sum(bool(re.fullmatch(r"[-+]?[\d.,:/ ]+-?", c)) for c in filled)
    return numeric <= len(filled) / 4


def _find_header(lines: list[str]) -> tuple[str, int, int]:
    """The delimiter, the header's line index and its number of fields."""
    best: tuple[int, int, str, int] | None = None  # (-fields, index, delim, fields)
    window = lines[:60]
    for delim in _DELIMITERS:
        counts = [len(_cells(ln, delim)) if ln.strip() else 0 for ln in window]
        for i, n in enumerate(counts):
            if n < 2 or not _looks_like_header(_cells(window[i], delim)):
                continue
            after = [c for c in counts[i + 1 : i + 21] if c]
            if after and sum(c == n for c in after) < max(1, len(after) // 2):
                continue
            if best is None or (-n, i) < best[:2]:
                best = (-n, i, delim, n)
            break
    if best is None:
        return ",", 0, len(_cells(lines[0], ",")) if lines else 0
    return best[2], best[1], best[3]


def _footer(lines: list[str], delim: str, fields: int, start: int) -> int:
    """Lines after the data that are not rows: totals, blank lines, report footers."""
    n = 0
    for line in reversed(lines[start:]):
        cells = [c.strip() for c in _cells(line, delim)] if line.strip() else []
        filled = [c for c in cells if c]
        footer = (
            not line.strip()
            or len(cells) != fields
            or bool(filled and _FOOTER_WORDS.match(filled[0]))
            or "*" in cells
            or (cells and not cells[0] and len(filled) <= max(1, fields // 3))
        )
        if not footer:
            break
        n += 1
    return n


def _records(text_lines: list[str], delim: str, skip_footer: int) -> list[list[str]]:
    body = text_lines[: len(text_lines) - skip_footer] if skip_footer else text_lines
    reader = csv.reader(io.StringIO("\n".join(body)), delimiter=delim)
    out = []
    try:
        for row in reader:
            out.append(row)
            if len(out) > SAMPLE + 3:
                break
    except csv.Error:
        pass
    return out


def sniff_text(path: Path, s_table: str | None) -> tuple[Suggestion, list[list[str]]]:
    text, codec, note, whole = _read_text(path)
    lines = _lines(text)
    delim, index, fields = _find_header(lines)
    records = _records(lines[index:], delim, 0)
    headers = [h.strip() for h in records[0]] if records else []
    header_rows = 1
    zone = None
    for k in (1, 2):  # Qualtrics-like: question texts, then ImportId JSON
        if len(records) > k and _json_row(records[k]):
            header_rows = k + 1
            zone = _json_zone(records[k])
            break
    skip_footer = _footer(lines, delim, fields, index + 1) if whole else 0
    rows = _records(lines[index:], delim, skip_footer)[header_rows:]
    s = Suggestion(path, s_table or "", "", headers, codec, note, delim, index, header_rows)
    s.skip_footer = skip_footer
    if zone:
        s.timezone, s.timezone_note = zone, "the time zone named in the third header row"
    if header_rows > 1 and len(records) > 1:
        s.texts = dict(zip(headers, records[1], strict=False))
    return s, rows


def _json_row(cells: list[str]) -> bool:
    filled = [c for c in cells if c.strip()]
    return bool(filled) and sum(c.strip().startswith("{") for c in filled) > len(filled) / 2


def _json_zone(cells: list[str]) -> str | None:
    for c in cells:
        try:
            zone = json.loads(c).get("timeZone")
        except (ValueError, AttributeError):
            continue
        if zone:
            return str(zone)
    return None


def sniff_xlsx(path: Path, s_table: str | None) -> tuple[Suggestion, list[list[str]]]:
    import fastexcel

    try:
        book = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types
        raise ConnectorError(f"{path}: cannot read the workbook: {exc}") from None
    grids = {}
    for name in book.sheet_names:
        df = book.load_sheet(name, header_row=None, dtypes="string").to_polars()
        grids[name] = [["" if v is None else str(v) for v in row] for row in df.rows()]
    sheet = max(grids, key=lambda n: sum(bool(v) for r in grids[n][:50] for v in r))
    grid = grids[sheet]
    while grid and not any(v.strip() for v in grid[-1]):
        grid.pop()
    width = max((sum(bool(v.strip()) for v in r) for r in grid[:30]), default=0)
    index = next(
        (
            i
            for i, r in enumerate(grid[:30])
            if sum(bool(v.strip()) for v in r) >= max(2, 0.6 * width) and _looks_like_header(r)
        ),
        0,
    )
    headers = [v.strip() for v in grid[index]] if grid else []
    filled_header = sum(bool(h) for h in headers)
    footer = 0
    for r in reversed(grid[index + 1 :]):
        filled = [v.strip() for v in r if v.strip()]
        if filled and (_FOOTER_WORDS.match(filled[0]) or len(filled) < filled_header / 2):
            footer += 1
            continue
        break
    rows = grid[index + 1 : len(grid) - footer]
    s = Suggestion(path, s_table or "", "", headers, xlsx=True, skip_rows=index)
    s.skip_footer = footer
    s.delimiter = None
    s.sheet = sheet if sheet != book.sheet_names[0] else None
    return s, rows


def sniff_parquet(path: Path, s_table: str | None) -> tuple[Suggestion, list[list[str]]]:
    import duckdb

    con = duckdb.connect()
    try:
        rel = con.execute("SELECT * FROM read_parquet(?) LIMIT ?", [str(path), SAMPLE])
        headers = [d[0] for d in rel.description]
        rows = [["" if v is None else str(v) for v in r] for r in rel.fetchall()]
    except duckdb.Error as exc:
        raise ConnectorError(f"{path}: cannot read the file: {exc}") from None
    finally:
        con.close()
    return Suggestion(path, s_table or "", "", headers), rows
