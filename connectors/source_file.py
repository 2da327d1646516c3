"""What a reader hands the validator: where a file's rows come from, and its headers."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from connectors.errors import ConnectorError


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
    # header -> DOUBLE expression of the cells stored as numbers (NULL for text cells):
    # a workbook's number cells keep their value whatever the decimal rules say.
    numbers: dict[str, str] = field(default_factory=dict)
    row_offset: int = 0  # lines (sheet rows) above the header beyond the usual one header line
    temp: str | None = None  # a UTF-8 copy the reader made (re-encoded, or without title/footer)

    @property
    def xlsx(self) -> bool:
        return bool(self.sheets)

    def close(self, con: duckdb.DuckDBPyConnection) -> None:
        """Drop what the reader made: a registered table, a temporary copy."""
        if not self.params:
            with contextlib.suppress(Exception):
                con.unregister(self.relation)
        if self.temp:
            with contextlib.suppress(OSError):
                os.unlink(self.temp)


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
