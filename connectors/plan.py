"""Which files a load reads: each with its table and mapping, in load order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from connectors.errors import ConnectorError
from connectors.readers import SUFFIXES, file_recency
from connectors.sources import Sources, TableSource, default_mapping
from metrics.schema import TABLES, Table


@dataclass(frozen=True)
class Planned:
    path: Path
    table: Table
    mapping: TableSource


def _table_by_name(path: Path) -> str | None:
    """The table a file's name starts with, as a whole word (``fx_rates`` has two)."""
    stem = re.sub(r"^[^0-9A-Za-z]+", "", path.stem).lower()
    found = [t for t in TABLES if re.match(rf"{re.escape(t)}(?![0-9a-z])", stem)]
    return max(found, key=len) if found else None


_TEXT = (".txt", ".tsv")  # in a folder, loaded only when mapped or named after a table


def _claimed(path: Path, matched: dict[Path, TableSource]) -> bool:
    return path.resolve() in matched or _table_by_name(path) is not None


def _walk(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not path.exists():
        raise ConnectorError(f"{path}: no such file or folder")
    if path.suffix.lower() not in SUFFIXES:
        raise ConnectorError(
            f"{path}: unsupported file type {path.suffix!r}; expected one of {', '.join(SUFFIXES)}"
        )
    return [path]


def plan(paths: list[Path], sources: Sources | None) -> list[Planned]:
    """The files to load, each with its table and mapping, in load order."""
    files: dict[Path, None] = {}
    matched = sources.matched_files() if sources else {}
    for p in paths:
        folder = Path(p).is_dir()
        for f in _walk(Path(p)):
            if folder and sources is not None and sources.excluded(f):
                continue  # sources.yaml exclude: a folder load skips it
            if folder and f.suffix.lower() in _TEXT and not _claimed(f, matched):
                continue  # a notes.txt beside the extracts is not one
            files.setdefault(f.resolve(), None)
    planned, problems = [], []
    for f in files:
        mapping = matched.get(f)
        name = mapping.table if mapping else _table_by_name(f)
        if name is None:
            problems.append(
                f"{f}: refused: unknown table; a file's name must start with one of "
                f"{', '.join(TABLES)} (e.g. orders_2026-03.csv), or map it under tables.<table>.files in sources.yaml"
            )
            continue
        if mapping is None:
            mapping = sources.for_table(name) if sources is not None else default_mapping(name)
        planned.append(Planned(f, TABLES[name], mapping))
    if problems:
        raise ConnectorError("\n".join(problems))
    order = list(TABLES)
    # Within a table, older extracts first: a newer one replaces their rows, whatever the paths.
    return sorted(
        planned,
        key=lambda p: (
            p.table.load_order,
            order.index(p.table.name),
            file_recency(p.path, p.mapping),
            p.path.as_posix(),
        ),
    )
