"""``config/sources.yaml``: which files feed which table, how they are read and checked.

``load_sources(path)`` reads the file (duplicate keys are errors, with both lines);
``parse_sources(doc, base_dir)`` is pure and does all the validation, reporting
every problem at once with its file, line and key path. ``check_sources(path)``
returns the problems as plain lines for ``northstar check``.
"""

from __future__ import annotations

import datetime as dt
import glob
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.errors import ConnectorError
from metrics.errors import ConfigError
from metrics.located_yaml import LocatedYaml, did_you_mean, parse_located
from metrics.schema import TABLES

# An ISO date anywhere in a file's name is its extract date, unless sources.yaml says otherwise.
DEFAULT_RECENCY_PATTERN = r"(\d{4}-\d{2}-\d{2})"
ENCODINGS = ("utf-8", "utf-16", "latin-1")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _RecencyModel(_Strict):
    file_name: str | None = None  # a regex whose first group is the extract date
    column: str | None = None  # or a column holding each row's extract date
    format: str = "%Y-%m-%d"

    @field_validator("file_name")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            if re.compile(v).groups < 1:
                raise ValueError(f"file_name {v!r} needs a (group) around the date")
        except re.error as exc:
            raise ValueError(f"file_name {v!r} is not a regular expression: {exc}") from None
        return v


class _TableModel(_Strict):
    files: list[str] = []
    columns: dict[str, str] = {}
    date_format: str | None = None
    decimal: Literal[".", ","] = "."
    sheet: str | None = None
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    quote: str | None = Field(None, max_length=1)
    encoding: Literal["utf-8", "utf-16", "latin-1"] | None = None
    recency: _RecencyModel | None = None
    references: Literal["reject", "warn"] = "reject"

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v: str | None) -> str | None:
        if v is not None and "%" not in v:
            raise ValueError(f"date_format {v!r} has no %-directive; e.g. '%d.%m.%Y'")
        return v


class _PlausibleModel(_Strict):
    earliest: dt.date = dt.date(2000, 1, 1)
    due_within_days: int = Field(366, ge=0)
    events_within_days: int = Field(1, ge=0)


class _SourcesModel(_Strict):
    timezone: str = "UTC"
    plausible_dates: _PlausibleModel = _PlausibleModel()
    max_field_length: int = Field(32768, ge=1)
    file_time_limit: float = Field(600.0, gt=0)  # seconds per file
    tables: dict[str, _TableModel] = {}

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as 'UTC' or 'Europe/Berlin'"
            ) from None
        return v


@dataclass(frozen=True)
class Policy:
    """Rules for every file of a load: business time zone, plausible dates, limits."""

    timezone: str = "UTC"
    earliest: dt.date = dt.date(2000, 1, 1)
    due_within_days: int = 366
    events_within_days: int = 1
    max_field_length: int = 32768
    file_time_limit: float = 600.0


@dataclass(frozen=True)
class Recency:
    """Where a file's extract date comes from (else its modification time)."""

    file_name: str = DEFAULT_RECENCY_PATTERN
    column: str | None = None
    format: str = "%Y-%m-%d"


@dataclass(frozen=True)
class TableSource:
    """How the files of one table are read."""

    table: str
    files: tuple[str, ...] = ()  # globs, relative to the yaml's folder
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> header in file
    date_format: str | None = None
    decimal: str = "."
    sheet: str | None = None
    delimiter: str | None = None
    quote: str | None = None
    encoding: str | None = None
    recency: Recency = Recency()
    references: str = "reject"  # unknown_reference: reject the row, or keep it with a warning
    policy: Policy = Policy()


@dataclass(frozen=True)
class Sources:
    base_dir: Path
    tables: dict[str, TableSource] = field(default_factory=dict)
    path: Path | None = None
    policy: Policy = Policy()

    def matched_files(self) -> dict[Path, TableSource]:
        """Every file the ``files`` globs match now (resolved path -> its mapping)."""
        found: dict[Path, TableSource] = {}
        for ts in self.tables.values():
            for pattern in ts.files:
                for p in glob.glob(str(self.base_dir / pattern), recursive=True):
                    found.setdefault(Path(p).resolve(), ts)
        return found

    def for_table(self, table: str) -> TableSource:
        """A table's mapping for files matched by name (defaults when none is configured)."""
        ts = self.tables.get(table)
        return ts if ts is not None and not ts.files else TableSource(table, policy=self.policy)


def default_mapping(table: str) -> TableSource:
    return TableSource(table)


def _unknown_key(loc: tuple[Any, ...]) -> str:
    models = {1: _SourcesModel, 3: _TableModel}
    if len(loc) == 2 and loc[0] == "plausible_dates":
        allowed = list(_PlausibleModel.model_fields)
    elif len(loc) == 4 and loc[2] == "recency":
        allowed = list(_RecencyModel.model_fields)
    else:
        allowed = list(models.get(len(loc), _SourcesModel).model_fields)
    hint = did_you_mean(str(loc[-1]), allowed) or f"; expected one of: {', '.join(allowed)}"
    return f"unknown key {loc[-1]!r}{hint}"


def _problems(doc: LocatedYaml) -> tuple[list[str], _SourcesModel | None]:
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        return [f"{doc.source}: expected a mapping with a 'tables' key"], None
    problems: list[str] = []
    model = None
    try:
        model = _SourcesModel.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = _unknown_key(loc) if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{doc.where(loc)}: {msg.removeprefix('Value error, ')}")
    tables = data.get("tables") or {}
    for name, spec in tables.items() if isinstance(tables, dict) else ():
        if name not in TABLES:
            hint = did_you_mean(str(name), TABLES) or f"; expected one of: {', '.join(TABLES)}"
            problems.append(f"{doc.where(('tables', name))}: unknown table {name!r}{hint}")
            continue
        cols = spec.get("columns") if isinstance(spec, dict) else None
        names = TABLES[name].column_names
        for col in cols if isinstance(cols, dict) else {}:
            if col not in names:
                hint = did_you_mean(str(col), names) or f"; expected one of: {', '.join(names)}"
                problems.append(
                    f"{doc.where(('tables', name, 'columns', col))}: "
                    f"{col!r} is not a column of {name}{hint}"
                )
        recency = spec.get("recency") if isinstance(spec, dict) else None
        if isinstance(recency, dict) and recency.get("file_name") and recency.get("column"):
            problems.append(
                f"{doc.where(('tables', name, 'recency'))}: give either file_name "
                "or column, not both"
            )
    return problems, model


def _table_source(name: str, t: _TableModel, policy: Policy) -> TableSource:
    r = t.recency
    recency = (
        Recency()
        if r is None
        else Recency(
            r.file_name or (DEFAULT_RECENCY_PATTERN if r.column is None else ""), r.column, r.format
        )
    )
    return TableSource(
        name,
        tuple(t.files),
        dict(t.columns),
        t.date_format,
        t.decimal,
        t.sheet,
        t.delimiter,
        t.quote,
        t.encoding,
        recency,
        t.references,
        policy,
    )


def parse_sources(doc: LocatedYaml | Any, base_dir: Path) -> Sources:
    """Validate parsed YAML; raise ConnectorError listing every problem."""
    if not isinstance(doc, LocatedYaml):
        doc = LocatedYaml(doc, {}, "sources.yaml")
    problems, model = _problems(doc)
    if problems or model is None:
        raise ConnectorError("invalid sources mapping:\n  " + "\n  ".join(problems))
    p = model.plausible_dates
    policy = Policy(
        model.timezone,
        p.earliest,
        p.due_within_days,
        p.events_within_days,
        model.max_field_length,
        model.file_time_limit,
    )
    tables = {name: _table_source(name, t, policy) for name, t in model.tables.items()}
    return Sources(Path(base_dir).resolve(), tables, policy=policy)


def _read(path: Path) -> LocatedYaml:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConnectorError(
            f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc
    try:
        return parse_located(text, str(path))
    except ConfigError as exc:  # a syntax error or a key given twice, each with its line
        raise ConnectorError("\n".join(exc.problems)) from None


def load_sources(path: Path | str) -> Sources:
    """Read and validate a sources.yaml; globs resolve relative to its folder."""
    path = Path(path)
    sources = parse_sources(_read(path), path.parent)
    return Sources(sources.base_dir, sources.tables, path, sources.policy)


def check_sources(path: Path | str) -> list[str]:
    """Every problem of a sources.yaml as plain lines (empty when it is valid)."""
    try:
        doc = _read(Path(path))
    except ConnectorError as exc:
        return str(exc).splitlines()
    return _problems(doc)[0]
