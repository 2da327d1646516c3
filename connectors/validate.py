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

from connectors.columns import find_header, resolve_columns
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
_TRUE, _FALSE = ("true", "1", "yes", "y", "t"), ("false", "0", "no", "n", "f")
# A time zone or offset at the end of a timestamp: Z, +05:00, -08, CET, Europe/Paris.
_ZONE = (
    r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)? ?(Z|[+-][0-9]{2}(:?[0-9]{2})?|[A-Za-z][A-Za-z_/+-]*)"
)
_MAX_DATE_TEXT = 64  # longer text is not a date (and strptime on megabytes takes minutes)


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


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _serial(v: str, sql_type: str) -> str:
    """An Excel serial day number (days since 1899-12-30, a fraction for the time of day)."""
    return (
        f"(TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(TRY_CAST({v} AS DOUBLE) * 86400e6)"
        f" AS BIGINT)))::{sql_type}"
    )


def _typed(col: Column, v: str, source: Source, mapping: TableSource | None, params: list) -> str:
    native = source.native
    fmt = mapping.date_format if mapping else None
    comma = mapping is not None and mapping.decimal == "," and not native
    clean = f"replace(replace(replace({v}, '.', ''), ' ', ''), ',', '.')" if comma else v
    if col.type == "num":
        return f"(CASE WHEN isfinite(TRY_CAST({clean} AS DOUBLE)) THEN TRY_CAST({clean} AS DOUBLE) END)"
    if col.type == "int":  # "4.5" is not a whole number; a number cell "4.0" from Excel/Parquet is
        if native:
            return (
                f"(CASE WHEN regexp_full_match({clean}, '[+-]?[0-9]+(\\.0*)?') "
                f"THEN TRY_CAST(TRY_CAST({clean} AS DOUBLE) AS BIGINT) END)"
            )
        return f"(CASE WHEN regexp_full_match({clean}, '[+-]?[0-9]+') THEN TRY_CAST({clean} AS BIGINT) END)"
    if col.type == "bool":
        whens = " ".join(
            [f"WHEN {_lit(x)} THEN true" for x in _TRUE]
            + [f"WHEN {_lit(x)} THEN false" for x in _FALSE]
        )
        return f"(CASE lower({v}) {whens} END)"
    if col.type in ("date", "ts"):
        sql_type = "DATE" if col.type == "date" else "TIMESTAMP"
        parsed = f"TRY_CAST({v} AS {sql_type})"
        if col.type == "ts":  # an offset or zone is converted to the business time zone
            params.append(mapping.policy.timezone if mapping else Policy().timezone)
            parsed = (
                f"(CASE WHEN regexp_full_match({v}, '.*{_ZONE}') "
                f"THEN timezone(?, TRY_CAST({v} AS TIMESTAMPTZ)) ELSE {parsed} END)"
            )
        if fmt:
            params.append(fmt)
            parsed = f"COALESCE(CAST(TRY_STRPTIME({v}, ?) AS {sql_type}), {parsed})"
        if source.xlsx:  # a number in a date column of a workbook is a serial date
            parsed = (
                f"(CASE WHEN regexp_full_match({v}, '[0-9]{{1,6}}(\\.[0-9]+)?') "
                f"THEN {_serial(v, sql_type)} ELSE {parsed} END)"
            )
        # Text longer than any date is not one (and strptime on megabytes takes minutes).
        return f"(CASE WHEN strlen({v}) <= {_MAX_DATE_TEXT} THEN {parsed} END)"
    return f"lower({v})" if col.allowed else v


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
        t_exprs.append(f"{_typed(col, f'v{i}', source, mapping, t_params)} AS t{i}")
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
                f"v{i} IS NOT NULL AND t{i} IS NULL AND regexp_full_match(v{i}, '.*{_ZONE}') "
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
                _type_message(col, mapping),
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
            allowed = " ".join(f"WHEN {_lit(x)} THEN false" for x in col.allowed)
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
        + ", ".join(f"{_lit(h)}, {s_alias[h]}" for h in source.headers)
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
               CASE WHEN _k IS NOT NULL THEN {raw} END AS _raw,
               CAST({val_expr} AS VARCHAR) AS _val
        FROM (SELECT *, {k_expr} AS _k
              FROM (SELECT *, {", ".join(t_exprs)}
                    FROM (SELECT *, {", ".join(v_exprs)}
                          FROM (SELECT {layer1} FROM {source.relation}))))
    """
    params = out_params + k_params + t_params + list(source.params)
    con.execute(f"CREATE OR REPLACE {'' if persistent else 'TEMP'} TABLE _chk AS {query}", params)
    return Checked(table, columns, extras, rules, query, params)


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
