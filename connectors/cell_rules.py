"""The SQL of how one cell is read (extracts.md, "How a cell is read"), for validate.check_file.

In order: trimmed; ``null_values`` become null; the column's ``pattern`` (first group; no
match is null), ``strip_zeros``, ``map``; ``duration``/``unit``; then the canonical type with
the source's ``decimal``, ``thousands``, ``negative``, ``date_format`` and ``timezone``.
Everything is SQL over the row's text: no Python per row. Without a rule, the SQL is the
plain one (``TRY_CAST``), so a mapping costs only what it uses.
"""

from __future__ import annotations

from connectors.sources import ColumnRule, Policy, TableSource
from metrics.schema import Column

_TRUE, _FALSE = ("true", "1", "yes", "y", "t"), ("false", "0", "no", "n", "f")
# A time zone or offset at the end of a timestamp: Z, +05:00, -08, CET, Europe/Paris.
ZONE = (
    r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)? ?(Z|[+-][0-9]{2}(:?[0-9]{2})?|[A-Za-z][A-Za-z_/+-]*)"
)
MAX_DATE_TEXT = 64  # longer text is not a date (and strptime on megabytes takes minutes)
_UNIT = {"ms": "0.001", "s": "1", "min": "60", "h": "3600"}
_DURATION = r"[0-9]+:[0-5]?[0-9]:[0-5]?[0-9]([.,][0-9]+)?"


def lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _re(s: str) -> str:
    return "".join("\\" + c if c in r".^$*+?()[]{}|\-" else c for c in s)


# --------------------------------------------------------------------------- text steps


def clean(raw: str, mapping: TableSource | None) -> str:
    """A header's cell as text: trimmed, empty and ``null_values`` as NULL."""
    v = f"NULLIF(TRIM({raw}), '')"
    nulls = mapping.null_values if mapping else ()
    if nulls:
        whens = " ".join(f"WHEN {lit(x.strip())} THEN NULL" for x in nulls)
        v = f"(CASE {v} {whens} ELSE {v} END)"
    return v


def column_text(rule: ColumnRule, cleaned: list[str]) -> str:
    """The column's text: each ``from`` candidate through pattern, strip_zeros and map; the
    first non-null wins."""
    out = [_steps(rule, c) for c in cleaned]
    return out[0] if len(out) == 1 else f"COALESCE({', '.join(out)})"


def _steps(rule: ColumnRule, v: str) -> str:
    if rule.pattern:
        v = f"NULLIF(regexp_extract({v}, {lit(rule.pattern)}, 1), '')"
    if rule.strip_zeros:  # "000120" -> "120", "0000" -> "0"
        v = f"regexp_replace({v}, '^0+([0-9])', '\\1')"
    if rule.map:
        pairs = dict(rule.map)
        star = "*" in pairs
        empty, other = pairs.pop("", None), pairs.pop("*", None)
        whens = " ".join(
            f"WHEN {lit(k)} THEN {'NULL' if x is None else lit(x)}" for k, x in pairs.items()
        )
        rest = ("NULL" if other is None else lit(other)) if star else v
        inner = f"(CASE {v} {whens} ELSE {rest} END)" if whens else rest
        v = f"(CASE WHEN {v} IS NULL THEN {'NULL' if empty is None else lit(empty)} ELSE {inner} END)"
    return v


# --------------------------------------------------------------------------- numbers


def number(v: str, mapping: TableSource | None) -> str:
    """``v`` as a DOUBLE by the source's decimal, thousands and negative rules (NULL if not)."""
    decimal = mapping.decimal if mapping else "."
    thousands = mapping.thousands if mapping else None
    if mapping is not None and mapping.negative == "trailing":  # "12,50-" is -12,50
        v = f"(CASE WHEN suffix({v}, '-') THEN '-' || rtrim(substr({v}, 1, strlen({v}) - 1)) ELSE {v} END)"
    if decimal == "." and thousands is None:
        x = f"TRY_CAST({v} AS DOUBLE)"
    else:
        # Without thousands, a decimal-comma source groups digits with '.' or a space.
        seps = [thousands] if thousands else [".", " "]
        d = _re(decimal)
        groups = "[" + "".join(_re(x) for x in seps) + "]"
        shape = f"[+-]?(([0-9]{{1,3}}({groups}[0-9]{{3}})+|[0-9]+)({d}[0-9]*)?|{d}[0-9]+)"
        simple = v if decimal == "." else f"replace({v}, {lit(decimal)}, '.')"
        plain = v
        for sep in seps:
            plain = f"replace({plain}, {lit(sep)}, '')"
        if decimal != ".":
            plain = f"replace({plain}, {lit(decimal)}, '.')"
        marks = seps + (["."] if decimal != "." and "." not in seps else [])
        grouped = " OR ".join(f"strpos({v}, {lit(sep)}) > 0" for sep in marks)
        # Most cells hold no separator: a plain cast; the others must group by three.
        x = (
            f"(CASE WHEN NOT ({grouped}) THEN TRY_CAST({simple} AS DOUBLE) "
            f"WHEN regexp_full_match({v}, {lit(shape)}) THEN TRY_CAST({plain} AS DOUBLE) END)"
        )
    return f"(CASE WHEN isfinite({x}) THEN {x} END)"


def seconds(v: str, rule: ColumnRule | None, mapping: TableSource | None) -> str | None:
    """A duration column in seconds (``duration: hh:mm:ss`` or ``unit``), or None."""
    if rule is None or not (rule.duration or rule.unit):
        return None
    if rule.unit:
        return f"({number(v, mapping)} * {_UNIT[rule.unit]})"
    parts = [f"TRY_CAST(replace(split_part({v}, ':', {i}), ',', '.') AS DOUBLE)" for i in (1, 2, 3)]
    return (
        f"(CASE WHEN regexp_full_match({v}, '{_DURATION}') "
        f"THEN {parts[0]} * 3600 + {parts[1]} * 60 + {parts[2]} END)"
    )


# --------------------------------------------------------------------------- dates


def _serial(v: str, sql_type: str) -> str:
    """An Excel serial day number (days since 1899-12-30, a fraction for the time of day)."""
    return (
        f"(TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(TRY_CAST({v} AS DOUBLE) * 86400e6)"
        f" AS BIGINT)))::{sql_type}"
    )


def when(
    col_type: str, v: str, mapping: TableSource | None, params: list, *, xlsx: bool = False
) -> str:
    """``v`` as a DATE or TIMESTAMP: the source's formats, ISO, offsets to the business zone."""
    sql_type = "DATE" if col_type == "date" else "TIMESTAMP"
    formats = list(mapping.date_formats) if mapping else []
    parsed = f"TRY_CAST({v} AS {sql_type})"
    if formats:  # literals, not parameters: this SQL may be repeated inside other SQL
        listed = lit(formats[0]) if len(formats) == 1 else "[" + ", ".join(map(lit, formats)) + "]"
        parsed = f"COALESCE(CAST(TRY_STRPTIME({v}, {listed}) AS {sql_type}), {parsed})"
    if col_type == "ts":
        business = lit(mapping.policy.timezone if mapping else Policy().timezone)
        zone = mapping.timezone if mapping else None
        if zone and lit(zone) != business:  # a time without a zone is in the source's zone
            parsed = (
                f"(CASE WHEN strpos({v}, ':') > 0 "
                f"THEN timezone({business}, timezone({lit(zone)}, {parsed})) ELSE {parsed} END)"
            )
        # an offset or zone is converted to the business time zone
        parsed = (
            f"(CASE WHEN regexp_full_match({v}, '.*{ZONE}') "
            f"THEN timezone({business}, TRY_CAST({v} AS TIMESTAMPTZ)) ELSE {parsed} END)"
        )
    if xlsx:  # a number in a date column of a workbook is a serial date
        parsed = (
            f"(CASE WHEN regexp_full_match({v}, '[0-9]{{1,6}}(\\.[0-9]+)?') "
            f"THEN {_serial(v, sql_type)} ELSE {parsed} END)"
        )
    # Text longer than any date is not one (and strptime on megabytes takes minutes).
    return f"(CASE WHEN strlen({v}) <= {MAX_DATE_TEXT} THEN {parsed} END)"


# --------------------------------------------------------------------------- the type


def typed(
    col: Column,
    v: str,
    mapping: TableSource | None,
    params: list,
    *,
    rule: ColumnRule | None = None,
    value: str | None = None,
    whole_native: bool = False,
    xlsx: bool = False,
) -> str:
    """A column's typed value from its text ``v``; ``value``, when given, is the cell's own
    typed value (a workbook's number cell, a non-text ``expr``), used where it is not NULL."""
    text = _from_text(col, v, mapping, params, rule=rule, whole_native=whole_native, xlsx=xlsx)
    if value is None:
        return text
    own = _from_value(col, value, rule)
    return own if text is None else f"COALESCE({own}, {text})"


def _from_value(col: Column, value: str, rule: ColumnRule | None) -> str:
    if col.type in ("num", "int") and rule is not None and rule.unit:
        value = f"({value} * {_UNIT[rule.unit]})"
    if col.type == "num":
        return f"(CASE WHEN isfinite(TRY_CAST({value} AS DOUBLE)) THEN TRY_CAST({value} AS DOUBLE) END)"
    if col.type == "int":
        x = f"TRY_CAST({value} AS DOUBLE)"
        return f"(CASE WHEN {x} = trunc({x}) THEN TRY_CAST({x} AS BIGINT) END)"
    if col.type == "date":
        return f"TRY_CAST({value} AS DATE)"
    if col.type == "ts":
        return f"TRY_CAST({value} AS TIMESTAMP)"
    if col.type == "bool":
        return f"TRY_CAST({value} AS BOOLEAN)"
    return f"CAST({value} AS VARCHAR)"


def _from_text(
    col: Column,
    v: str,
    mapping: TableSource | None,
    params: list,
    *,
    rule: ColumnRule | None,
    whole_native: bool,
    xlsx: bool,
) -> str:
    rules = mapping is not None and mapping.number_rules
    if col.type in ("num", "int"):
        secs = seconds(v, rule, mapping)
        if secs is not None:
            n = secs
        elif col.type == "int" and not rules:
            if whole_native:  # a number cell "4.0" from Parquet is a whole number
                return (
                    f"(CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+(\\.0*)?') "
                    f"THEN TRY_CAST(TRY_CAST({v} AS DOUBLE) AS BIGINT) END)"
                )
            return f"(CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+') THEN TRY_CAST({v} AS BIGINT) END)"
        else:
            n = number(v, mapping)
        if col.type == "num":
            return n
        return f"(CASE WHEN {n} = trunc({n}) THEN TRY_CAST({n} AS BIGINT) END)"
    if col.type == "bool":
        whens = " ".join(
            [f"WHEN {lit(x)} THEN true" for x in _TRUE]
            + [f"WHEN {lit(x)} THEN false" for x in _FALSE]
        )
        return f"(CASE lower({v}) {whens} END)"
    if col.type in ("date", "ts"):
        return when(col.type, v, mapping, params, xlsx=xlsx)
    return f"lower({v})" if col.allowed else v


def type_message(col: Column, mapping: TableSource | None, rule: ColumnRule | None) -> str:
    """What a cell of the column must look like, for a rejected one."""
    if rule is not None and rule.duration:
        return f"{col.name} is not a duration (expected {rule.duration}, e.g. 00:11:52)"
    if col.type in ("num", "int"):
        what = "a number" if col.type == "num" else "a whole number"
        rules = []
        if mapping is not None and mapping.number_rules:
            rules.append(f"decimal {mapping.decimal!r}")
            if mapping.thousands:
                rules.append(f"thousands {mapping.thousands!r}")
            elif mapping.decimal == ",":
                rules.append("digits grouped by '.' or ' '")
            if mapping.negative:
                rules.append("a trailing minus")
        return f"{col.name} is not {what}" + (f" ({', '.join(rules)})" if rules else "")
    if col.type == "bool":
        return f"{col.name} is not a yes/no value (true/false, 1/0, yes/no, y/n, t/f)"
    what = "date" if col.type == "date" else "timestamp"
    formats = " or ".join(mapping.date_formats) if mapping and mapping.date_formats else ""
    return f"{col.name} is not a {what} (expected {formats + ' or ' if formats else ''}YYYY-MM-DD)"
