"""The resolved shape of a sources.yaml source: how one file is read (no parsing here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# An ISO date anywhere in a file's name is its extract date, unless sources.yaml says otherwise.
DEFAULT_RECENCY_PATTERN = r"(\d{4}-\d{2}-\d{2})"
DEFAULT_MAX_REJECT_SHARE = 0.05


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
class ColumnRule:
    """How one canonical column is read (sources.yaml ``columns.<name>`` as an object)."""

    headers: tuple[str, ...] = ()  # ``from``: the first non-empty one wins
    strip_zeros: bool = False
    pattern: str | None = None  # a regex; its first group is kept, no match is null
    duration: str | None = None  # "hh:mm:ss" -> seconds
    unit: str | None = None  # ms, s, min, h -> seconds
    map: tuple[tuple[str, str | None], ...] = ()  # exact text -> value; "" empty, "*" any other
    expr: str | None = None  # one SQL expression over the headers

    @property
    def plain(self) -> bool:
        """Just a header (no step of its own)."""
        return (
            len(self.headers) == 1
            and not (self.strip_zeros or self.pattern or self.duration or self.unit)
            and not self.map
            and self.expr is None
        )


@dataclass(frozen=True)
class TableSource:
    """How the files of one source of a table are read."""

    table: str
    files: tuple[str, ...] = ()  # globs, relative to the yaml's folder
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> (first) header in file
    date_format: str | tuple[str, ...] | None = None  # one format or several, tried in order
    decimal: str = "."
    sheet: str | None = None
    delimiter: str | None = None
    quote: str | None = None
    encoding: str | None = None
    recency: Recency = Recency()
    references: str = "reject"  # unknown_reference: reject the row, or keep it with a warning
    policy: Policy = Policy()
    name: str = ""  # the source's name in messages and the load summary (default: the table)
    rules: dict[str, ColumnRule] = field(default_factory=dict)  # canonical -> how it is read
    thousands: str | None = None
    negative: str | None = None  # "trailing": "12,50-" is -12.5
    skip_rows: int = 0  # physical lines (sheet rows) before the header
    header_rows: int = 1  # records of the header: the first names the columns
    skip_footer: int = 0  # physical lines (sheet rows) after the data
    null_values: tuple[str, ...] = ()
    timezone: str | None = None  # the zone of this source's timestamps without one
    where: str | None = None  # rows kept; the others are counted as filtered
    duplicates: str = "reject"  # reject | keep_first | keep_last
    max_reject_share: float = DEFAULT_MAX_REJECT_SHARE

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.table)

    @property
    def date_formats(self) -> tuple[str, ...]:
        f = self.date_format
        return () if f is None else (f,) if isinstance(f, str) else tuple(f)

    @property
    def number_rules(self) -> bool:
        """Numbers are not read as plain ``1234.5``."""
        return self.decimal != "." or self.thousands is not None or self.negative is not None
