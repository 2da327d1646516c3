"""Typed casts and row rules, as one SQL pass over a file's text values.

``check_file`` turns a file's rows into the temp table ``_chk``: the canonical
columns typed as in ``schema.SQL_TYPES``, the extra columns as text, and ``_k``,
the number of the first rule the row breaks (NULL for a good row), with the
raw row as JSON for the rows that break one. Rules are tried column by column
in schema order (required, then type, then range/allowed values), then the
row rules (surveys need a score; qty_damaged <= qty_shipped). ``_chk.rowid``
is the record's position in the file (DuckDB keeps insertion order).

Headers are matched to columns in connectors/columns.py; the rules that need
other rows follow in connectors/key_rules.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from connectors import cell_rules
from connectors.columns import find_header, resolve_columns
from connectors.mapped_columns import column_sql
from connectors.readers import Source, file_recency
from connectors.sources import Policy, TableSource
from metrics.clock import today
from metrics.schema import RECENCY_COLUMN, SQL_TYPES, Column, Table
from store.warehouse import quote_ident

RULES = (
    "missing_value",
    "missing_score",
    "bad_number",
    "bad_integer",
    "bad_date",
    "bad_timestamp",
    "bad_bool",
    "out_of_range",
    "not_allowed",
    "duplicate_key",
    "unknown_order_line",
    "second_portfolio",
    "malformed_row",
    "field_too_long",
    "implausible_date",
    "bad_timezone",
    "excel_serial_date",
    "superseded",
    "unknown_currency",
    "unknown_reference",
    "second_manager",  # a warning: the row is kept
)
_BAD_TYPE = {
    "num": "bad_number",
    "int": "bad_integer",
    "date": "bad_date",
    "ts": "bad_timestamp",
    "bool": "bad_bool",
}
FILTERED = 0  # _k of a row a where: filter removes (counted, neither loaded nor rejected)


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


def _bounds(col: Column, policy: Policy) -> tuple[dt.date, dt.date, str]:
    """The plausible window of a date column, and how to say it."""
    now = today()
    if col.when == "due":
        last = now + dt.timedelta(days=policy.due_within_days)
        return policy.earliest, last, f"today + {policy.due_within_days} days"
    last = now + dt.timedelta(days=policy.events_within_days)
    return (
        policy.earliest,
        last,
        f"today + {policy.events_within_days} day(s), it has already happened",
    )


def _range_message(col: Column) -> str:
    if col.min is not None and col.max is not None:
        return f"{col.name} must be between {col.min:g} and {col.max:g}"
    if col.min is not None:
        return f"{col.name} must be >= {col.min:g}"
    return f"{col.name} must be <= {col.max:g}"


def check_file(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    source: Source,
    mapping: TableSource | None,
    file: Path,
    *,
    persistent: bool = False,
    recency: dt.datetime | None = None,
) -> Checked:
    """Read, cast and check every row of the file into the table ``_chk``.

    ``persistent`` builds it in the database rather than as a temp table, so
    that it can become the canonical table itself (see ``upsert._upsert``).
    ``recency`` is the file's extract time (see ``readers.file_recency``): each
    row gets it in ``_extract_at``, unless the mapping names a column for it.

    ``_chk.rowid`` is the record's position in the file: DuckDB keeps insertion
    order through a plan made only of the scan and projections. The query must
    therefore stay join-free: no ``x IN (list)`` nor ``list_contains`` (the
    optimizer turns them into a MARK join, which reorders rows), hence the
    ``CASE x WHEN ...`` forms. ``plan_is_ordered`` checks it (a test runs it
    on every table, format and mapping).
    """
    columns, extra_headers = resolve_columns(table, source.headers, mapping, file, source=source)
    policy = mapping.policy if mapping else Policy()
    out_params: list = []
    k_params: list = []
    t_params: list = []
    v_params: list = []
    # Layer 1: the file's text values (and a workbook's number cells).
    s_alias = {h: f"s{j}" for j, h in enumerate(source.headers)}
    layer1 = ", ".join(
        [f"{source.text[h]} AS {s_alias[h]}" for h in source.headers]
        + [
            f"{source.numbers[h]} AS n{j}"
            for j, h in enumerate(source.headers)
            if h in source.numbers
        ]
    )
    # Layer 2: each column's text by its mapping (trimmed, empty as NULL, defaults);
    # layer 3: typed.
    cells, where = column_sql(con, table, source, mapping, columns, file, v_params)
    v_exprs, t_exprs = [], []
    for i, col in enumerate(table.columns):
        cell = cells[col.name]
        v = cell.text
        if col.default is not None:
            v = f"COALESCE({v}, {cell_rules.lit(col.default)})"
        v_exprs.append(f"{v} AS v{i}")
        if cell.value is not None:
            v_exprs.append(f"{cell.value} AS x{i}")
        h = columns[col.name]
        typed = cell_rules.typed(
            col,
            f"v{i}",
            mapping,
            t_params,
            rule=cell.rule,
            value=f"x{i}" if cell.value is not None else None,
            whole_native=h is not None and h in source.native,
            xlsx=source.xlsx,
        )
        t_exprs.append(f"{typed} AS t{i}")
    if where is not None:
        v_exprs.append(f"{where} AS _w")
    # Layer 4: the first rule broken.
    rules: list[Rule] = []
    whens: list[str] = []
    vals: list[str] = []

    def add(
        cond: str,
        rule: str,
        column: str | None,
        message: str,
        value: str | None,
        params: tuple = (),
    ) -> None:
        k = len(rules) + 1
        rules.append(Rule(k, rule, column, message))
        whens.append(f"WHEN {cond} THEN {k}")
        k_params.extend(params)
        vals.append(f"WHEN {k} THEN {value}" if value else "")

    if where is not None:  # a row the where: filter removes is counted, not checked
        whens.append(f"WHEN NOT _w THEN {FILTERED}")
    cap = policy.max_field_length
    for h, a in s_alias.items():  # first: a huge value is refused before anything reads it
        add(
            f"strlen({a}) > {cap}",
            "field_too_long",
            h,
            f"{h!r} holds more than {cap:,} bytes (sources.yaml max_field_length)",
            f"left({a}, 60) || '… (' || strlen({a}) || ' bytes)'",
        )
    idx = {c.name: i for i, c in enumerate(table.columns)}
    for i, col in enumerate(table.columns):
        if col.required:
            add(
                f"v{i} IS NULL",
                "missing_value",
                col.name,
                f"{col.name} is required but empty",
                None,
            )
        if col.type == "ts":
            add(
                f"v{i} IS NOT NULL AND t{i} IS NULL AND regexp_full_match(v{i}, '.*{cell_rules.ZONE}') "
                f"AND TRY_CAST(v{i} AS TIMESTAMP) IS NOT NULL",
                "bad_timezone",
                col.name,
                f"{col.name} has a time zone or offset that cannot be converted to "
                f"{policy.timezone} (use +05:00, Z, or a name such as Europe/Paris)",
                f"v{i}",
            )
        if col.type in ("date", "ts") and not source.xlsx:
            add(
                f"v{i} IS NOT NULL AND t{i} IS NULL AND regexp_full_match(v{i}, '[0-9]{{5}}(\\.[0-9]+)?')",
                "excel_serial_date",
                col.name,
                f"{col.name} is a number, probably an Excel serial date: export the column as "
                "dates (YYYY-MM-DD), or load the workbook itself",
                f"v{i}",
            )
        if col.type != "str":
            bad = f"t{i} IS NULL" + (
                f" OR t{i} < '0001-01-01'" if col.type in ("date", "ts") else ""
            )
            add(
                f"v{i} IS NOT NULL AND ({bad})",
                _BAD_TYPE[col.type],
                col.name,
                cell_rules.type_message(col, mapping, cells[col.name].rule),
                f"v{i}",
            )
        if col.when is not None:
            first, last, said = _bounds(col, policy)
            add(
                f"CAST(t{i} AS DATE) < ? OR CAST(t{i} AS DATE) > ?",
                "implausible_date",
                col.name,
                f"{col.name} must lie between {first} and {last} ({said}); "
                "bounds: sources.yaml plausible_dates",
                f"v{i}",
                (first, last),
            )
        conds = ([f"t{i} < {col.min!r}"] if col.min is not None else []) + (
            [f"t{i} > {col.max!r}"] if col.max is not None else []
        )
        if conds:
            add(" OR ".join(conds), "out_of_range", col.name, _range_message(col), f"v{i}")
        if col.allowed:
            allowed = " ".join(f"WHEN {cell_rules.lit(x)} THEN false" for x in col.allowed)
            add(
                f"(CASE t{i} {allowed} ELSE true END)",
                "not_allowed",
                col.name,
                f"{col.name} must be one of: {', '.join(col.allowed)}",
                f"v{i}",
            )
    if table.one_of:
        add(
            " AND ".join(f"t{idx[c]} IS NULL" for c in table.one_of),
            "missing_score",
            ",".join(table.one_of),
            f"at least one of {', '.join(table.one_of)} must have a value",
            None,
        )
    if table.name == "shipments":
        d, s = idx["qty_damaged"], idx["qty_shipped"]
        add(
            f"t{d} > t{s}",
            "out_of_range",
            "qty_damaged",
            "qty_damaged must be <= qty_shipped",
            f"v{d}",
        )
    k_expr = f"CASE {' '.join(whens)} END" if whens else "CAST(NULL AS INTEGER)"
    val_cases = " ".join(x for x in vals if x)
    val_expr = f"CASE _k {val_cases} END" if val_cases else "CAST(NULL AS VARCHAR)"
    raw = (
        "CAST(json_object("
        + ", ".join(f"{cell_rules.lit(h)}, {s_alias[h]}" for h in source.headers)
        + ") AS VARCHAR)"
    )
    extras = {f"e{j}": h for j, h in enumerate(extra_headers)}
    out = [
        f"CAST(t{i} AS {SQL_TYPES[c.type]}) AS {quote_ident(c.name)}"
        for i, c in enumerate(table.columns)
    ]
    out += [f"NULLIF(TRIM({s_alias[h]}), '') AS {a}" for a, h in extras.items()]
    out.append(
        _recency_expr(mapping, source, s_alias, recency or file_recency(file, mapping), out_params)
    )
    query = f"""
        SELECT {", ".join(out)}, _k,
               CASE WHEN _k > 0 THEN {raw} END AS _raw,
               CAST({val_expr} AS VARCHAR) AS _val
        FROM (SELECT *, {k_expr} AS _k
              FROM (SELECT *, {", ".join(t_exprs)}
                    FROM (SELECT *, {", ".join(v_exprs)}
                          FROM (SELECT {layer1} FROM {source.relation}))))
    """
    if mapping is not None and mapping.duplicates != "reject":
        rules.append(Rule(len(rules) + 1, "superseded", ",".join(table.key), _kept(mapping)))
    params = out_params + k_params + t_params + v_params + list(source.params)
    con.execute(f"CREATE OR REPLACE {'' if persistent else 'TEMP'} TABLE _chk AS {query}", params)
    return Checked(table, columns, extras, rules, query, params)


def _kept(mapping: TableSource) -> str:
    which = "first" if mapping.duplicates == "keep_first" else "last"
    return (
        f"superseded: a row of this file with the same key is kept (sources.yaml "
        f"duplicates: {mapping.duplicates}, the {which} one wins)"
    )


def _recency_expr(
    mapping: TableSource | None,
    source: Source,
    s_alias: dict[str, str],
    recency: dt.datetime,
    params: list,
) -> str:
    """Each row's extract time: the mapped column's date (when it has one), else the file's."""
    column = mapping.recency.column if mapping else None
    header = find_header(column, source.headers) if column else None
    if header is None:
        params.append(recency)
        return f"CAST(? AS TIMESTAMP) AS {RECENCY_COLUMN}"
    params += [mapping.recency.format, recency]
    return (
        f"COALESCE(CAST(TRY_STRPTIME(TRIM({s_alias[header]}), ?) AS TIMESTAMP), "
        f"CAST(? AS TIMESTAMP)) AS {RECENCY_COLUMN}"
    )


def plan_is_ordered(con: duckdb.DuckDBPyConnection, checked: Checked) -> bool:
    """True when the check query's plan has no join (so rowid keeps the file's order)."""
    plan = con.execute(f"EXPLAIN {checked.query}", checked.params).fetchall()
    return not any("Join" in row[1] or "JOIN" in row[1] for row in plan)
