"""``expr:`` and ``where:`` of sources.yaml: one restricted SQL expression over a file's headers.

``parse_expression(text)`` checks the text (sqlglot, DuckDB dialect): exactly one expression,
no query, no table, only the functions of ``ALLOWED`` (arithmetic, CASE, COALESCE, NULLIF,
string and date functions, ``num(header)`` and ``date(header)``). ``to_sql`` renders it over
the file: each header becomes the SQL of its trimmed text, ``num(h)``/``date(h)`` the source's
number and date rules over that text. Headers are case-sensitive and quoted like identifiers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

# Expression nodes an expression may hold (operators, literals, CASE and the allowed functions).
_NODES = {
    # structure, literals and operators
    "Column", "Identifier", "Literal", "Null", "Boolean", "Paren", "Neg", "Not", "And", "Or",
    "Add", "Sub", "Mul", "Div", "IntDiv", "Mod", "Pow", "EQ", "NEQ", "GT", "GTE", "LT", "LTE",
    "Is", "Like", "ILike", "In", "Between", "DPipe", "Case", "If", "Cast", "TryCast", "DataType",
    "Interval", "Var", "NullSafeEQ", "NullSafeNEQ", "Tuple",
    # functions
    "Coalesce", "Nullif", "Abs", "Round", "Floor", "Ceil", "Sign", "Sqrt", "Ln", "Log", "Exp",
    "Greatest", "Least", "Lower", "Upper", "Trim", "Length", "Substring", "Left", "Right",
    "Replace", "Concat", "ConcatWs", "RegexpExtract", "RegexpReplace", "RegexpLike",
    "SplitPart", "StrPosition", "StartsWith", "EndsWith", "Contains", "Pad", "Reverse",
    "Date", "StrToTime", "StrToDate", "TimeToStr", "DateTrunc", "TimestampTrunc", "Extract",
    "Year", "Month", "Day", "DayOfWeek", "DayOfYear", "Quarter", "Week", "DateAdd", "DateSub",
    "DateDiff", "TsOrDsAdd", "TsOrDsToDate", "MakeDate", "DateFromParts", "Initcap", "Repeat",
}  # fmt: skip
# Functions sqlglot does not know (``Anonymous``), by name.
_NAMED = {
    "num", "ltrim", "rtrim", "strlen", "lpad", "rpad", "try_strptime", "strptime", "instr",
    "regexp_matches", "regexp_full_match", "prefix", "suffix", "date_part", "datepart",
    "make_timestamp", "epoch_ms", "to_timestamp", "iif", "ifnull", "nvl", "trunc", "mod",
    "power", "translate", "left", "right", "position", "strpos", "isfinite",
}  # fmt: skip
ALLOWED = (
    "+ - * / %, comparisons, AND/OR/NOT, LIKE, IN, BETWEEN, ||, CASE, CAST, COALESCE, NULLIF, "
    "abs, round, floor, ceil, least, greatest, lower, upper, trim, length, substring, left, "
    "right, replace, concat, regexp_extract, regexp_replace, split_part, strpos, starts_with, "
    "strptime, strftime, date_trunc, date_part, year, month, day, num(header), date(header)"
)


@dataclass(frozen=True)
class Expression:
    text: str
    tree: exp.Expression

    @property
    def headers(self) -> list[str]:
        """The headers it reads, in order of appearance."""
        seen: dict[str, None] = {}
        for col in self.tree.find_all(exp.Column):
            seen.setdefault(col.name, None)
        return list(seen)


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return type(node).__name__


def parse_expression(text: str) -> Expression:
    """Parse and restrict; raise ValueError saying what is not allowed."""
    try:
        trees = sqlglot.parse(text, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        first = str(exc).splitlines()[0]
        raise ValueError(f"{text!r} is not a SQL expression: {first}") from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise ValueError(f"{text!r} must be exactly one SQL expression, not {len(trees)}")
    tree = trees[0]
    for node in tree.walk():
        if isinstance(node, exp.Query | exp.Subquery | exp.Table | exp.Star):
            raise ValueError(
                f"{text!r} reads a query or a table; an expression may only use the file's headers"
            )
        name = type(node).__name__
        if isinstance(node, exp.Anonymous):
            if _function_name(node) not in _NAMED:
                raise ValueError(
                    f"{text!r} uses {node.name}(), which is not allowed; allowed: {ALLOWED}"
                )
        elif name not in _NODES:
            raise ValueError(
                f"{text!r} uses {node.key.upper()}, which is not allowed; allowed: {ALLOWED}"
            )
        if isinstance(node, exp.Column) and (node.table or node.db):
            raise ValueError(f"{text!r} names a table ({node.sql()}); use the header alone")
    for node in tree.walk():
        if _reader_argument(node) is False:
            raise ValueError(f'{text!r}: num() and date() take one header, e.g. num("Net Price")')
    return Expression(text, tree)


def _reader_argument(node: exp.Expression) -> bool | None:
    """For num(x) and date(x): whether x is one header; None for other nodes."""
    if isinstance(node, exp.Anonymous) and str(node.name).lower() == "num":
        args = node.expressions
        return len(args) == 1 and isinstance(args[0], exp.Column)
    if isinstance(node, exp.Date | exp.TsOrDsToDate):
        return isinstance(node.this, exp.Column) and not node.expressions
    return None


def to_sql(
    expression: Expression,
    text_of: Callable[[str], str],
    num_of: Callable[[str], str],
    date_of: Callable[[str], str],
) -> str:
    """The expression as DuckDB SQL: headers, num(h) and date(h) replaced by the given SQL."""
    slots: dict[str, str] = {}

    def slot(sql: str) -> exp.Expression:
        name = f"__slot{len(slots)}__"
        slots[name] = sql
        return exp.column(name)

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and str(node.name).lower() == "num":
            return slot(num_of(node.expressions[0].name))
        if isinstance(node, exp.Date | exp.TsOrDsToDate) and isinstance(node.this, exp.Column):
            return slot(date_of(node.this.name))
        if isinstance(node, exp.Column):
            return slot(text_of(node.name))
        return node

    def no_in(node: exp.Expression) -> exp.Expression:  # x IN (a, b): no join (see validate)
        if isinstance(node, exp.In) and node.expressions:
            ors = [exp.EQ(this=node.this.copy(), expression=e.copy()) for e in node.expressions]
            return exp.paren(exp.or_(*ors))
        return node

    tree = expression.tree.copy().transform(no_in).transform(swap)
    sql = tree.sql(dialect="duckdb")
    for name, piece in slots.items():
        sql = sql.replace(name, f"({piece})")
    return f"({sql})"
