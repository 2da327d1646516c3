"""The strict pydantic models of ``config/sources.yaml`` (what each key may hold).

connectors/sources.py reads the file, validates it with these models and resolves the
settings that may stand at several levels (top, table, source: the nearer winning).
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import zoneinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.sql_expr import parse_expression


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def check_zone(v: str | None) -> str | None:
    if v is None:
        return v
    try:
        zoneinfo.ZoneInfo(v)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {v!r}; use an IANA name such as 'UTC' or 'Europe/Berlin'"
        ) from None
    return v


def _check_regex(v: str, key: str, what: str) -> str:
    try:
        if re.compile(v).groups < 1:
            raise ValueError(f"{key} {v!r} needs a (group) around {what}")
    except re.error as exc:
        raise ValueError(f"{key} {v!r} is not a regular expression: {exc}") from None
    return v


def _check_sql(v: str | None) -> str | None:
    if v is not None:
        parse_expression(v)  # raises ValueError with what is not allowed
    return v


def _text(v: Any) -> Any:
    """A YAML scalar as text (``00000000`` may be read as a number, ``yes`` as true)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return v


class RecencyModel(Strict):
    file_name: str | None = None  # a regex whose first group is the extract date
    column: str | None = None  # or a column holding each row's extract date
    format: str = "%Y-%m-%d"

    @field_validator("file_name")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        return None if v is None else _check_regex(v, "file_name", "the date")


class PlausibleModel(Strict):
    earliest: dt.date = dt.date(2000, 1, 1)
    due_within_days: int = Field(366, ge=0)
    events_within_days: int = Field(1, ge=0)


class ColumnModel(Strict):
    """A column given as an object: where its text comes from and how it is read."""

    from_: str | list[str] | None = Field(None, alias="from")
    strip_zeros: bool = False
    pattern: str | None = None
    duration: Literal["hh:mm:ss"] | None = None
    unit: Literal["ms", "s", "min", "h"] | None = None
    map: dict[str, str | None] | None = None
    expr: str | None = None

    @field_validator("from_")
    @classmethod
    def _from(cls, v: str | list[str] | None) -> str | list[str] | None:
        if isinstance(v, list) and not v:
            raise ValueError("from needs at least one header")
        return v

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        return None if v is None else _check_regex(v, "pattern", "the part to keep")

    @field_validator("map", mode="before")
    @classmethod
    def _map(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {("" if k is None else str(_text(k))): _text(x) for k, x in v.items()}
        return v

    @field_validator("expr")
    @classmethod
    def _expr(cls, v: str | None) -> str | None:
        return _check_sql(v)


# Keys that may stand at the top level, per table or per source (the nearer winning).
INHERITED = ("max_reject_share", "references", "quote", "recency", "plausible_dates")


class SourceModel(Strict):
    """One source: a table's mapping, or one entry of a table's list of sources."""

    name: str | None = None
    table: str | None = None
    files: list[str] = []
    columns: dict[str, Any] = {}  # header text, or a ColumnModel (checked one by one)
    date_format: str | list[str] | None = None
    decimal: Literal[".", ","] = "."
    thousands: Literal[".", ",", " ", "'", "\u00a0", "\u202f"] | None = None
    negative: Literal["trailing"] | None = None
    sheet: str | None = None
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    quote: str | None = Field(None, max_length=1)
    encoding: str | None = None
    skip_rows: int = Field(0, ge=0)
    header_rows: int = Field(1, ge=1)
    skip_footer: int = Field(0, ge=0)
    null_values: list[str] = []
    timezone: str | None = None
    where: str | None = None
    duplicates: Literal["reject", "keep_first", "keep_last"] = "reject"
    max_reject_share: float | None = Field(None, ge=0, le=1)
    recency: RecencyModel | None = None
    references: Literal["reject", "warn"] | None = None
    plausible_dates: PlausibleModel | None = None

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v: str | list[str] | None) -> str | list[str] | None:
        for f in [v] if isinstance(v, str) else v or []:
            if "%" not in f:
                raise ValueError(f"date_format {f!r} has no %-directive; e.g. '%d.%m.%Y'")
        if isinstance(v, list) and not v:
            raise ValueError("date_format needs at least one format")
        return v

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(
                f"unknown encoding {v!r}; use a codec Python knows, e.g. utf-8, cp1252, "
                "latin-1, utf-16"
            ) from None
        return v

    @field_validator("null_values", mode="before")
    @classmethod
    def _nulls(cls, v: Any) -> Any:
        return [_text(x) for x in v] if isinstance(v, list) else v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        return check_zone(v)

    @field_validator("where")
    @classmethod
    def _where(cls, v: str | None) -> str | None:
        return _check_sql(v)


class SourcesModel(Strict):
    timezone: str = "UTC"
    plausible_dates: PlausibleModel = PlausibleModel()
    max_field_length: int = Field(32768, ge=1)
    file_time_limit: float = Field(600.0, gt=0)  # seconds per file
    max_reject_share: float = Field(0.05, ge=0, le=1)
    references: Literal["reject", "warn"] = "reject"
    quote: str | None = Field(None, max_length=1)
    recency: RecencyModel | None = None
    exclude: list[str] = []
    tables: dict[str, Any] = {}  # each a SourceModel, or a list of them (checked one by one)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return check_zone(v) or v


def fields_of(model: type[BaseModel]) -> list[str]:
    """A model's keys as written in YAML (aliases, e.g. ``from``)."""
    return [f.alias or name for name, f in model.model_fields.items()]


def model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel]:
    """The model that holds the last key of ``loc`` (a path inside ``model``)."""
    nested = {"recency": RecencyModel, "plausible_dates": PlausibleModel}
    for part in loc[:-1]:
        if part in nested:
            model = nested[part]
    return model
