"""The S&OP wall screen: its URL settings and tiles drawn for a TV (its numbers:
``ui.wall_board``).

The wall is read from across a room: big type, light on dark, no widgets. Its
tiles are plain HTML (``st.html``, no script) whose every outside value is
escaped; their sizes are in ``--u``, one hundredth of the height of the
largest 16:9 box the screen holds, so the same wall fills a 1366x768 screen and
a 3840x2160 one. Its chart (``present.wall_chart``) is scaled to its column by CSS.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Any

import streamlit as st

from metrics import periods
from metrics.catalog import Catalog
from metrics.causes import read_causes
from metrics.review_model import top_causes
from present import format as fmt
from present import wall_chart
from ui.wall_board import (
    MULTIPLES,
    Board,
    freshness_text,
    measured_row,
    week_row,
)

REFRESH = (300, 30, 3600)  # seconds between re-draws: default, min, max
RELOAD_HOURS = (6.0, 0.5, 72.0)  # hours between full page reloads: default, min, max
SHORT = {
    "otif": "OTIF",
    "on_time": "On time",
    "in_full": "In full",
    "otif_line": "OTIF lines",
    "fill_rate": "Fill rate",
    "on_time_shipment": "On-time dispatch",
    "csat": "CSAT",
    "nps": "NPS",
    "fcr": "FCR (7-day)",
    "contacts_per_100_orders": "Contacts / 100 orders",
}
STATUS = {
    "green": "#4caf50",
    "amber": "#ffb300",
    "red": "#ff5252",
    "small": "#9aa4b2",
    None: "#9aa4b2",
}
INK, MUTED, PANEL = "#f5f7fa", "#b8c1cc", "#161c24"


# ---- the link's settings -----------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    refresh: int  # seconds between fragment re-runs
    reload_hours: float  # hours between full page reloads
    by: str  # split of the small multiples
    notes: tuple[str, ...]  # plain notes about URL values that were not understood


def _number(name: str, bounds: tuple[float, float, float], unit: str, notes: list[str]) -> float:
    default, low, high = bounds
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # also false for nan and inf
        notes.append(
            f"The link's {name}={raw!r} is not a number of {unit} from {low:g} to {high:g}; "
            f"using {default:g}."
        )
        return default
    return value


def settings() -> Settings:
    """``?refresh=SECONDS&reload=HOURS&by=region|site`` with plain notes for bad values."""
    notes: list[str] = []
    refresh = round(_number("refresh", REFRESH, "seconds", notes))
    reload_hours = _number("reload", RELOAD_HOURS, "hours", notes)
    by = st.query_params.get("by") or "region"
    if by not in MULTIPLES:
        notes.append(f"The link's by={by!r} is not one of {', '.join(MULTIPLES)}; showing region.")
        by = "region"
    return Settings(refresh, reload_hours, by, tuple(notes))


# ---- drawing -------------------------------------------------------------------------------

CSS = f"""
<style>
:root {{ --u: min(1vh, 0.5625vw); }}
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] {{ display: none !important; }}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: #0b0f14 !important; }}
[data-testid="stMainBlockContainer"] {{ padding: calc(var(--u) * 1.2) calc(var(--u) * 2)
  calc(var(--u) * 0.5) !important; max-width: 100% !important; }}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: calc(var(--u) * 1) !important; }}
[data-testid="stElementContainer"][data-stale="true"] {{ opacity: 1 !important; transition: none !important; }}
[data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]),
[data-testid="stFullScreenFrame"]:has([data-testid="stVegaLiteChart"]),
[data-testid="stFullScreenFrame"] div:has(> [data-testid="stVegaLiteChart"]),
[data-testid="stVegaLiteChart"] {{ width: 100% !important; }}
[data-testid="stVegaLiteChart"] svg.marks {{ width: 100% !important; height: auto !important;
  max-height: calc(var(--u) * 62); }}
[data-testid="stAlert"] {{ background: #f5f7fa; border-radius: 0.5rem; }}
.wall {{ color: {INK}; font-family: "Source Sans", sans-serif; line-height: 1.15; }}
.wall h1 {{ color: {INK}; font-size: calc(var(--u) * 4.2); font-weight: 700; margin: 0; padding: 0; }}
.wall .bar {{ display: flex; justify-content: space-between; align-items: baseline; gap: 2rem; }}
.wall .stamp {{ color: {MUTED}; font-size: calc(var(--u) * 2.6); }}
.wall .fresh {{ font-size: calc(var(--u) * 2.2); color: {MUTED}; margin-top: calc(var(--u) * 0.4); }}
.wall .fresh.stale {{ color: #fff; background: #b71c1c; font-weight: 700;
  padding: calc(var(--u) * 0.3) calc(var(--u) * 1); border-radius: calc(var(--u) * 0.6); }}
.wall.tile {{ background: {PANEL}; border-radius: calc(var(--u) * 1);
  padding: calc(var(--u) * 0.9) calc(var(--u) * 1.4);
  border-left: calc(var(--u) * 0.8) solid var(--status); overflow: hidden; }}
.wall .label {{ font-size: calc(var(--u) * 2.5); color: {MUTED}; font-weight: 600; }}
.wall .owner {{ font-size: calc(var(--u) * 2); color: {MUTED}; }}
.wall .value {{ font-size: calc(var(--u) * 8); font-weight: 800; color: {INK}; line-height: 1.05; }}
.wall.hero .value {{ font-size: calc(var(--u) * 11.5); }}
.wall .line {{ font-size: calc(var(--u) * 2.3); color: {INK}; }}
.wall .status {{ color: var(--status); font-weight: 700; }}
.wall ol {{ margin: calc(var(--u) * 0.4) 0 0 0; padding-left: calc(var(--u) * 3); }}
.wall li {{ font-size: calc(var(--u) * 2.5); margin: calc(var(--u) * 0.3) 0; color: {INK}; }}
.wall li .sub {{ color: {MUTED}; font-size: calc(var(--u) * 2); }}
.wall .sub b {{ color: {STATUS["amber"]}; }}
.wall .note, .wall.note {{ font-size: calc(var(--u) * 2); color: {STATUS["amber"]}; }}
</style>
"""


def style() -> None:
    st.html(CSS)


def reload_every(hours: float) -> None:
    """Reload the whole page now and then: a screen left on for days starts afresh."""
    ms = int(hours * 3_600_000)
    st.html(
        "<script>if (!window.__wallReload) { window.__wallReload = "
        f"setTimeout(function () {{ window.location.reload(); }}, {ms}); }}</script>",
        unsafe_allow_javascript=True,
    )


def _week_name(week: dt.date) -> str:
    return f"week {week.isocalendar().week}"


def _scope_words() -> str:
    """' · portfolio Key Accounts only' when the screen's link limits its rows."""
    from ui import access

    scope = access.viewer().scope
    return "".join(f" · {d} {', '.join(v)} only" for d, v in scope)


def title_bar(b: Board | None) -> None:
    """The title, the week under review and the one freshness line (a warning when stale)."""
    now = dt.datetime.now().strftime("%H:%M")
    if b is None:
        stamp, fresh = f"no data yet · updated {now}", ""
    else:
        period = fmt.period_label(b.week, periods.period_end(b.week, "week"), "week")
        stamp = f"{period}{_scope_words()} · updated {now}"
        text, warn = freshness_text(b)
        fresh = (
            f'<div class="fresh{" stale" if warn else ""}" data-testid="wallFresh">'
            f"{html.escape(text)}</div>"
        )
    st.html(
        f'<div class="wall" data-as-of="{b.as_of if b else ""}">'
        f'<div class="bar"><h1>S&amp;OP · North Star</h1>'
        f'<div class="stamp" data-testid="wallStamp">{html.escape(stamp)}</div></div>{fresh}</div>'
    )


def _target_line(row: dict[str, Any] | None, fmt_name: str) -> str:
    if not row or row.get("target") is None:
        return ""
    status = fmt.STATUS_TEXT[row.get("status")]
    note = row.get("target_note") or ""
    basis = (
        f'<div class="note">target {html.escape(note)}</div>'
        if "weighted by volume" in note
        else ""
    )
    return (
        f'<div class="line">target {fmt.value(row["target"], fmt_name)} · '
        f'<span class="status">{status}</span></div>{basis}'
    )


def _sample_line(row: dict[str, Any] | None, min_sample: int) -> str:
    note = fmt.sample_note(row.get("n") if row else 0, min_sample)
    return f'<div class="note">⚠ {note}</div>' if note else ""


def tile(
    catalog: Catalog,
    name: str,
    row: dict[str, Any] | None,
    *,
    extra: str = "",
    lines: str = "",
    hero: bool = False,
) -> None:
    """One metric as a big tile: name and owner, value, target and status, sample warning."""
    m = catalog.metric(name)
    value = fmt.value(row.get("value") if row else None, m.format)
    colour = STATUS[row.get("status") if row else None]
    label = html.escape(SHORT.get(name, m.label) + extra)
    st.html(
        f'<div class="wall tile{" hero" if hero else ""}" style="--status:{colour}" '
        f'data-metric="{name}" data-value="{value}">'
        f'<div class="label">{label}</div><div class="owner">{html.escape(m.owner)}</div>'
        f'<div class="value">{value}</div>{_target_line(row, m.format)}{lines}'
        f"{_sample_line(row, m.min_sample)}</div>"
    )


def otif_tile(catalog: Catalog, b: Board) -> None:
    """The week's OTIF (of order lines, for a site's rows) against target; early in a week (too
    few due yet) the week before, with this one so far beside it: a partial week must not read
    as a collapse."""
    min_sample = catalog.metric(b.hero).min_sample
    now = week_row(b.weekly, b.hero, b.week)
    before = periods.shift_period(b.week, "week", -1)
    last = week_row(b.weekly, b.hero, before)
    readable = now is not None and (now.get("n") or 0) >= min_sample
    if readable or last is None:
        so_far = " so far" if now and now.get("partial") else ""
        tile(
            catalog,
            b.hero,
            now,
            extra=f" · {_week_name(b.week)}{so_far}",
            lines=_line(_week_name(before), last),
            hero=True,
        )
    else:
        n = (now or {}).get("n") or 0
        lines = _line(f"{_week_name(b.week)} so far (n={n}, too few to read)", now)
        tile(catalog, b.hero, last, extra=f" · {_week_name(before)}", lines=lines, hero=True)


def _line(text: str, row: dict[str, Any] | None) -> str:
    if not row or row.get("value") is None:
        return ""
    return f'<div class="line">{html.escape(text)}: {fmt.value(row["value"], "percent")}</div>'


def outcome_tiles(catalog: Catalog, b: Board) -> None:
    """A row of the customer outcomes the screen's rows measure (none for a site's)."""
    if b.outcomes:
        for col, name in zip(st.columns(len(b.outcomes)), b.outcomes):
            with col:
                outcome_tile(catalog, b, name)


def outcome_tile(catalog: Catalog, b: Board, name: str) -> None:
    """A customer outcome of the newest week that has a readable sample."""
    row = measured_row(b.weekly, name, b.week, b.as_of, catalog.metric(name).lag_days)
    when = f" · wk of {row['period']:%-d %b}" if row and row["period"] != b.week else ""
    tile(catalog, name, row, extra=when)


def causes_tile(b: Board) -> None:
    """The top three miss reasons of the week, each with its owner and how many of its
    misses are still open (their cause may change as the rest ships). Orders carry no site:
    a site's screen says so instead."""
    label = f'<div class="label">Top causes of missed orders · {_week_name(b.week)}</div>'
    if b.causes is None:
        st.html(
            f'<div class="wall tile" style="--status:{STATUS[None]}" data-testid="wallCauses">'
            f'{label}<div class="line">Not on this screen: causes are counted per order, and an '
            "order has no site.</div></div>"
        )
        return
    top = top_causes(b.causes, 3)
    if top.is_empty():
        items = "<li>No broken promise <span class='sub'>(no missed order)</span></li>"
    else:
        items = "".join(_cause_item(r) for r in top.iter_rows(named=True))
    read = read_causes(b.causes)
    lead = (
        f'<div class="line">Leading settled cause: {html.escape(read.settled_top.label)} '
        f"({html.escape(read.settled_top.owner)})</div>"
        if read.settled_top
        else ""
    )
    stuck = "; ".join(f"{s.orders:,} {s.where}, {html.escape(s.acts)} acts" for s in read.stuck)
    foot = (
        f'<div class="note">{read.still_open:,} of {read.missed:,} misses '
        f"still open: their cause may change as the rest ships ({stuck})</div>"
        if read.still_open
        else ""
    )
    st.html(
        f'<div class="wall tile" style="--status:{STATUS["red"]}" data-testid="wallCauses">'
        f"{label}<ol>{items}</ol>{foot}{lead}</div>"
    )


def _cause_item(r: dict[str, Any]) -> str:
    label = r["step"]
    sub = html.escape(r.get("owner") or "no owner")
    if r["open"]:
        sub += f" · <b>{r['open']:,} still open</b>"
    return (
        f'<li data-reason="{html.escape(r["reason"])}">{html.escape(label)} — {r["orders"]:,} '
        f'orders ({r["of_missed"]:.0%})<div class="sub">{sub}</div></li>'
    )


def notes(texts: tuple[str, ...]) -> None:
    if texts:
        st.html(
            '<div class="wall note">'
            + " ".join(html.escape(t, quote=False) for t in texts)
            + "</div>"
        )


def multiples(b: Board, catalog: Catalog, by: str) -> None:
    """The small multiples, split as the screen's rows allow (a note when the link asks for a
    split they do not have)."""
    if b.by != by and st.query_params.get("by"):
        notes((f"This screen's rows are split by {b.by}: {by} is not one of them.",))
    chart = wall_chart.multiples_chart(b.multiples, catalog, b.by, MULTIPLES[b.by], SHORT)
    st.altair_chart(chart, theme=None, width="content")
