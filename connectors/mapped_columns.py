"""Each canonical column of a file as SQL over the file's text values, by its mapping.

The second layer of validate.check_file: a column's text (its ``from`` headers through the
column's steps, or its ``expr``), the cell's own typed value where it has one (a number cell
of a workbook, a non-text ``expr``), and the ``where:`` filter. Headers an ``expr`` or
``where`` names must be in the file (the closest one is suggested).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from connectors import cell_rules
from connectors.columns import find_header
from connectors.errors import ConnectorError
from connectors.readers import Source
from connectors.sources import ColumnRule, TableSource
from connectors.sql_expr import parse_expression, to_sql
from metrics.schema import Table


@dataclass(frozen=True)
class ColumnSql:
    text: str  # the column's text (NULL when empty), before its default
    value: str | None = None  # the cell's own typed value, where it has one
    rule: ColumnRule | None = None


class _Reader:
    """SQL over one file's layer-1 aliases (``s{j}`` text, ``n{j}`` number cells)."""

    def __init__(self, source: Source, mapping: TableSource | None, file: Path, params: list):
        self.source, self.mapping, self.file, self.params = source, mapping, file, params
        self.alias = {h: f"s{j}" for j, h in enumerate(source.headers)}
        self.numbers = {h: f"n{j}" for j, h in enumerate(source.headers) if h in source.numbers}

    def clean(self, header: str) -> str:
        return cell_rules.clean(self.alias[header], self.mapping)

    def header(self, name: str, where: str) -> str:
        if name in self.alias:
            return name
        close = difflib.get_close_matches(name, list(self.alias), n=1, cutoff=0.5)
        hint = f"; closest header: {close[0]!r}" if close else ""
        raise ConnectorError(
            f"{self.file}: refused: sources.yaml {where} names header {name!r}, which the file "
            f"lacks (headers are case-sensitive){hint}\n  columns found: "
            + ", ".join(map(repr, self.source.headers))
        )

    def expression(self, text: str, where: str) -> str:
        e = parse_expression(text)
        for h in e.headers:
            self.header(h, where)
        return to_sql(
            e,
            self.clean,
            lambda h: cell_rules.number(self.clean(h), self.mapping),
            lambda h: cell_rules.when("date", self.clean(h), self.mapping, self.params),
        )


def _expr_type(con: duckdb.DuckDBPyConnection, sql: str, source: Source, params: list) -> str:
    nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS s{j}" for j in range(len(source.headers)))
    row = con.execute(f"DESCRIBE SELECT {sql} AS x FROM (SELECT {nulls})", params).fetchone()
    return str(row[1])


def column_sql(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    source: Source,
    mapping: TableSource | None,
    columns: dict[str, str | None],
    file: Path,
    params: list,
) -> tuple[dict[str, ColumnSql], str | None]:
    """Each canonical column's SQL, and the where filter's (None without one).

    ``params`` receives the parameters of this layer, in the order of the SQL returned
    (columns in table order, then the filter)."""
    r = _Reader(source, mapping, file, [])
    rules = mapping.rules if mapping else {}
    out: dict[str, ColumnSql] = {}
    for col in table.columns:
        rule = rules.get(col.name)
        h = columns[col.name]
        if rule is not None and rule.expr is not None:
            mine: list = []
            r.params = mine
            sql = r.expression(rule.expr, f"columns.{col.name}.expr")
            if _expr_type(con, sql, source, mine) == "VARCHAR":
                out[col.name] = ColumnSql(f"NULLIF(TRIM({sql}), '')", None, rule)
            else:
                out[col.name] = ColumnSql(f"CAST({sql} AS VARCHAR)", sql, rule)
            params += mine
            continue
        if h is None:
            out[col.name] = ColumnSql("CAST(NULL AS VARCHAR)", None, rule)
            continue
        # A workbook's number cell keeps its value in a number column (not as a duration).
        numeric = col.type in ("num", "int") and (rule is None or not rule.duration)
        if rule is None or rule.plain:
            value = r.numbers.get(h) if numeric else None
            out[col.name] = ColumnSql(r.clean(h), value, rule)
            continue
        found = [f for x in rule.headers if (f := find_header(x, source.headers))]
        text = cell_rules.column_text(rule, [r.clean(f) for f in found])
        single = len(found) == 1 and not (rule.pattern or rule.strip_zeros or rule.map)
        value = r.numbers.get(found[0]) if single and numeric else None
        out[col.name] = ColumnSql(text, value, rule)
    where = None
    if mapping is not None and mapping.where:
        mine = []
        r.params = mine
        where = f"COALESCE(CAST({r.expression(mapping.where, 'where')} AS BOOLEAN), false)"
        params += mine
    return out, where
