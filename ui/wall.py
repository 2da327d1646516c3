"""The S&OP wall screen: its URL settings, its numbers, and tiles drawn for a TV.

The wall is read from across a room: big type, light on dark, no widgets. Its
tiles are plain HTML (``st.html``, no script) so their size and contrast do
not depend on the app's theme; its charts are Altair with a dark config.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from metrics import periods
from metrics.catalog import Catalog
from metrics.sqlgen import Query
from ui import data
from ui import format as fmt

REFRESH = (300, 2, 3600)  # seconds: default, min, max
RELOAD_HOURS = (6.0, 0.001, 72.0)  # full page reload: default, min, max
WEEKS = 13
MULTIPLES = {  # the North Star and its drivers, per split (site is known on lines only)
    "region": ("otif", "on_time", "in_full"),
    "site": ("otif_line", "fill_rate", "on_time_shipment"),
}
OUTCOMES = ("csat", "nps", "fcr", "contacts_per_100_orders")
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
EXTRACT = {"otif": "shipments", "csat": "surveys", "nps": "surveys", "fcr": "calls"}
EXTRACT.update(contacts_per_100_orders="calls", causes="shipments", multiples="shipments")
STATUS = {"green": "#4caf50", "amber": "#ffb300", "red": "#ff5252", None: "#9aa4b2"}
INK, MUTED, PANEL = "#f5f7fa", "#b8c1cc", "#161c24"


@dataclass(frozen=True)
class Settings:
    refresh: int  # seconds between fragment re-runs
    reload_hours: float  # hours between full page reloads
    by: str  # split of the small multiples
    notes: tuple[str, ...]  # plain notes about URL values that were not understood


def _number(name: str, bounds: tuple[float, float, float], notes: list[str]) -> float:
    default, low, high = bounds
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        notes.append(f"'{name}={raw}' is not a number; using {default:g}.")
        return default
    if not low <= value <= high:
        notes.append(f"'{name}={raw}' is outside {low:g}–{high:g}; using {default:g}.")
        return default
    return value


def settings() -> Settings:
    """``?refresh=SECONDS&reload=HOURS&by=region|site`` with plain notes for bad values."""
    notes: list[str] = []
    refresh = int(_number("refresh", REFRESH, notes))
    reload_hours = _number("reload", RELOAD_HOURS, notes)
    by = st.query_params.get("by") or "region"
    if by not in MULTIPLES:
        notes.append(f"'by={by}' is not one of {', '.join(MULTIPLES)}; showing region.")
        by = "region"
    return Settings(refresh, reload_hours, by, tuple(notes))


# ---- numbers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Board:
    """Everything the wall shows, computed for one warehouse version."""

    as_of: dt.date
    week: dt.date  # Monday of the week under review (the one holding as-of)
    weekly: pl.DataFrame  # run_details by week: OTIF and the outcomes, 13 weeks
    multiples: pl.DataFrame  # run_details by week and split, 13 weeks
    causes: pl.DataFrame  # the promise funnel of this week
    fresh: pl.DataFrame  # per extract: latest date, last loaded


def week_query(metrics: tuple[str, ...], as_of: dt.date, where, by: tuple[str, ...] = ()) -> Query:
    week = periods.period_start(as_of, "week")
    first = periods.shift_period(week, "week", -(WEEKS - 1))
    return Query(
        metrics, by=by, grain="week", date_from=first, date_to=as_of, where=where, as_of=as_of
    )


def board(src: data.Source, as_of: dt.date, where, by: str) -> Board:
    week = periods.period_start(as_of, "week")
    this_week = Query(("measured_orders",), date_from=week, date_to=as_of, where=where, as_of=as_of)
    return Board(
        as_of,
        week,
        data.details(src, week_query(("otif", *OUTCOMES), as_of, where), compare=False),
        readable_weeks(
            data.details(src, week_query(MULTIPLES[by], as_of, where, (by,)), compare=False)
        ),
        data.funnel(src, this_week),
        data.freshness(src, as_of),
    )


def week_row(weekly: pl.DataFrame, metric: str, week: dt.date) -> dict[str, Any] | None:
    rows = weekly.filter((pl.col("metric") == metric) & (pl.col("period") == week))
    return rows.row(0, named=True) if rows.height else None


def latest_measured(weekly: pl.DataFrame, metric: str, min_sample: int) -> dict[str, Any] | None:
    """The newest week with a sample big enough to read (FCR waits 7 days), else the newest."""
    rows = weekly.filter(pl.col("metric") == metric).sort("period", descending=True)
    sound = rows.filter(pl.col("n") >= min_sample)
    pick = sound if sound.height else rows.filter(pl.col("value").is_not_null())
    return pick.row(0, named=True) if pick.height else None


def top_causes(funnel: pl.DataFrame, k: int = 3) -> pl.DataFrame:
    """The ``k`` miss reasons that broke most orders this week."""
    if funnel.is_empty():
        return funnel
    misses = funnel.filter(pl.col("reason").is_not_null() & (pl.col("orders") > 0))
    total = misses["orders"].sum()
    return (
        misses.sort("orders", descending=True)
        .head(k)
        .with_columns(of_missed=pl.col("orders") / total if total else pl.lit(None))
    )


# ---- freshness ---------------------------------------------------------------------------


def freshness_text(fresh: pl.DataFrame, what: str) -> tuple[str, bool]:
    """'shipments to Sun 15 Nov · loaded 23 Nov 06:02' and whether the extract is stale."""
    extract = EXTRACT[what]
    rows = fresh.filter(pl.col("extract") == extract)
    if rows.is_empty() or rows["latest"][0] is None:
        return f"no {extract} loaded", True
    row = rows.row(0, named=True)
    text = f"{extract} to {row['latest']:%a %d %b}"
    if row.get("last_loaded"):
        text += f" · loaded {row['last_loaded']:%d %b %H:%M}"
    return text, bool(row["stale"])


# ---- drawing -------------------------------------------------------------------------------

CSS = f"""
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] {{ display: none !important; }}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: #0b0f14 !important; }}
[data-testid="stMainBlockContainer"] {{ padding: 0.8rem 1.6rem 0.4rem !important; max-width: 100% !important; }}
[data-testid="stElementContainer"][data-stale="true"] {{ opacity: 1 !important; transition: none !important; }}
[data-testid="stAlert"] {{ background: #f5f7fa; border-radius: 0.5rem; }}
.wall {{ color: {INK}; font-family: "Source Sans Pro", "Segoe UI", sans-serif; line-height: 1.15; }}
.wall h1 {{ color: {INK}; font-size: 2.6rem; font-weight: 700; margin: 0; padding: 0; }}
.wall.bar {{ display: flex; justify-content: space-between; align-items: baseline; gap: 2rem; }}
.wall .stamp {{ color: {MUTED}; font-size: 1.5rem; }}
.wall .stamp b {{ color: {INK}; }}
.wall.tile {{ background: {PANEL}; border-radius: 0.8rem; padding: 0.8rem 1.1rem;
  border-left: 0.7rem solid var(--status); margin-bottom: 0.2rem; }}
.wall .label {{ font-size: 1.6rem; color: {MUTED}; font-weight: 600; }}
.wall .value {{ font-size: 4.6rem; font-weight: 800; color: {INK}; margin: 0.1rem 0; }}
.wall.hero .value {{ font-size: 7.5rem; }}
.wall .line {{ font-size: 1.45rem; color: {INK}; }}
.wall .status {{ color: var(--status); font-weight: 700; }}
.wall .fresh {{ font-size: 1.15rem; color: {MUTED}; margin-top: 0.35rem; }}
.wall .fresh.stale {{ color: {STATUS["red"]}; font-weight: 700; }}
.wall ol {{ margin: 0.3rem 0 0 0; padding-left: 2.2rem; }}
.wall li {{ font-size: 1.9rem; margin: 0.25rem 0; color: {INK}; }}
.wall li span {{ color: {MUTED}; font-size: 1.5rem; }}
.wall .note, .wall.note {{ font-size: 1.3rem; color: {STATUS["amber"]}; }}
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


def title_bar(as_of: dt.date | None, week: dt.date | None) -> None:
    now = dt.datetime.now().strftime("%H:%M:%S")
    if as_of and week:
        period = fmt.period_label(week, periods.period_end(week, "week"), "week")
        stamp = f"{period} · data as of <b>{as_of:%a %d %b %Y}</b> · updated {now}"
    else:
        stamp = f"no data yet · updated {now}"
    st.html(
        f'<div class="wall bar" data-as-of="{as_of or ""}"><h1>S&amp;OP · North Star</h1>'
        f'<div class="stamp" data-testid="wallStamp">{stamp}</div></div>'
    )


def _fresh_html(fresh: pl.DataFrame, what: str) -> str:
    text, stale = freshness_text(fresh, what)
    return f'<div class="fresh{" stale" if stale else ""}">{"⚠ stale: " if stale else "⟳ "}{html.escape(text)}</div>'


def _target_line(row: dict[str, Any] | None, fmt_name: str) -> str:
    if not row or row.get("target") is None:
        return ""
    status = fmt.STATUS_TEXT[row.get("status")]
    return (
        f'<div class="line">target {fmt.value(row["target"], fmt_name)} · '
        f'<span class="status">{status}</span></div>'
    )


def _sample_line(row: dict[str, Any] | None, min_sample: int) -> str:
    note = fmt.sample_note(row.get("n") if row else 0, min_sample)
    return f'<div class="note">⚠ {note}</div>' if note else ""


def tile(
    catalog: Catalog,
    name: str,
    row: dict[str, Any] | None,
    fresh: pl.DataFrame,
    *,
    extra: str = "",
    lines: str = "",
    hero: bool = False,
) -> None:
    """One metric as a big tile: value, target and status, sample warning, freshness."""
    m = catalog.metric(name)
    value = fmt.value(row.get("value") if row else None, m.format)
    colour = STATUS[row.get("status") if row else None]
    st.html(
        f'<div class="wall tile{" hero" if hero else ""}" style="--status:{colour}" '
        f'data-metric="{name}" data-value="{value}">'
        f'<div class="label">{SHORT.get(name, m.label)}{extra}</div>'
        f'<div class="value">{value}</div>{_target_line(row, m.format)}{lines}'
        f"{_sample_line(row, m.min_sample)}{_fresh_html(fresh, name)}</div>"
    )


def otif_tile(catalog: Catalog, b: Board) -> None:
    """This week's OTIF against target; early in a week (too few orders due yet) last week's,
    with this week so far beside it: a partial week must not read as a collapse."""
    min_sample = catalog.metric("otif").min_sample
    now = week_row(b.weekly, "otif", b.week)
    last = week_row(b.weekly, "otif", periods.shift_period(b.week, "week", -1))
    readable = now is not None and (now.get("n") or 0) >= min_sample
    head, other = (now, last) if readable or last is None else (last, now)
    if head is now:
        extra = " · this week" + (" so far" if now and now.get("partial") else "")
        lines = _line("last week", last)
    else:
        extra = " · last week"
        n = (now or {}).get("n") or 0
        lines = _line(f"this week so far (n={n}, too few to read)", other)
    tile(catalog, "otif", head, b.fresh, extra=extra, lines=lines, hero=True)


def _line(text: str, row: dict[str, Any] | None) -> str:
    if not row or row.get("value") is None:
        return ""
    return f'<div class="line">{text} {fmt.value(row["value"], "percent")}</div>'


def readable_weeks(multiples: pl.DataFrame, min_sample: int = 30) -> pl.DataFrame:
    """Drop a partial week whose sample is still too small to read."""
    if multiples.is_empty():
        return multiples
    return multiples.filter(~pl.col("partial") | (pl.col("n") >= min_sample))


def outcome_tile(catalog: Catalog, b: Board, name: str) -> None:
    """A customer outcome of the newest week that has a readable sample."""
    row = latest_measured(b.weekly, name, catalog.metric(name).min_sample)
    when = f" · wk of {row['period']:%d %b}" if row and row["period"] != b.week else ""
    tile(catalog, name, row, b.fresh, extra=when)


def causes_tile(causes: pl.DataFrame, fresh: pl.DataFrame) -> None:
    if causes.is_empty():
        items = "<li>No broken promise this week <span>(no missed order)</span></li>"
    else:
        items = "".join(
            f"<li>{html.escape(r['step'])} — {r['orders']:,} orders "
            f"<span>({r['of_missed']:.0%} of misses)</span></li>"
            for r in causes.iter_rows(named=True)
        )
    st.html(
        f'<div class="wall tile" style="--status:{STATUS["red"]}" data-testid="wallCauses">'
        f'<div class="label">Top broken-promise causes this week</div><ol>{items}</ol>'
        f"{_fresh_html(fresh, 'causes')}</div>"
    )


def notes(texts: tuple[str, ...]) -> None:
    if texts:
        st.html(
            '<div class="wall note">'
            + " ".join(html.escape(t, quote=False) for t in texts)
            + "</div>"
        )


# ---- small multiples -------------------------------------------------------------------------


def multiples_chart(
    frame: pl.DataFrame, catalog: Catalog, by: str, *, width: int = 1330
) -> alt.VConcatChart:
    """One row per metric, one column per region/site: 13 weeks, target dashed, status dots."""
    values = sorted(v for v in frame[by].unique().to_list() if v is not None)
    cell = max(140, width // max(len(values), 1) - 22)
    frame = frame.filter(pl.col(by).is_not_null())
    rows = [
        _multiple_row(frame, catalog.metric(m), m, by, values, cell, first=i == 0)
        for i, m in enumerate(MULTIPLES[by])
    ]
    return (
        alt.vconcat(*rows, spacing=8)
        .configure(background="transparent", font="Source Sans Pro")
        .configure_axis(
            labelColor=MUTED,
            titleColor=INK,
            labelFontSize=15,
            titleFontSize=18,
            gridColor="#2b3440",
            domainColor="#4a5563",
            tickColor="#4a5563",
        )
        .configure_header(labelColor=INK, labelFontSize=20, labelFontWeight="bold", title=None)
        .configure_view(stroke=None)
    )


def _multiple_row(
    frame: pl.DataFrame, m, name: str, by: str, values: list[str], cell: int, *, first: bool
) -> alt.FacetChart:
    part = frame.filter(pl.col("metric") == name)
    axis = fmt.axis_format(m.format)
    x = alt.X("period:T", title=None, axis=alt.Axis(format="%d %b", tickCount=3, labelAngle=0))
    y = alt.Y(
        "value:Q",
        title=SHORT.get(name, m.label),
        scale=alt.Scale(zero=False),
        axis=alt.Axis(format=axis, tickCount=4),
    )
    base = alt.Chart().encode(x=x)
    line = base.mark_line(color="#64b5f6", strokeWidth=3).encode(y=y)
    target = base.mark_line(color="#e0e0e0", strokeDash=[6, 4], strokeWidth=2).encode(y="target:Q")
    points = base.mark_point(size=90, filled=True, opacity=1).encode(
        y="value:Q",
        color=alt.Color(
            "status:N",
            legend=None,
            scale=alt.Scale(
                domain=["green", "amber", "red"],
                range=[STATUS["green"], STATUS["amber"], STATUS["red"]],
            ),
        ),
    )
    header = alt.Header(labelFontSize=20) if first else alt.Header(labels=False)
    return (
        alt.layer(line, target, points, data=part)
        .properties(width=cell, height=150)
        .facet(column=alt.Column(f"{by}:N", title=None, sort=values, header=header), spacing=14)
    )
