"""``northstar sources suggest FILE``: a proposed sources.yaml mapping for one export file.

``suggest(path, table)`` sniffs the file (encoding, delimiter, title lines above the header,
extra header rows, footer lines, date and number formats, null markers) and guesses, for
each header, the canonical column of the table it most likely feeds; ``as_yaml`` prints the
proposal in the syntax of ``config/sources.yaml`` (docs: ``shared/spec/extracts.md``), with a
``check:`` comment on every guess that is not certain. Reading only: nothing is loaded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from connectors.errors import ConnectorError
from connectors.suggest_columns import (
    assign,
    column_values,
    guess_formats,
    guess_numbers,
    header_score,
    refine,
)
from connectors.suggest_sniff import (
    SAMPLE,
    SUFFIXES,
    Suggestion,
    sniff_parquet,
    sniff_text,
    sniff_xlsx,
)
from metrics.located_yaml import did_you_mean
from metrics.schema import TABLES

# Words in a file name that say which table it feeds.
_FILE_WORDS = {
    "orders": ("va05", "so_lines", "order", "auftr", "vbap", "vbak"),
    "shipments": ("likp", "lips", "deliver", "shipment", "liefer"),
    "calls": ("interaction", "conversation", "call", "ticket", "genesys", "zendesk"),
    "surveys": ("survey", "response", "qualtrics", "feedback", "nps"),
    "customers": ("account", "customer", "kunde", "crm"),
}


def unknown_table(table: str) -> str | None:
    """A plain message when ``table`` is not a canonical table, else None."""
    if table in TABLES:
        return None
    hint = did_you_mean(table, TABLES) or f"; expected one of: {', '.join(TABLES)}"
    return f"unknown table {table!r}{hint}"


def _table(path: Path, headers: list[str], table: str | None) -> tuple[str, str]:
    if table is not None:
        if problem := unknown_table(table):
            raise ConnectorError(problem)
        return table, "--table"
    name = path.name.lower()
    first = re.split(r"[^0-9a-z]+", name)[0]
    if first in TABLES:
        return first, "the file name"
    for t, words in _FILE_WORDS.items():
        if any(w in name for w in words):
            return t, "the file name"

    def fit(t: str) -> float:
        req = TABLES[t].required
        return sum(max((header_score(c, h, t)[0] for h in headers), default=0) for c in req) / len(
            req
        )

    best = max(TABLES, key=fit)
    if fit(best) == 0:
        raise ConnectorError(
            f"{path}: cannot tell which table this file feeds; pass --table ({', '.join(TABLES)})"
        )
    return best, "the columns"


def suggest(path: Path | str, table: str | None = None) -> Suggestion:
    """Sniff one export file and propose its mapping (nothing is loaded)."""
    path = Path(path)
    if table is not None and table not in TABLES:
        _table(path, [], table)  # the plain message for an unknown table
    if not path.is_file():
        raise ConnectorError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConnectorError(
            f"{path}: unsupported file type {suffix!r}; expected one of {', '.join(SUFFIXES)}"
        )
    if path.stat().st_size == 0:
        raise ConnectorError(f"{path}: empty file: nothing to suggest")
    if suffix == ".xlsx":
        s, rows = sniff_xlsx(path, table)
    elif suffix == ".parquet":
        s, rows = sniff_parquet(path, table)
    else:
        s, rows = sniff_text(path, table)
    s.table, s.table_source = _table(path, s.headers, table)
    values = column_values(s.headers, rows)
    kinds = guess_formats(s, values) if suffix != ".parquet" else {}
    if suffix != ".parquet":
        guess_numbers(s, values, kinds)
    s.guesses = assign(s, s.table)
    refine(s, values, kinds)
    n = min(len(rows), SAMPLE)
    for g in s.guesses:
        k = n - len(values.get(g.header, []))
        if g.column in TABLES[s.table].required and 0 < k < n and not g.expr:
            ident = g.header if re.fullmatch(r"[A-Za-z_]\w*", g.header) else json.dumps(g.header)
            s.hints.append(
                f"# where: {json.dumps(f'{ident} IS NOT NULL')}  # check: {k} of {n} rows have "
                f"no {g.column}; filter them (counted as filtered), or they are rejected"
            )
    if any(kinds.get(g.header) == "ts-local" for g in s.guesses) and not s.timezone:
        s.timezone_note = "check: the zone these times are in (they carry none)"
    return s


# --------------------------------------------------------------------------- YAML


def _q(v: object) -> str:
    """A YAML scalar: plain when safe, else double-quoted (JSON is valid YAML)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    text = str(v)
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", text) and text.lower() not in (
        "yes", "no", "true", "false", "on", "off", "null", "y", "n", "~",
    )  # fmt: skip
    return text if plain else json.dumps(text, ensure_ascii=False)


def _flow(d: dict[str, object]) -> str:
    parts = []
    for k, v in d.items():
        if isinstance(v, dict):
            v = _flow(v)  # type: ignore[arg-type]
        elif isinstance(v, list):
            v = "[" + ", ".join(_q(x) for x in v) + "]"
        else:
            v = _q(v)
        parts.append(f"{_q(k) if k else chr(34) * 2}: {v}")
    return "{" + ", ".join(parts) + "}"


def _glob(path: Path) -> str:
    name = re.sub(r"\d{4}-\d{2}-\d{2}|(?<!\d)20\d{6}(?!\d)", "*", path.name)
    return (path.parent / name).as_posix()


def as_yaml(s: Suggestion) -> str:
    """The proposal as a sources.yaml fragment, with comments on what to check."""
    out = [
        f"# Proposed by 'northstar sources suggest' for {s.path.as_posix()}",
        f"# table {s.table}: chosen from {s.table_source}"
        + ("" if s.table_source == "--table" else " (pass --table to choose another)"),
        "# Check every line marked 'check:', then paste under tables: in config/sources.yaml",
        "# (files: globs are relative to that file).",
        "tables:",
        f"  {s.table}:",
        f"    files: [{_q(_glob(s.path))}]",
    ]

    def opt(key: str, value: object, comment: str = "") -> None:
        text = f"    {key}: {value}"
        out.append(f"{text:<40} # {comment}" if comment else text)

    if s.sheet:
        opt("sheet", _q(s.sheet), "the sheet with the data")
    if s.encoding not in ("utf-8",):
        opt("encoding", s.encoding, s.encoding_note)
    if s.skip_rows:
        unit = "row" if s.xlsx else "line"
        opt("skip_rows", s.skip_rows, f"the header looks like {unit} {s.skip_rows + 1}")
    if s.header_rows > 1:
        opt("header_rows", s.header_rows, "the header is followed by more header rows")
    if s.skip_footer:
        opt("skip_footer", s.skip_footer, "totals or footer lines after the data")
    if s.delimiter and s.delimiter != ",":
        opt("delimiter", json.dumps(s.delimiter))
    if s.decimal:
        opt("decimal", json.dumps(s.decimal), "numbers such as 1.234,56")
    if s.thousands:
        opt("thousands", json.dumps(s.thousands))
    if s.negative:
        opt("negative", s.negative, "values such as 12,50-")
    if s.null_values:
        opt("null_values", "[" + ", ".join(json.dumps(v) for v in s.null_values) + "]", "no date")
    if s.date_formats:
        fmts = s.date_formats
        value = (
            json.dumps(fmts[0]) if len(fmts) == 1 else "[" + ", ".join(map(json.dumps, fmts)) + "]"
        )
        opt("date_format", value, "formats seen in the file")
    if s.timezone:
        opt("timezone", s.timezone, s.timezone_note)
    elif s.timezone_note:
        out.append(f"    # timezone: UTC                    # {s.timezone_note}")
    if s.where:
        opt("where", json.dumps(s.where), "preview and test responses are not customers")
    out.extend("    " + h for h in s.hints)
    out.append("    columns:")
    for g in s.guesses:
        spec: dict[str, object] = {}
        if g.expr:
            value = _flow({"expr": g.expr})
        elif g.options:
            spec = {"from": g.header, **g.options}  # options may name from: themselves
            value = _flow(spec)
        else:
            value = _q(g.header)
        notes = [n for n in (g.note, "" if g.certain else f"check: {g.why}") if n]
        text = f"      {g.column}: {value}"
        out.append(f"{text:<40} # {'; '.join(notes)}" if notes else text)
    for col in s.missing:
        out.append(f'      # {col}: "?"                      # required: no header looked like it')
    if s.unmapped:
        out.append("    # not mapped (kept as extra columns): " + ", ".join(s.unmapped))
    return "\n".join(out) + "\n"
