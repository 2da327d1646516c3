"""Excel ``.xlsx``: the first sheet (or the mapped one) through fastexcel/calamine, as text.

``skip_rows`` and ``skip_footer`` count sheet rows by number (empty rows included); the
header is the first of ``header_rows`` rows; empty rows above it are skipped. A title row
where the header should be is refused with the row that looks like the header. When the
source has number rules (decimal, thousands, negative), the cells the workbook stores as
numbers are read from the sheet's XML so that they keep their value (``Source.numbers``),
while text cells such as ``"1.200"`` follow the rules.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import duckdb

from connectors.errors import ConnectorError
from connectors.source_file import Source, check_headers
from connectors.sources import TableSource
from store.warehouse import quote_ident

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL = re.compile(r"([A-Z]+)([0-9]+)")
NAME = "_xlsx_source"


def _member(z: zipfile.ZipFile, sheet: str) -> str | None:
    book = ET.fromstring(z.read("xl/workbook.xml"))
    rid = next(
        (s.get(f"{_REL}id") for s in book.iter(f"{_MAIN}sheet") if s.get("name") == sheet), None
    )
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)


def formulas_without_values(path: Path, sheet: str, limit: int = 5) -> list[str]:
    """Cells (e.g. 'D2') of ``sheet`` holding a formula whose result was never saved."""
    with zipfile.ZipFile(path) as z:
        member = _member(z, sheet)
        if member is None:
            return []
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


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def sheet_cells(path: Path, sheet: str) -> tuple[int, int, dict[tuple[int, int], float]]:
    """The first row and column holding a value (1-based, as calamine's range starts), and
    every cell stored as a number: (row, column) -> value."""
    first_row = first_col = 1 << 30
    numbers: dict[tuple[int, int], float] = {}
    with zipfile.ZipFile(path) as z:
        member = _member(z, sheet)
        if member is None:
            return 1, 1, numbers
        with z.open(member) as f:
            for _, c in ET.iterparse(f):
                if c.tag != f"{_MAIN}c":
                    continue
                v = c.find(f"{_MAIN}v")
                has = (v is not None and v.text is not None) or c.find(f"{_MAIN}is") is not None
                m = _CELL.fullmatch(c.get("r") or "")
                if has and m:
                    row, col = int(m.group(2)), _col(m.group(1))
                    first_row, first_col = min(first_row, row), min(first_col, col)
                    if c.get("t") in (None, "n") and v is not None:
                        try:
                            numbers[(row, col)] = float(v.text or "")
                        except ValueError:
                            pass
                c.clear()
    return min(first_row, 1 << 29), min(first_col, 1 << 29), numbers


def _title_check(path: Path, rows: list[tuple], at: int, first_row: int) -> None:
    def filled(r: tuple) -> int:
        return sum(1 for v in r if v is not None and str(v).strip())

    if at >= len(rows) or filled(rows[at]) >= 2:
        return
    for j in range(at + 1, min(len(rows) - 1, at + 40)):
        n = filled(rows[j])
        if n >= 2 and filled(rows[j + 1]) >= 2:
            row = first_row + j
            raise ConnectorError(
                f"{path}: refused: row {first_row + at} ({str(rows[at][0] or '')[:60]!r}) looks "
                f"like a title, not a header row; the header looks like row {row}: set "
                f"skip_rows: {row - 1} for its table in sources.yaml"
            )


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, mapping: TableSource | None) -> Source:
    """Excel: the sheet's cells as text (number cells kept as numbers when rules apply)."""
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
    skip = mapping.skip_rows if mapping else 0
    rules = mapping is not None and mapping.number_rules
    first_row, first_col, numbers = sheet_cells(path, sheet_name) if skip or rules else (1, 1, {})
    grid = book.load_sheet(sheet_name, header_row=None, dtypes="string").to_polars()
    rows = grid.rows()
    at = max(skip - (first_row - 1), 0)
    while at < len(rows) and all(v is None or not str(v).strip() for v in rows[at]):
        at += 1
    try:
        _title_check(path, rows, at, first_row)
    except ConnectorError:
        if skip or rules:
            raise
        _title_check(path, rows, at, sheet_cells(path, sheet_name)[0])  # say the sheet's rows
        raise
    first = [str(v) if v is not None else "" for v in rows[at]] if at < len(rows) else []
    check_headers(path, [h for h in first if h])
    headers = [h if h.strip() else f"__UNNAMED__{i}" for i, h in enumerate(first)]
    start = at + (mapping.header_rows if mapping else 1)
    if not headers:  # an empty sheet: no header, no rows (said when its columns are missing)
        con.register(NAME, pl.DataFrame({"_": pl.Series([], dtype=pl.String)}).to_arrow())
        return Source(NAME, [], [], {}, sheets=sheets, sheet=sheet_name)
    data = grid.slice(start)
    # Trailing blank rows are formatting, not data: drop them (blank rows inside are kept).
    filled = data.select(pl.any_horizontal(pl.all().is_not_null()).alias("f"))["f"].to_list()
    last = max((i for i, f in enumerate(filled) if f), default=-1)
    footer = mapping.skip_footer if mapping else 0
    data = data.head(max(last + 1 - footer, 0))
    data.columns = headers
    text = {h: quote_ident(h) for h in headers}
    number_sql: dict[str, str] = {}
    if rules and numbers:
        top = first_row + start  # the sheet row of the first data row
        extra = {}
        for j, h in enumerate(headers):
            col = first_col + j
            values = [numbers.get((top + r, col)) for r in range(data.height)]
            if any(v is not None for v in values):
                extra[f"__n{j}"] = pl.Series(values, dtype=pl.Float64)
                number_sql[h] = quote_ident(f"__n{j}")
        data = data.with_columns(**extra) if extra else data
    con.register(NAME, data.to_arrow())
    return Source(
        NAME,
        [],
        headers,
        text,
        sheets=sheets,
        sheet=sheet_name,
        numbers=number_sql,
        row_offset=first_row - 1 + start - 1,
    )
