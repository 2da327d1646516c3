"""Warm the cache for the other pages while the reader looks at this one.

After a page is drawn, one background thread per warehouse version and
period computes what the other pages show unfiltered, so switching pages
reads cached results. Each query takes its own cursor, as DuckDB requires.
"""

from __future__ import annotations

import logging
import threading

import streamlit as st

from metrics import insights
from ui import data, review
from ui.filters import View

log = logging.getLogger("northstar.ui")


def default_views(src: data.Source, view: View) -> None:
    """What every page shows for ``view`` without filters, into the cache."""
    cat = data.catalog()
    jobs = [
        lambda: data.details(src, view.trend_query("otif", *review.OUTCOMES)),
        lambda: data.funnel(src, view.query("measured_orders")),
        lambda: data.contributors(
            src, view.query("otif_line"), tuple(d for d, _ in review.DRIVERS)
        ),
        lambda: data.satisfaction(src, view.trend_query("csat"), view.as_of),
        lambda: data.details(src, view.trend_query(*insights.pair_metrics(cat)), compare=False),
        lambda: data.details(src, view.query("otif"), compare=False),
        lambda: data.rows(src, "otif", view.query("otif"), failing=False, limit=1000),
        lambda: data.freshness(src, view.as_of),
        lambda: data.load_log(src),
    ]
    for job in jobs:
        try:
            job()
        except Exception:  # a page shows its own error; warming is best effort
            log.debug("prefetch failed", exc_info=True)


@st.cache_resource(show_spinner=False, max_entries=32)
def _warm(src: data.Source, view: View) -> threading.Thread:
    # Not a daemon: at exit Python waits for it, instead of killing DuckDB mid-query
    # (which aborts the whole process).
    thread = threading.Thread(
        target=default_views, args=(src, view), name="northstar-prefetch", daemon=False
    )
    thread.start()
    return thread


def other_pages(src: data.Source, view: View) -> None:
    """Start warming for an unfiltered view (once per warehouse version and period).

    Filtered views are not warmed: background work after every filter change would
    slow the next page the reader opens more than it helps.
    """
    if not view.where:
        _warm(src, view)
