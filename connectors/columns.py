"""A file's headers matched to a table's canonical columns (as mapped in sources.yaml)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from connectors.errors import ConnectorError
from connectors.readers import Source
from connectors.sources import TableSource
from metrics.schema import Table


def _norm(s: str) -> str:
    return re.sub(r"[^0-9a-z]", "", s.lower())


def _closest(name: str, headers: list[str]) -> str | None:
    by_norm = {_norm(h): h for h in headers}
    hit = difflib.get_close_matches(_norm(name), list(by_norm), n=1, cutoff=0.4)
    return by_norm[hit[0]] if hit else None


def find_header(header: str, headers: list[str]) -> str | None:
    """The file's header named ``header``: the same text, else the same ignoring case."""
    want = header.strip()
    exact = [h for h in headers if h.strip() == want]
    if exact:
        return exact[0]
    folded = [h for h in headers if h.strip().lower() == want.lower()]
    return folded[0] if folded else None


def resolve_columns(
    table: Table,
    headers: list[str],
    mapping: TableSource | None,
    file: Path,
    *,
    source: Source | None = None,
) -> tuple[dict[str, str | None], list[str]]:
    """Canonical column -> header, and the extra headers; refuse a file lacking a required column."""
    mapped = mapping.columns if mapping else {}
    columns: dict[str, str | None] = {}
    for col in table.column_names:
        found = find_header(mapped[col], headers) if col in mapped else None
        columns[col] = found or find_header(col, headers)
    missing = [c for c in table.required if columns[c] is None]
    if missing:
        used = set(columns.values())
        free = [h for h in headers if h not in used]
        hints = []
        for c in missing:
            close = _closest(mapped.get(c, c), free)
            hints.append(
                f"{c} is missing; closest header: {close!r}"
                if close
                else f"{c} is missing; no similar header"
            )
        example = ", ".join(f'{c}: "{_closest(c, free) or "Header in file"}"' for c in missing)
        sheets = ""
        if source is not None and source.xlsx:
            others = [s for s in source.sheets if s != source.sheet]
            sheets = (
                f"\n  this read sheet {source.sheet!r}"
                + (" (empty)" if not headers else "")
                + (
                    f"; the workbook also has {', '.join(map(repr, others))}: if the data is "
                    f"there, set sheet: in sources.yaml, e.g. tables: {{{table.name}: "
                    f"{{sheet: {others[0]!r}}}}}"
                    if others
                    else ""
                )
            )
        raise ConnectorError(
            f"{file}: refused: {table.name} needs column(s) {', '.join(missing)} which the file lacks.\n"
            f"  columns found: {', '.join(map(repr, headers)) or '(none)'}\n  "
            + "\n  ".join(hints)
            + f"\n  map them in sources.yaml: tables: {{{table.name}: {{columns: {{{example}}}}}}}"
            + sheets
        )
    canon = {c.lower() for c in table.column_names}
    used = {h for h in columns.values() if h is not None}
    extras = [h for h in headers if h not in used and h.strip() and h.strip().lower() not in canon]
    return columns, extras
