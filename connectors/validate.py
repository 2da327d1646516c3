"""Typed casts and row rules, as one SQL pass over a file's text values.

``check_file`` turns a file's rows into the temp table ``_chk``: the canonical
columns typed as in ``schema.SQL_TYPES``, the extra columns as text, and ``_k``,
the number of the first rule the row breaks (NULL for a good row), with the
raw row as JSON for the rows that break one. Rules are tried column by column
in schema order (required, then type, then range/allowed values), then the
row rules (surveys need a score; qty_damaged <= qty_shipped). ``_chk.rowid``
is the record's position in the file (DuckDB keeps insertion order).

``key_rules`` then adds the rules that need other rows, into ``_kr``:
duplicate_key (within the file, the earlier row wins), second_portfolio
(customers, within one load) and unknown_order_line (shipments).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from connectors.errors import ConnectorError
from connectors.readers import Source, quote_ident
from connectors.schema import SQL_TYPES, Column, Table
from connectors.sources import TableSource

RULES = (
    "missing_value", "missing_score", "bad_number", "bad_integer", "bad_date", "bad_timestamp",
    "bad_bool", "out_of_range", "not_allowed", "duplicate_key", "unknown_order_line",
    "second_portfolio", "malformed_row",
)
_BAD_TYPE = {"num": "bad_number", "int": "bad_integer", "date": "bad_date", "ts": "bad_timestamp",
             "bool": "bad_bool"}
_TRUE, _FALSE = ("true", "1", "yes", "y", "t"), ("false", "0", "no", "n", "f")
# Rule numbers of the rules that need other rows (see key_rules).
K_DUPLICATE, K_PORTFOLIO, K_UNKNOWN_LINE = 1001, 1002, 1003


@dataclass(frozen=True)
class Rule:
    k: int
    rule: str
    column: str | None
    message: str


@dataclass(frozen=True)
class Checked:
    """What check_file built: ``_chk`` and how its columns came from the file."""

    table: Table
    columns: dict[str, str | None]  # canonical -> header in the file (None: absent)
    extras: dict[str, str]  # alias in _chk -> header in the file
    rules: list[Rule] = field(default_factory=list)
    query: str = ""  # the check query and its parameters
    params: list = field(default_factory=list)


def _norm(s: str) -> str:
    return re.sub(r"[^0-9a-z]", "", s.lower())


def _closest(name: str, headers: list[str]) -> str | None:
    by_norm = {_norm(h): h for h in headers}
    hit = difflib.get_close_matches(_norm(name), list(by_norm), n=1, cutoff=0.4)
    return by_norm[hit[0]] if hit else None


def _find(header: str, headers: list[str]) -> str | None:
    want = header.strip()
    exact = [h for h in headers if h.strip() == want]
    if exact:
        return exact[0]
    folded = [h for h in headers if h.strip().lower() == want.lower()]
    return folded[0] if folded else None


def resolve_columns(table: Table, headers: list[str], mapping: TableSource | None,
                    file: Path) -> tuple[dict[str, str | None], list[str]]:
    """Canonical column -> header, and the extra headers; refuse a file lacking a required column."""
    mapped = mapping.columns if mapping else {}
    columns: dict[str, str | None] = {}
    for col in table.column_names:
        found = _find(mapped[col], headers) if col in mapped else None
        columns[col] = found or _find(col, headers)
    missing = [c for c in table.required if columns[c] is None]
    if missing:
        used = set(columns.values())
        free = [h for h in headers if h not in used]
        hints = []
        for c in missing:
            close = _closest(mapped.get(c, c), free)
            hints.append(f"{c} is missing; closest header: {close!r}" if close
                         else f"{c} is missing; no similar header")
        example = ", ".join(f'{c}: "{_closest(c, free) or "Header in file"}"' for c in missing)
        raise ConnectorError(
            f"{file}: refused: {table.name} needs column(s) {', '.join(missing)} which the file lacks.\n"
            f"  columns found: {', '.join(map(repr, headers)) or '(none)'}\n  "
            + "\n  ".join(hints)
            + f"\n  map them in sources.yaml: tables: {{{table.name}: {{columns: {{{example}}}}}}}"
        )
    canon = {c.lower() for c in table.column_names}
    used = {h for h in columns.values() if h is not None}
    extras = [h for h in headers if h not in used and h.strip() and h.strip().lower() not in canon]
    return columns, extras


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _typed(col: Column, v: str, native: bool, mapping: TableSource | None, params: list) -> str:
    fmt = mapping.date_format if mapping else None
    comma = mapping is not None and mapping.decimal == "," and not native
    clean = f"replace(replace(replace({v}, '.', ''), ' ', ''), ',', '.')" if comma else v
    if col.type == "num":
        return f"(CASE WHEN isfinite(TRY_CAST({clean} AS DOUBLE)) THEN TRY_CAST({clean} AS DOUBLE) END)"
    if col.type == "int":  # "4.5" is not a whole number; a number cell "4.0" from Excel/Parquet is
        if native:
            return (f"(CASE WHEN regexp_full_match({clean}, '[+-]?[0-9]+(\\.0*)?') "
                    f"THEN TRY_CAST(TRY_CAST({clean} AS DOUBLE) AS BIGINT) END)")
        return f"(CASE WHEN regexp_full_match({clean}, '[+-]?[0-9]+') THEN TRY_CAST({clean} AS BIGINT) END)"
    if col.type == "bool":
        whens = " ".join([f"WHEN {_lit(x)} THEN true" for x in _TRUE]
                         + [f"WHEN {_lit(x)} THEN false" for x in _FALSE])
        return f"(CASE lower({v}) {whens} END)"
    if col.type in ("date", "ts"):
        sql_type = "DATE" if col.type == "date" else "TIMESTAMP"
        iso = f"TRY_CAST({v} AS {sql_type})"
        if fmt:
            params.append(fmt)
            return f"COALESCE(CAST(TRY_STRPTIME({v}, ?) AS {sql_type}), {iso})"
        return iso
    return f"lower({v})" if col.allowed else v


def _range_message(col: Column) -> str:
    if col.min is not None and col.max is not None:
        return f"{col.name} must be between {col.min:g} and {col.max:g}"
    if col.min is not None:
        return f"{col.name} must be >= {col.min:g}"
    return f"{col.name} must be <= {col.max:g}"


def _type_message(col: Column, mapping: TableSource | None) -> str:
    fmt = mapping.date_format if mapping else None
    if col.type == "num":
        comma = mapping is not None and mapping.decimal == ","
        return f"{col.name} is not a number" + (" (decimal comma expected)" if comma else "")
    if col.type == "int":
        return f"{col.name} is not a whole number"
    if col.type == "bool":
        return f"{col.name} is not a yes/no value (true/false, 1/0, yes/no, y/n, t/f)"
    what = "date" if col.type == "date" else "timestamp"
    return f"{col.name} is not a {what} (expected {fmt + ' or ' if fmt else ''}YYYY-MM-DD)"


def check_file(con: duckdb.DuckDBPyConnection, table: Table, source: Source,
               mapping: TableSource | None, file: Path, *, persistent: bool = False) -> Checked:
    """Read, cast and check every row of the file into the table ``_chk``.

    ``persistent`` builds it in the database rather than as a temp table, so
    that it can become the canonical table itself (see ``load._upsert``).

    ``_chk.rowid`` is the record's position in the file: DuckDB keeps insertion
    order through a plan made only of the scan and projections. The query must
    therefore stay join-free: no ``x IN (list)`` nor ``list_contains`` (the
    optimizer turns them into a MARK join, which reorders rows), hence the
    ``CASE x WHEN ...`` forms. ``plan_is_ordered`` checks it (a test runs it
    on every table, format and mapping).
    """
    columns, extra_headers = resolve_columns(table, source.headers, mapping, file)
    params: list = []
    # Layer 1: the file's text values.
    s_alias = {h: f"s{j}" for j, h in enumerate(source.headers)}
    layer1 = ", ".join(f"{source.text[h]} AS {s_alias[h]}" for h in source.headers)
    # Layer 2: trimmed, empty as NULL, defaults; layer 3: typed.
    v_exprs, t_exprs = [], []
    for i, col in enumerate(table.columns):
        h = columns[col.name]
        v = f"NULLIF(TRIM({s_alias[h]}), '')" if h is not None else "CAST(NULL AS VARCHAR)"
        if col.default is not None:
            v = f"COALESCE({v}, {_lit(col.default)})"
        v_exprs.append(f"{v} AS v{i}")
        t_exprs.append(f"{_typed(col, f'v{i}', h in source.native, mapping, params)} AS t{i}")
    # Layer 4: the first rule broken.
    rules: list[Rule] = []
    whens: list[str] = []

    def add(cond: str, rule: str, column: str | None, message: str, value: str | None) -> None:
        k = len(rules) + 1
        rules.append(Rule(k, rule, column, message))
        whens.append(f"WHEN {cond} THEN {k}")
        vals.append(f"WHEN {k} THEN {value}" if value else "")

    vals: list[str] = []
    idx = {c.name: i for i, c in enumerate(table.columns)}
    for i, col in enumerate(table.columns):
        if col.required:
            add(f"v{i} IS NULL", "missing_value", col.name, f"{col.name} is required but empty", None)
        if col.type != "str":
            add(f"v{i} IS NOT NULL AND t{i} IS NULL", _BAD_TYPE[col.type], col.name,
                _type_message(col, mapping), f"v{i}")
        conds = ([f"t{i} < {col.min!r}"] if col.min is not None else []) + (
            [f"t{i} > {col.max!r}"] if col.max is not None else [])
        if conds:
            add(" OR ".join(conds), "out_of_range", col.name, _range_message(col), f"v{i}")
        if col.allowed:
            allowed = " ".join(f"WHEN {_lit(x)} THEN false" for x in col.allowed)
            add(f"(CASE t{i} {allowed} ELSE true END)", "not_allowed", col.name,
                f"{col.name} must be one of: {', '.join(col.allowed)}", f"v{i}")
    if table.one_of:
        add(" AND ".join(f"t{idx[c]} IS NULL" for c in table.one_of), "missing_score",
            ",".join(table.one_of), f"at least one of {', '.join(table.one_of)} must have a value", None)
    if table.name == "shipments":
        d, s = idx["qty_damaged"], idx["qty_shipped"]
        add(f"t{d} > t{s}", "out_of_range", "qty_damaged", "qty_damaged must be <= qty_shipped", f"v{d}")
    k_expr = f"CASE {' '.join(whens)} END" if whens else "CAST(NULL AS INTEGER)"
    val_cases = " ".join(x for x in vals if x)
    val_expr = f"CASE _k {val_cases} END" if val_cases else "CAST(NULL AS VARCHAR)"
    raw = "CAST(json_object(" + ", ".join(f"{_lit(h)}, {s_alias[h]}" for h in source.headers) + ") AS VARCHAR)"
    extras = {f"e{j}": h for j, h in enumerate(extra_headers)}
    out = [f"CAST(t{i} AS {SQL_TYPES[c.type]}) AS {quote_ident(c.name)}" for i, c in enumerate(table.columns)]
    out += [f"NULLIF(TRIM({s_alias[h]}), '') AS {a}" for a, h in extras.items()]
    query = f"""
        SELECT {', '.join(out)}, _k,
               CASE WHEN _k IS NOT NULL THEN {raw} END AS _raw,
               CAST({val_expr} AS VARCHAR) AS _val
        FROM (SELECT *, {k_expr} AS _k
              FROM (SELECT *, {', '.join(t_exprs)}
                    FROM (SELECT *, {', '.join(v_exprs)}
                          FROM (SELECT {layer1} FROM {source.relation}))))
    """
    params += list(source.params)
    con.execute(f"CREATE OR REPLACE {'' if persistent else 'TEMP'} TABLE _chk AS {query}", params)
    return Checked(table, columns, extras, rules, query, params)


def plan_is_ordered(con: duckdb.DuckDBPyConnection, checked: Checked) -> bool:
    """True when the check query's plan has no join (so rowid keeps the file's order)."""
    plan = con.execute(f"EXPLAIN {checked.query}", checked.params).fetchall()
    return not any("Join" in row[1] or "JOIN" in row[1] for row in plan)


def key_rules(con: duckdb.DuckDBPyConnection, checked: Checked) -> None:
    """Rules that need other rows, into temp table ``_kr(rid, k, val)``; first rule wins.

    A later row of the file with an earlier row's key is a duplicate_key, except
    for customers, where it is a second_portfolio when its portfolio differs.
    Duplicates are found by hashing the key first (cheap on millions of rows),
    then compared exactly among the few candidates.
    """
    table = checked.table
    keys = [quote_ident(k) for k in table.key]
    key_list = ", ".join(keys)
    portfolio = table.name == "customers"
    first_portfolio = ("first_value(portfolio) OVER (PARTITION BY customer_id ORDER BY rowid)"
                       if portfolio else "NULL")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _kr AS
        WITH dup_h AS (SELECT hash({key_list}) AS h FROM _chk WHERE _k IS NULL GROUP BY 1 HAVING count(*) > 1),
             c AS (SELECT rowid AS rid, {key_list}, {'portfolio' if portfolio else 'NULL AS portfolio'},
                          row_number() OVER (PARTITION BY {key_list} ORDER BY rowid) AS n,
                          {first_portfolio} AS first_portfolio
                   FROM _chk WHERE _k IS NULL AND hash({key_list}) IN (SELECT h FROM dup_h))
        SELECT rid,
               CASE WHEN {'portfolio IS DISTINCT FROM first_portfolio' if portfolio else 'false'}
                    THEN {K_PORTFOLIO} ELSE {K_DUPLICATE} END AS k,
               CASE WHEN {'portfolio IS DISTINCT FROM first_portfolio' if portfolio else 'false'}
                    THEN portfolio ELSE concat_ws(',', {key_list}) END AS val
        FROM c WHERE n > 1
    """)
    if portfolio:  # against customers loaded from earlier files of this load
        con.execute("""
            INSERT INTO _kr
            SELECT c.rowid, ?, c.portfolio FROM _chk c JOIN _load_portfolio p USING (customer_id)
            WHERE c._k IS NULL AND c.portfolio IS DISTINCT FROM p.portfolio
              AND c.rowid NOT IN (SELECT rid FROM _kr)
        """, [K_PORTFOLIO])
    if table.name == "shipments":
        con.execute("""
            INSERT INTO _kr
            SELECT c.rowid, ?, concat_ws(',', c.order_id, c.line_id) FROM _chk c
            WHERE c._k IS NULL AND c.rowid NOT IN (SELECT rid FROM _kr)
              AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = c.order_id AND o.line_id = c.line_id)
        """, [K_UNKNOWN_LINE])


def key_rule_list(table: Table) -> list[Rule]:
    keys = ", ".join(table.key)
    return [
        Rule(K_DUPLICATE, "duplicate_key", ",".join(table.key),
             f"duplicate key ({keys}): an earlier row of this file has the same key"),
        Rule(K_PORTFOLIO, "second_portfolio", "portfolio",
             "customer_id already has another portfolio in this load (one owner per customer)"),
        Rule(K_UNKNOWN_LINE, "unknown_order_line", "order_id,line_id",
             "no order line with this (order_id, line_id) in the warehouse or this load"),
    ]
