"""Numbers for people: each metric format rendered the way a COO reads it."""

from __future__ import annotations

import datetime as dt
import math
import os

CURRENCY = os.environ.get("NORTHSTAR_CURRENCY", "€")
STATUS_ICON = {
    "green": ":green[●]",
    "amber": ":orange[●]",
    "red": ":red[●]",
    None: ":gray[○]",
}  # markdown
STATUS_BADGE = {
    "green": ":green-badge[on target]",
    "amber": ":orange-badge[near target]",
    "red": ":red-badge[off target]",
}
STATUS_TEXT = {"green": "on target", "amber": "near target", "red": "off target", None: "no target"}
STATUS_COLOR = {"green": "#2e7d32", "amber": "#ef8f00", "red": "#c62828"}


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def value(v: float | None, fmt: str) -> str:
    """A metric value: 87.3%, 6m 19s, €12.40, +32, 5.4, 1,234."""
    if _missing(v):
        return "—"
    if fmt == "percent":
        return f"{v * 100:.1f}%"
    if fmt == "duration":
        return duration(v)
    if fmt == "money":
        return f"{'-' if v < 0 else ''}{CURRENCY}{abs(v):,.2f}"
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
        body = f"{abs(d) * 100:.1f} pts"
    elif fmt == "duration":
        body = duration(abs(d))
    elif fmt == "money":
        body = f"{CURRENCY}{abs(d):,.2f}"
    elif fmt in ("score", "integer"):
        body = f"{abs(d):,.0f}"
    else:
        body = f"{abs(d):,.1f}"
    if not any(c in "123456789" for c in body):  # rounds to nothing: no sign ("0.0 pts")
        return body
    return ("+" if d >= 0 else "-") + body


def axis_format(fmt: str) -> str:
    """A d3 format for chart axes and tooltips."""
    return {"percent": ".0%", "money": ",.2f", "integer": ",.0f", "score": "+.0f"}.get(fmt, ",.1f")


def period_label(start: dt.date, end: dt.date, grain: str) -> str:
    """'Week 45 · 2–8 Nov 2026', 'November 2026', 'Q4 2026'."""
    if grain == "week":
        week = start.isocalendar().week
        left = f"{start.day} {start:%b}" if start.month != end.month else f"{start.day}"
        return f"Week {week} · {left}–{end.day} {end:%b %Y}"
    if grain == "month":
        return f"{start:%B %Y}"
    if grain == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if grain == "year":
        return str(start.year)
    return f"{start:%d %b %Y}" if start == end else f"{start:%d %b %Y} – {end:%d %b %Y}"


def sample_note(n: int | None, min_sample: int) -> str | None:
    """'small sample: n=12 < 30' when a value rests on too few records."""
    if n is None or n >= min_sample:
        return None
    if n == 0:
        return "nothing measured yet"
    return f"small sample: n={n} < {min_sample}"
