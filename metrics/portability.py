"""Whether the SQL of metrics.yaml runs on another engine: ``northstar check --engine spark``.

Models and metric expressions are written once, in the source dialect
(``settings.sql_dialect``), and transpiled by sqlglot for each engine. This
reports, with file:line, each one that does not transpile, names a function
the engine's dialect does not know (sqlglot passes unknown functions through
unchanged, e.g. DuckDB's ``to_hours``), or uses a construct other engines
read differently or lack (``GROUP BY ALL``, ``UNION ... BY NAME``, a row value
such as ``(ship_date, shipment_id)`` as an ordering key).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import sqlglot
from sqlglot import exp

from metrics.catalog import Catalog
from metrics.engine import SOURCE_DIALECT, transpile
from metrics.errors import MetricsError
from metrics.located_yaml import KeyPath, LocatedYaml, read_located
from metrics.spec import DerivedMetric, SimpleMetric
from metrics.sql_parse import parse_sql
from metrics.sqlgen import Query, compile_query, compile_rows

ENGINES = ("duckdb", "spark")  # engines and their sqlglot dialects share a name


def engine_problems(path: Path | str, catalog: Catalog, engine: str) -> list[str]:
    """What keeps the catalogue at ``path`` from running on ``engine``: its SQL (with lines),
    then each metric's compiled query and rows statement."""
    found = dialect_problems(read_located(Path(path)), catalog, engine)
    if found:  # the compiled statements embed the same SQL: one report per cause
        return found
    for name in catalog.metrics:
        dims = catalog.dimensions_of(name)[:1]
        q = Query((name,), by=tuple(dims), grain="week", date_from=dt.date(2000, 1, 1))
        for compiled in (
            compile_query(catalog, q, _ANY_DAY),
            compile_rows(catalog, name, q, _ANY_DAY, failing=True, limit=10),
        ):
            try:
                transpile(compiled.sql, engine)
            except MetricsError as exc:
                found.append(f"{catalog.source}: metrics.{name}: its query {exc}")
                break
    return found


_ANY_DAY = dt.date(2000, 1, 1)


def dialect_problems(doc: LocatedYaml, catalog: Catalog, dialect: str) -> list[str]:
    """Every model and metric expression of ``catalog`` that cannot run in ``dialect``."""
    if dialect == SOURCE_DIALECT:
        return []
    found: list[str] = []
    for name in catalog.models:  # as it runs: themes_of(...) written out, on the same line
        found += _located(doc, ("models", name, "sql"), catalog.model_sql(name), dialect)
    for name, m in catalog.metrics.items():
        for path, text in _texts(m):
            if text:
                found += _located(doc, ("metrics", name, *path), text, dialect)
    return found


def _texts(m) -> list[tuple[KeyPath, str | None]]:
    if isinstance(m, DerivedMetric):
        return [(("formula",), m.formula)]
    if isinstance(m, SimpleMetric):
        return [(("expr",), m.expr), (("filter",), m.filter)]
    return [
        ((part, key), getattr(getattr(m, part), key))
        for part in ("numerator", "denominator")
        for key in ("expr", "filter")
    ]


def _located(doc: LocatedYaml, path: KeyPath, text: str, dialect: str) -> list[str]:
    dotted = ".".join(str(p) for p in path)
    return [
        f"{doc.source}:{_line(doc, path, text, snippet)}: {dotted}: {message}"
        for snippet, message in sql_problems(text, dialect)
    ]


def _line(doc: LocatedYaml, path: KeyPath, text: str, snippet: str) -> int | str:
    """The file line of ``snippet`` inside a YAML value: a block (``sql: |``) starts one line
    below its key."""
    key_line = doc.line_of(path)
    if key_line is None:
        return "?"
    if "\n" not in text.strip():
        return key_line
    pattern = re.compile(re.escape(snippet), re.IGNORECASE)
    for i, line in enumerate(text.splitlines()):
        if snippet and pattern.search(line):
            return key_line + 1 + i
    return key_line


def sql_problems(text: str, dialect: str) -> list[tuple[str, str]]:
    """(text to point at, what is wrong) for each part of ``text`` that ``dialect`` cannot run."""
    name = dialect.capitalize()
    try:
        rendered = transpile(text, dialect)
    except MetricsError as exc:
        return [("", f"does not transpile to {name} SQL: {str(exc).split(': ', 1)[-1]}")]
    problems: list[tuple[str, str]] = []
    tree = parse_sql(text)
    for group in tree.find_all(exp.Group):
        if group.args.get("all"):
            problems.append(
                ("GROUP BY ALL", "uses GROUP BY ALL; list the grouping columns instead")
            )
    for union in tree.find_all(exp.Union):
        if union.args.get("by_name"):
            problems.append(("BY NAME", "uses UNION ... BY NAME; list the columns of each side"))
    for row in tree.find_all(exp.Tuple):
        if isinstance(row.parent, exp.Func):
            func = row.parent.sql_name().lower()
            problems.append(
                (
                    func,
                    (
                        f"passes the row value {row.sql(SOURCE_DIALECT)} to {func}(), which {name}"
                        " reads differently; order by a single column or use a window"
                    ),
                )
            )
    try:
        target = sqlglot.parse_one(rendered, read=dialect)
    except sqlglot.errors.ParseError as exc:
        return [("", f"its {name} rendering does not parse: {str(exc).splitlines()[0]}")]
    for func in target.find_all(exp.Anonymous):
        problems.append(
            (
                func.name,
                (
                    f"uses the function {func.name.lower()}(), which {name} SQL does not have;"
                    " write it with functions both engines know"
                ),
            )
        )
    return problems
