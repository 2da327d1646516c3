"""Numbers for people: each metric format rendered the way a COO reads it."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import polars as pl

from metrics.query import label_missing, no_value_label  # noqa: F401 (re-exported for pages)
from metrics.spec import MetricBase, SimpleMetric
from present.csv_safe import frame_csv as csv_text  # noqa: F401 (re-exported for pages)

STATUS_ICON = {
    "green": ":green[●]",
    "amber": ":orange[●]",
    "red": ":red[●]",
    "small": ":gray[◌]",  # too few measured to judge against the target
    None: ":gray[○]",
}  # markdown
STATUS_BADGE = {
    "green": ":green-badge[on target]",
    "amber": ":orange-badge[near target]",
    "red": ":red-badge[off target]",
    "small": ":gray-badge[small sample]",
}
STATUS_TEXT = {
    "green": "on target",
    "amber": "near target",
    "red": "off target",
    "small": "small sample",
    None: "no target",
}
STATUS_COLOR = {"green": "#2e7d32", "amber": "#ef8f00", "red": "#c62828"}
# A status beside a value in a table cell, readable without its colour (the pack's and the
# portfolio scoreboard's marks); a small sample is never judged: it is marked ⚠ instead.
STATUS_MARK = {"green": "✓", "amber": "!", "red": "✕", "small": "⚠"}


DASH = "—"  # shown for a value that is not there
WHOLE_MONEY = "money_whole"  # a display format: money totals in whole currency units


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def display_format(m: MetricBase) -> str:
    """The format to show a metric's values in: a money total (a sum, such as revenue) in whole
    currency units, a money ratio (per order, per contact) with cents, others as configured."""
    if m.format == "money" and isinstance(m, SimpleMetric) and m.agg == "sum":
        return WHOLE_MONEY
    return m.format


def text(v: Any) -> str:
    """Any cell value as text: a dash for nothing (None, NaN, empty, the string 'None')."""
    if _missing(v) or (isinstance(v, str) and v.strip() in ("", "None", "null", "nan")):
        return DASH
    return str(v)


def dash_nulls(frame: pl.DataFrame) -> pl.DataFrame:
    """Empty text cells shown as a dash (tables otherwise print 'None')."""
    return frame.with_columns(
        pl.col(c).fill_null(DASH).replace({"": DASH, "None": DASH})
        for c, t in frame.schema.items()
        if t == pl.String
    )


_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=&^])")  # inline markup, links, lists, HTML


def escape_markdown(text: object) -> str:
    """Outside text (a data value, a URL parameter, an error message) shown literally inside a
    markdown element: no link, image, emphasis, list, heading, colour directive or HTML can come
    of it. Line breaks are flattened. Markdown escapes do not stop autolinks (the renderer links
    any 'https://', 'www.' or e-mail address in plain text), so an invisible word joiner
    (U+2060) breaks those patterns."""
    flat = " ".join(str(text).split())
    flat = flat.replace("://", ":\u2060//").replace("@", "\u2060@")
    flat = re.sub(r"(?i)\b(www)\.", "\\1\u2060.", flat)
    return _MARKUP.sub(r"\\\1", flat)


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 pair', '2 pairs', '1,204 entries' (``many`` for irregular plurals)."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def code_label(code: Any) -> str:
    """A raw code as words: 'where_is_my_order' -> 'Where is my order'; nothing -> a dash."""
    if _missing(code) or str(code).strip() == "":
        return DASH
    words = re.sub(r"[_\s]+", " ", str(code)).strip()
    return words[:1].upper() + words[1:]


def value(v: float | None, fmt: str) -> str:
    """A metric value: 87.3%, 6m 19s, €12.40, +32, 5.4, 1,234."""
    if _missing(v):
        return "—"
    if fmt == "percent":
        return f"{v * 100:.1f}%"
    if fmt == "duration":
        return duration(v)
    if fmt in ("money", WHOLE_MONEY):
        digits = _money_digits(v, fmt)
        return f"{_sign(v, digits, negative_only=True)}{money_sign()}{abs(v):,.{digits}f}"
    if fmt == "score":
        return f"{v:+.0f}"
    if fmt == "integer":
        return f"{v:,.0f}"
    return f"{v:,.1f}"


def duration(seconds: float) -> str:
    s = round(abs(seconds))
    sign = "-" if seconds < 0 else ""
    if s < 60:
        return f"{sign}{s}s"
    if s < 3600:
        return f"{sign}{s // 60}m {s % 60:02d}s"
    return f"{sign}{s // 3600}h {s % 3600 // 60:02d}m"


def delta(d: float | None, fmt: str) -> str | None:
    """A change, signed: +2.1 pts, -32s, +€1.20. None when there is nothing to compare."""
    if _missing(d):
        return None
    if fmt == "percent":
        return f"{_sign(d * 100, 1)}{abs(d) * 100:.1f} pts"
    if fmt == "duration":
        return _sign(d, 0) + duration(abs(d))
    if fmt in ("money", WHOLE_MONEY):
        digits = _money_digits(d, fmt)
        return f"{_sign(d, digits)}{money_sign()}{abs(d):,.{digits}f}"
    if fmt in ("score", "integer"):
        return f"{_sign(d, 0)}{abs(d):,.0f}"
    return f"{_sign(d, 1)}{abs(d):,.1f}"


def _money_digits(v: float, fmt: str) -> int:
    """Cents for amounts per order or contact (€12.40); whole units for totals (WHOLE_MONEY, or
    any amount of 1,000 or more: €200,769), where cents are noise."""
    return 0 if fmt == WHOLE_MONEY or abs(v) >= 1000 else 2


def _sign(x: float, digits: int, *, negative_only: bool = False) -> str:
    """The sign of ``x`` as it reads once rounded to ``digits``: none for zero, never '-0.0'."""
    if round(abs(x), digits) == 0:
        return ""
    if x < 0:
        return "-"
    return "" if negative_only else "+"


def axis_format(fmt: str) -> str:
    """A d3 format for chart axes and tooltips."""
    return {
        "percent": ".0%",
        "money": ",.2~f",
        WHOLE_MONEY: ",.0f",
        "integer": ",.0f",
        "score": "+.0f",
    }.get(fmt, ",.1f")


def period_label(start: dt.date, end: dt.date, grain: str) -> str:
    """'Week 45 · 2–8 Nov 2026', 'November 2026', 'Q4 2026'."""
    if grain == "week":
        week = start.isocalendar().week
        left = f"{start.day}"
        if start.year != end.year:
            left = f"{start.day} {start:%b %Y}"
        elif start.month != end.month:
            left = f"{start.day} {start:%b}"
        return f"Week {week} · {left}–{end.day} {end:%b %Y}"
    if grain == "month":
        return f"{start:%B %Y}"
    if grain == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if grain == "year":
        return str(start.year)
    return f"{start:%d %b %Y}" if start == end else f"{start:%d %b %Y} – {end:%d %b %Y}"


def period_caption(start: dt.date, grain: str) -> str:
    """A period named by its start, always with its year: 'week of 9 Nov 2026', 'Q4 2026'."""
    if grain in ("month", "quarter", "year"):
        return period_label(start, start, grain)
    return f"{grain} of {start.day} {start:%b %Y}"


def sample_note(n: int | None, min_sample: int) -> str | None:
    """'small sample: n=12 < 30' when a value rests on too few records."""
    if n is None or n >= min_sample:
        return None
    if n == 0:
        return "nothing measured yet"
    return f"small sample: n={n} < {min_sample}"


_CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹"}
DEFAULT_CURRENCY = "EUR"  # settings.reporting_currency when the catalogue names none
_reporting = {"code": DEFAULT_CURRENCY}  # the catalogue's reporting currency (use_currency)


def currency_symbol(code: str | None = None) -> str:
    """The sign money is written with for an ISO 4217 code (``settings.reporting_currency``):
    'EUR' -> '€', 'USD' -> '$'; another code as itself and a space ('CHF '); none -> the
    reporting currency's (``money_sign``)."""
    if not code:
        return money_sign()
    return _CURRENCY_SIGNS.get(code.upper(), f"{code.upper()} ")


def use_currency(code: str | None) -> None:
    """Write money in ``code`` from now on: the catalogue's ``settings.reporting_currency``, set
    wherever a catalogue is read to be shown (the app's ``ui.config``, the pack, the command
    line's tables), so tiles, tables, charts and the pack all take their sign from it."""
    _reporting["code"] = code or DEFAULT_CURRENCY


def money_sign() -> str:
    """The reporting currency's sign: '€' for EUR (the default), '$' for USD, 'CHF ' else."""
    return currency_symbol(_reporting["code"])
