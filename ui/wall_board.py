"""The wall's numbers: the review's trend window (``metrics.review_model.TREND`` weeks) of
OTIF, its drivers and the customer outcomes, this week's miss reasons, and how fresh the data
is, for one warehouse version; and the picks the tiles show from them.

A kiosk link scoped to a site (orders do not carry one) shows what the site's rows hold: OTIF
of order lines for the North Star, the split by site, no customer outcome and no miss reasons
of orders (each counted per order or customer, never per site)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from metrics import periods
from metrics.access import AccessError
from metrics.catalog import Catalog
from metrics.review_model import OUTCOMES, TREND, row_of, shown_period
from metrics.sqlgen import Query
from store import health
from ui import access, data

WEEKS = TREND  # the review's trend window
HEROES = ("otif", "otif_line")  # the North Star, else its twin over order lines (a site's rows)
MULTIPLES = {  # the North Star and its drivers, per split (site is known on lines only)
    "region": ("otif", "on_time", "in_full"),
    "site": ("otif_line", "fill_rate", "on_time_shipment"),
}
EXTRACTS = ("shipments", "calls", "surveys")  # what the wall's numbers are dated by
# Counted by what has arrived by as-of: a miss still open (``miss_open``, as the review's
# causes read it) holds these down until its units ship and land, so a week with many open
# misses may still rise. OTIF and on time cannot: an open miss is already late.
STILL_ARRIVING = ("in_full", "fill_rate")
OPEN_SHARE = 0.15  # a week with this share or more of what it measures still open is ringed


@dataclass(frozen=True)
class Board:
    """Everything the wall shows, computed for one warehouse version and one viewer."""

    as_of: dt.date
    week: dt.date  # Monday of the week under review (the one holding as-of)
    weekly: pl.DataFrame  # run_details by week: OTIF and the outcomes, 13 weeks
    multiples: pl.DataFrame  # run_details by week and split, 13 weeks
    causes: pl.DataFrame | None  # the promise funnel of this week (None: not for these rows)
    fresh: pl.DataFrame  # per extract: latest date, last loaded
    age: health.Staleness
    hero: str = "otif"  # the North Star as these rows measure it
    outcomes: tuple[str, ...] = OUTCOMES  # the customer outcomes these rows measure
    by: str = "region"  # the small multiples' split


def visible(catalog: Catalog, names: tuple[str, ...]) -> tuple[str, ...]:
    """The metrics of ``names`` the viewer (a kiosk link's scope) may see."""
    v = access.viewer()
    return tuple(n for n in names if v.sees_metric(catalog, n))


def split_for(catalog: Catalog, by: str) -> str:
    """``by``, or the other split when the viewer may not see its drivers (a site's rows
    have no region's order OTIF)."""
    if visible(catalog, MULTIPLES[by]) == MULTIPLES[by]:
        return by
    return next((k for k, ms in MULTIPLES.items() if visible(catalog, ms) == ms), by)


def week_query(metrics: tuple[str, ...], as_of: dt.date, where, by: tuple[str, ...] = ()) -> Query:
    week = periods.period_start(as_of, "week")
    first = periods.shift_period(week, "week", -(WEEKS - 1))
    return Query(
        metrics, by=by, grain="week", date_from=first, date_to=as_of, where=where, as_of=as_of
    )


def board(src: data.Source, catalog: Catalog, as_of: dt.date, where, by: str) -> Board:
    """The wall's numbers, of the metrics the viewer may see (AccessError without a North Star)."""
    heroes, outcomes = visible(catalog, HEROES), visible(catalog, OUTCOMES)
    if not heroes:
        raise AccessError(f"{access.viewer().who} may see neither OTIF nor OTIF of order lines")
    by = split_for(catalog, by)
    week = periods.period_start(as_of, "week")
    this_week = Query(("measured_orders",), date_from=week, date_to=as_of, where=where, as_of=as_of)
    causes = bool(visible(catalog, ("measured_orders",)))
    split = MULTIPLES[by]
    weekly, multiples, still_open, funnel, fresh = data.gather(
        lambda: data.details(src, week_query((heroes[0], *outcomes), as_of, where), compare=False),
        lambda: data.details(src, week_query(split, as_of, where, (by,)), compare=False),
        lambda: data.details(
            src, week_query(split[:1], as_of, where, (by, "miss_open")), compare=False
        ),
        lambda: data.funnel(src, this_week) if causes else None,
        lambda: data.freshness(src, as_of),
    )
    unit = "lines" if catalog.metric(split[0]).model == "lines" else "orders"
    return Board(
        as_of,
        week,
        weekly,
        with_open(readable_weeks(multiples), open_counts(still_open, by), by, unit),
        funnel,
        fresh,
        data.staleness(as_of),
        heroes[0],
        outcomes,
        by,
    )


def week_row(weekly: pl.DataFrame, metric: str, week: dt.date) -> dict[str, Any] | None:
    return row_of(weekly, metric, week)


def measured_row(
    weekly: pl.DataFrame, metric: str, week: dt.date, as_of: dt.date, lag_days: int
) -> dict[str, Any] | None:
    """The row the review shows for ``week``: that week's, or for a lagged metric (FCR waits
    7 days) its latest measurable week's; a small sample is marked, not skipped."""
    return row_of(weekly, metric, shown_period(week, "week", as_of, lag_days))


def readable_weeks(multiples: pl.DataFrame, min_sample: int = 30) -> pl.DataFrame:
    """Drop a partial week whose sample is still too small to read."""
    if multiples.is_empty():
        return multiples
    return multiples.filter(~pl.col("partial") | (pl.col("n") >= min_sample))


def open_counts(details: pl.DataFrame, by: str) -> pl.DataFrame:
    """Per week and ``by`` value, from run_details of the split's North Star by (``by``,
    ``miss_open``): ``measured`` orders (or lines) and how many are misses still ``open``."""
    if details.is_empty():
        schema = {"period": pl.Date, by: pl.String, "open": pl.Int64, "measured": pl.Int64}
        return pl.DataFrame(schema=schema)
    is_open = pl.col("miss_open").fill_null(False)
    return details.group_by("period", by).agg(
        open=pl.col("n").filter(is_open).sum().cast(pl.Int64),
        measured=pl.col("n").sum().cast(pl.Int64),
    )


def with_open(multiples: pl.DataFrame, counts: pl.DataFrame, by: str, unit: str) -> pl.DataFrame:
    """The multiples with ``still_open`` (a week of a ``STILL_ARRIVING`` metric whose open
    misses are ``OPEN_SHARE`` or more of what it measures: its value may still rise) and, on
    those rows, ``open`` of ``measured`` ``unit`` ('orders' or 'lines') and ``open_text``
    ('29 of 99 orders still open')."""
    if multiples.is_empty():
        return multiples.with_columns(
            still_open=pl.lit(False),
            open=pl.lit(None, pl.Int64),
            measured=pl.lit(None, pl.Int64),
            unit=pl.lit(unit),
            open_text=pl.lit(None, pl.String),
        )
    joined = multiples.join(counts, on=["period", by], how="left", nulls_equal=True)
    moving = pl.col("metric").is_in(STILL_ARRIVING) & (pl.col("measured") > 0)
    still = (moving & (pl.col("open") >= OPEN_SHARE * pl.col("measured"))).fill_null(False)
    text = pl.format("{} of {} {} still open", pl.col("open"), pl.col("measured"), pl.lit(unit))
    return joined.with_columns(
        pl.when(still).then(pl.col("open", "measured")),
        still_open=still,
        unit=pl.lit(unit),
        open_text=pl.when(still).then(text),
    )


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def freshness_text(b: Board) -> tuple[str, bool]:
    """The one freshness line and whether it warns: as-of against today, then how far each
    extract reaches ('shipments and calls to 15 Nov, surveys to 14 Nov'), then the last load."""
    age = b.age
    parts = []
    if age.stale:
        parts.append(
            f"⚠ Stale data: as of {age.as_of:%a %d %b %Y}, {age.days_behind} days behind today "
            f"({age.today:%a %d %b}); the wall expects data within {age.limit} days"
        )
    else:
        parts.append(f"Data as of {age.as_of:%a %d %b %Y}")
    rows = b.fresh.filter(pl.col("extract").is_in(EXTRACTS))
    reach: dict[str, list[str]] = {}
    lagging = False
    for name in EXTRACTS:
        row = rows.filter(pl.col("extract") == name)
        latest = row["latest"][0] if row.height else None
        when = f"{latest:%d %b}" if latest else "nothing loaded"
        reach.setdefault(when, []).append(name)
        lagging |= latest is None or (age.as_of - latest).days > age.limit
    parts.append(", ".join(f"{_and(names)} to {when}" for when, names in reach.items()))
    loaded = rows["last_loaded"].drop_nulls() if "last_loaded" in rows.columns else []
    if len(loaded):
        parts.append(f"loaded {loaded.max():%d %b %H:%M}")
    return " · ".join(parts).replace("to nothing loaded", "not loaded"), age.stale or lagging
