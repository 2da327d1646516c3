"""Every problem of a sources.yaml at once, each with file:line, key path and a suggestion.

``find_problems(doc)`` validates the top level and each source (one mapping per table, a list of
named sources, or any key with ``table:``), then each column given as an object; a source
with problems still has its columns checked. connectors/sources.py resolves the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from connectors.source_models import ColumnModel, SourceModel, SourcesModel, fields_of, model_at
from connectors.source_types import ColumnRule
from metrics.located_yaml import LocatedYaml, did_you_mean
from metrics.schema import TABLES

_NUMERIC = ("num", "int")


def _unknown_key(model: type[BaseModel], loc: tuple[Any, ...], where: str) -> str:
    allowed = fields_of(model_at(model, loc))
    hint = did_you_mean(str(loc[-1]), allowed) or f"; expected one of: {', '.join(allowed)}"
    return f"{where}: unknown key {loc[-1]!r}{hint}"


def _validate(
    doc: LocatedYaml, model: type[BaseModel], data: Any, at: tuple[Any, ...], problems: list[str]
) -> Any:
    """``data`` validated by ``model``; each problem (at key path ``at`` + its loc) appended."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = at + tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append(_unknown_key(model, tuple(err["loc"]), doc.where(loc)))
            else:
                msg = str(err["msg"]).removeprefix("Value error, ")
                if err["type"] == "literal_error" and "' or '" in str(err.get("ctx")):
                    options = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected")))
                    msg += did_you_mean(str(err.get("input")), options)
                problems.append(f"{doc.where(loc)}: {msg}")
        return None


@dataclass
class Entry:
    """One source as written: its key path, table, name and validated model."""

    at: tuple[Any, ...]
    table: str
    name: str
    model: SourceModel | None  # None when it has problems (its columns are still checked)
    columns: Any = None
    rules: dict[str, ColumnRule] = field(default_factory=dict)


def _entries(doc: LocatedYaml, tables: dict, problems: list[str]) -> list[Entry]:
    entries: list[Entry] = []
    for key, spec in tables.items():
        key = str(key)
        items = list(enumerate(spec)) if isinstance(spec, list) else [(None, spec)]
        if isinstance(spec, list) and not spec:
            problems.append(f"{doc.where(('tables', key))}: an empty list of sources")
        for i, item in items:
            at = ("tables", key) if i is None else ("tables", key, i)
            if item is None:
                item = {}
            if not isinstance(item, dict):
                problems.append(
                    f"{doc.where(at)}: expected a mapping (files, columns, ...) or a list of them"
                )
                continue
            m = _validate(doc, SourceModel, item, at, problems)
            given = item.get("table")
            table = str(given or key)
            if table not in TABLES:
                hint = did_you_mean(table, TABLES) or f"; expected one of: {', '.join(TABLES)}"
                where = doc.where(at + ("table",)) if given else doc.where(at)
                other = (
                    ""
                    if given or hint
                    else " (any other key needs table: naming the table it feeds)"
                )
                problems.append(f"{where}: unknown table {table!r}{hint}{other}")
                continue
            name = item.get("name")
            if i is not None and not name:
                problems.append(
                    f"{doc.where(at)}: each source of a list needs a name (e.g. name: "
                    f"{key}_{i + 1}); it names the source in messages and the load summary"
                )
            entries.append(Entry(at, table, str(name or key), m, item.get("columns")))
    return entries


def _check_columns(doc: LocatedYaml, e: Entry, problems: list[str]) -> dict[str, ColumnRule]:
    table = TABLES[e.table]
    names = table.column_names
    rules: dict[str, ColumnRule] = {}
    columns = e.columns if isinstance(e.columns, dict) else {}
    for col, spec in columns.items():
        at = e.at + ("columns", col)
        if col not in names:
            hint = did_you_mean(str(col), names) or f"; expected one of: {', '.join(names)}"
            problems.append(f"{doc.where(at)}: {col!r} is not a column of {e.table}{hint}")
            continue
        if isinstance(spec, str) and spec.strip():
            rules[col] = ColumnRule((spec,))
            continue
        if not isinstance(spec, dict):
            problems.append(
                f"{doc.where(at)}: expected a header name or an object such as "
                '{from: "Header", strip_zeros: true}'
            )
            continue
        m = _validate(doc, ColumnModel, spec, at, problems)
        if m is None:
            continue
        rule = _column_rule(doc, at, m, table.column(col).type, problems)
        if rule is not None:
            rules[col] = rule
    return rules


def _column_rule(
    doc: LocatedYaml, at: tuple, m: ColumnModel, type_: str, problems: list[str]
) -> ColumnRule | None:
    before = len(problems)
    if (m.from_ is None) == (m.expr is None):
        problems.append(
            f"{doc.where(at)}: give from: (a header, or a list of headers) or expr: "
            "(a SQL expression), " + ("not both" if m.expr else "one of them")
        )
    steps = [k for k in ("pattern", "map", "duration", "unit") if getattr(m, k)]
    if m.expr is not None and (steps or m.strip_zeros):
        key = steps[0] if steps else "strip_zeros"
        problems.append(
            f"{doc.where(at + (key,))}: {key} reads a header given by from:; "
            "write it into the expr instead"
        )
    if m.duration and m.unit:
        problems.append(f"{doc.where(at + ('unit',))}: give duration or unit, not both")
    for key in ("duration", "unit"):
        if getattr(m, key) and type_ not in _NUMERIC:
            problems.append(
                f"{doc.where(at + (key,))}: {key} makes seconds, for a number column; "
                f"this column is a {type_}"
            )
    if len(problems) > before:
        return None
    headers = (m.from_,) if isinstance(m.from_, str) else tuple(m.from_ or ())
    return ColumnRule(
        headers,
        m.strip_zeros,
        m.pattern,
        m.duration,
        m.unit,
        tuple((m.map or {}).items()),
        m.expr,
    )


def _checks(doc: LocatedYaml, e: Entry, problems: list[str]) -> None:
    m = e.model
    if m is None:
        return
    if m.thousands is not None and m.thousands == m.decimal:
        problems.append(
            f"{doc.where(e.at + ('thousands',))}: thousands {m.thousands!r} is also the decimal "
            "separator; e.g. decimal: ',' with thousands: '.'"
        )
    if m.recency is not None and m.recency.file_name and m.recency.column:
        problems.append(
            f"{doc.where(e.at + ('recency',))}: give either file_name or column, not both"
        )


def find_problems(doc: LocatedYaml) -> tuple[list[str], SourcesModel | None, list[Entry]]:
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        return [f"{doc.source}: expected a mapping with a 'tables' key"], None, []
    problems: list[str] = []
    model = _validate(doc, SourcesModel, data, (), problems)
    tables = data.get("tables") or {}
    entries = _entries(doc, tables, problems) if isinstance(tables, dict) else []
    seen: dict[str, tuple] = {}
    for e in entries:
        if e.name in seen:
            problems.append(
                f"{doc.where(e.at)}: source name {e.name!r} is given twice (also at "
                f"{'.'.join(map(str, seen[e.name]))}); names must be unique"
            )
        seen[e.name] = e.at
        e.rules = _check_columns(doc, e, problems)
        _checks(doc, e, problems)
    return sorted(problems, key=_line), model, entries


def _line(problem: str) -> int:
    m = re.match(r"[^\n]*?:(\d+): ", problem)
    return int(m.group(1)) if m else 0
