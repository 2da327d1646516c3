"""The numbers of the weekly review, computed with the same queries as the review pages
(13 periods of OTIF and the customer outcomes, the promise funnel, the pairs, the portfolio
scoreboard, promises at risk), for one period, filters and viewer scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from metrics import pairs
from metrics.catalog import Catalog
from metrics.details import run_details
from metrics.engine import Engine
from metrics.funnel import promise_funnel
from metrics.periods import period_end, period_start, shift_period
from metrics.promises import promises_at_risk
from metrics.signals import Reading, period_reading
from metrics.sqlgen import Query

OUTCOMES = ("csat", "nps", "fcr", "contacts_per_100_orders")  # as on the review page
SCORE_METRICS = ("revenue", "otif", "csat", "nps", "contacts_per_100_orders", "cost_to_serve")
TREND = 13  # periods on the trend
HISTORY = 52  # periods searched for sustained shifts (weeks)

Filters = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class ReviewData:
    start: dt.date
    end: dt.date
    as_of: dt.date
    grain: str
    trend: pl.DataFrame  # run_details of OTIF per period, the last row the period under review
    head: dict[str, Any] | None  # OTIF in the period under review
    outcomes: pl.DataFrame  # run_details of the outcomes in the period under review
    reading: Reading
    funnel: pl.DataFrame
    pairs: pl.DataFrame
    scoreboard: pl.DataFrame  # run_details by portfolio and manager
    at_risk: pl.DataFrame


def _trend_query(metrics: tuple[str, ...], start: dt.date, periods: int, **kw) -> Query:
    first = shift_period(start, "week", -(periods - 1))
    return Query(metrics=metrics, grain="week", date_from=first, **kw)


def _reading(history: pl.DataFrame, head: dict | None, start: dt.date, direction: str) -> Reading:
    """The signal of the period under review, read as the review page reads it."""
    return period_reading(history, head, start, direction)[0]


def gather(
    engine: Engine,
    catalog: Catalog,
    *,
    start: dt.date,
    as_of: dt.date,
    where: Filters = (),
    scope: Filters = (),
) -> ReviewData:
    """Every number of the review of the week starting ``start``."""
    start = period_start(start, "week")
    end = period_end(start, "week")
    to = min(end, as_of)
    base = {"where": where, "scope": scope, "as_of": as_of, "date_to": to}
    details = run_details(engine, catalog, _trend_query(("otif", *OUTCOMES), start, TREND, **base))
    trend = details.filter(pl.col("metric") == "otif").sort("period")
    head_rows = trend.filter(pl.col("period") == start)
    head = head_rows.row(0, named=True) if head_rows.height else None
    history = run_details(
        engine, catalog, _trend_query(("otif",), start, HISTORY, **base), compare=False
    )
    period_q = Query(metrics=("measured_orders",), date_from=start, **base)
    pair_details = run_details(
        engine, catalog, period_q.replace(metrics=pairs.pair_metrics(catalog)), compare=False
    )
    board = run_details(
        engine,
        catalog,
        period_q.replace(metrics=SCORE_METRICS, by=("portfolio", "portfolio_manager")),
        compare=False,
    )
    return ReviewData(
        start=start,
        end=end,
        as_of=as_of,
        grain="week",
        trend=trend,
        head=head,
        outcomes=details.filter(pl.col("period") == start),
        reading=_reading(history, head, start, catalog.metric("otif").direction),
        funnel=promise_funnel(engine, catalog, period_q),
        pairs=pairs.pair_rows(pair_details, catalog) if pair_details.height else pl.DataFrame(),
        scoreboard=board,
        at_risk=promises_at_risk(
            engine, catalog, Query(metrics=(), where=where, scope=scope, as_of=as_of)
        ),
    )
