"""The numbers of the weekly review, computed with the same queries as the review pages
(13 periods of OTIF and the customer outcomes, the promise funnel, the pairs, the portfolio
scoreboard, promises at risk), for one period and one reader: their rows, and only the metrics
they may see (a metric outside their view is never computed)."""

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
from metrics.review_model import HISTORY, OUTCOMES, TREND, shown_rows
from metrics.signals import Reading, period_reading, readable_periods
from metrics.sqlgen import Query
from reports.pack_reader import Reader

SCORE_METRICS = ("revenue", "otif", "csat", "nps", "contacts_per_100_orders", "cost_to_serve")


@dataclass(frozen=True)
class ReviewData:
    start: dt.date
    end: dt.date
    as_of: dt.date
    grain: str
    reader: Reader
    headline: str  # "own": OTIF in the reader's rows; "company": the whole company's; "": none
    trend: pl.DataFrame  # run_details of OTIF per period, the last row the period under review
    head: dict[str, Any] | None  # OTIF in the period under review
    outcomes: pl.DataFrame  # run_details of the outcomes the reader sees, period under review
    reading: Reading | None
    signal_periods: tuple[dict[str, Any], ...]  # the series the signal was read from
    funnel: pl.DataFrame
    pairs: pl.DataFrame
    scoreboard: pl.DataFrame  # run_details by portfolio and manager
    at_risk: pl.DataFrame
    granted: pl.DataFrame  # run_details of the metrics a role lists, in the period under review


def _trend_query(start: dt.date, periods: int, **kw) -> Query:
    first = shift_period(start, "week", -(periods - 1))
    return Query(metrics=(), grain="week", date_from=first, **kw)


def _details(
    engine: Engine,
    reader: Reader,
    metrics: tuple[str, ...],
    q: Query,
    *,
    company: bool = False,
    compare: bool = True,
) -> pl.DataFrame:
    """run_details of ``metrics`` as the reader may ask them (none asked: an empty frame)."""
    if not metrics:
        return pl.DataFrame(schema={"metric": pl.String, "period": pl.Date})
    q = reader.query(q.replace(metrics=metrics), company=company)
    return run_details(engine, reader.catalog, q, compare=compare)


def _headline(reader: Reader) -> str:
    if reader.sees("otif"):
        return "own"
    return "company" if reader.company("otif") else ""


def _reading(history: pl.DataFrame, head: dict | None, start: dt.date, direction: str) -> Reading:
    """The signal of the period under review, read as the review page reads it."""
    return period_reading(history, head, start, direction)[0]


def _measured(
    details: pl.DataFrame, catalog: Catalog, start: dt.date, as_of: dt.date
) -> pl.DataFrame:
    """Each metric's row of the period under review, or for a lagged one (FCR) of its latest
    measurable period (the row's ``period`` names it)."""
    if details.is_empty():
        return details
    lags = {n: catalog.metric(n).lag_days for n in details["metric"].unique().to_list()}
    return shown_rows(details, lags, start, "week", as_of)


def _signal_periods(
    history: pl.DataFrame, head: dict | None, start: dt.date
) -> tuple[dict[str, Any], ...]:
    """The periods ``period_reading`` reads the signal from: the complete, large-enough ones
    before the period under review, then that period."""
    if history.is_empty():
        return ()
    done = readable_periods(history.filter(pl.col("metric") == "otif"), start)
    rows = [{k: r[k] for k in ("period", "value", "n")} for r in done.iter_rows(named=True)]
    if head and head.get("value") is not None:
        rows.append({"period": start, "value": head["value"], "n": head.get("n")})
    return tuple(rows)


def gather(engine: Engine, reader: Reader, *, start: dt.date, as_of: dt.date) -> ReviewData:
    """Every number of the review of the week starting ``start`` that ``reader`` may see."""
    catalog = reader.catalog
    start = period_start(start, "week")
    end = period_end(start, "week")
    base = {"as_of": as_of, "date_to": min(end, as_of)}
    headline, outcomes = _headline(reader), reader.visible(OUTCOMES)
    own = ("otif",) if headline == "own" else ()
    trend_q = _trend_query(start, TREND, **base)
    details = _details(engine, reader, own + outcomes, trend_q)
    company = headline == "company"
    if company:  # the whole company's North Star, which their rows do not carry
        source = _details(engine, reader, ("otif",), trend_q, company=True)
    else:
        source = details
    trend = source.filter(pl.col("metric") == "otif").sort("period")
    head_rows = trend.filter(pl.col("period") == start)
    head = head_rows.row(0, named=True) if head_rows.height else None
    history = _details(
        engine,
        reader,
        ("otif",) if headline else (),
        _trend_query(start, HISTORY["week"], **base),
        company=company,
        compare=False,
    )
    period_q = Query(metrics=(), date_from=start, **base)
    shown_pairs = [
        p for p in catalog.pairs if reader.sees(p.department) and reader.sees(p.customer)
    ]
    pair_metrics = tuple(dict.fromkeys(n for p in shown_pairs for n in (p.department, p.customer)))
    pair_from = min(
        (pairs.pair_period(catalog, p, start, "week", as_of) for p in shown_pairs), default=start
    )
    pair_q = Query(metrics=(), grain="week", date_from=pair_from, **base)
    pair_details = _details(engine, reader, pair_metrics, pair_q, compare=False)
    by = ("portfolio", "portfolio_manager")
    listed = reader.viewer.metrics
    granted = reader.visible(m for m in catalog.metrics if listed is not None and m in listed)
    funnel = reader.sees("otif") and reader.sees("measured_orders")
    return ReviewData(
        start=start,
        end=end,
        as_of=as_of,
        grain="week",
        reader=reader,
        headline=headline,
        trend=trend,
        head=head,
        outcomes=_measured(details, catalog, start, as_of),
        reading=(
            _reading(history, head, start, catalog.metric("otif").direction) if headline else None
        ),
        signal_periods=_signal_periods(history, head, start) if headline else (),
        funnel=(
            promise_funnel(
                engine, catalog, reader.query(period_q.replace(metrics=("measured_orders",)))
            )
            if funnel
            else pl.DataFrame()
        ),
        pairs=pairs.measured_pairs(pair_details, catalog, start, "week", as_of),
        scoreboard=_details(
            engine,
            reader,
            reader.visible(SCORE_METRICS),
            period_q.replace(by=by),
            compare=False,
        ),
        at_risk=promises_at_risk(engine, catalog, reader.query(Query(metrics=(), as_of=as_of))),
        granted=_details(engine, reader, granted, period_q, compare=False),
    )
