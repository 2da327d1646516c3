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
    rules = mapping.rules if mapping else {}
    columns: dict[str, str | None] = {}
    used: set[str] = set()
    for col in table.column_names:
        rule = rules.get(col)
        found = [f for h in rule.headers if (f := find_header(h, headers))] if rule else []
        used.update(found)
        fallback = None if rule and rule.expr else find_header(col, headers)
        columns[col] = found[0] if found else fallback
    computed = {c for c, r in rules.items() if r.expr is not None}
    missing = [c for c in table.required if columns[c] is None and c not in computed]
    if missing:
        used |= {h for h in columns.values() if h}
        free = [h for h in headers if h not in used]
        hints = []
        for c in missing:
            close = _closest(mapped.get(c, c), free)
            said = (
                f"{c} is mapped to {' or '.join(map(repr, rules[c].headers))}, which the file lacks"
                if c in rules
                else f"{c} is missing"
            )
            hints.append(
                f"{said}; closest header: {close!r}" if close else f"{said}; no similar header"
            )
        example = ", ".join(f'{c}: "{_closest(c, free) or "Header in file"}"' for c in missing)
        who = f" (source {mapping.name})" if mapping and mapping.name != table.name else ""
        verb = "fix the mapping" if any(c in rules for c in missing) else "map them"
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
            f"{file}: refused: {table.name}{who} needs column(s) {', '.join(missing)} which the file lacks.\n"
            f"  columns found: {', '.join(map(repr, headers)) or '(none)'}\n  "
            + "\n  ".join(hints)
            + f"\n  {verb} in sources.yaml: tables: {{{table.name}: {{columns: {{{example}}}}}}}"
            + sheets
        )
    canon = {c.lower() for c in table.column_names}
    used |= {h for h in columns.values() if h is not None}
    extras = [h for h in headers if h not in used and h.strip() and h.strip().lower() not in canon]
    return columns, extras
