"""Warm the cache for the other pages while the reader looks at this one.

After a page is drawn, one background thread per warehouse version and
period computes what the other pages show unfiltered, so switching pages
reads cached results; then the weekly review and the pairs for each single
value of each sidebar filter (a region, a segment, a portfolio: the views
their managers open), so picking one in the sidebar reads cached results too;
that part waits while a page view runs (``visiting``), so it never slows a
reader.
Combinations of values are computed when asked. Each query takes its own
cursor, as DuckDB requires.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from ui import data, pairs, review
from ui.filters import DIMENSIONS, View

log = logging.getLogger("northstar.ui")
_QUIET = threading.Condition()
_visits = 0  # page views running now
_STOP = threading.Event()  # set at exit: a warming thread stops after its current query
OFF = ("0", "off", "false", "no")


def enabled() -> bool:
    """Whether the server warms its caches at start and after a page view
    (``NORTHSTAR_WARM=off`` turns both off, e.g. for tests or a small machine)."""
    return os.environ.get("NORTHSTAR_WARM", "on").strip().lower() not in OFF


@contextmanager
def visiting() -> Iterator[None]:
    """Mark a page view as running (``dashboard.py`` wraps every run in it)."""
    global _visits
    with _QUIET:
        _visits += 1
    try:
        yield
    finally:
        with _QUIET:
            _visits -= 1
            _QUIET.notify_all()


def _after_visitors(patience: float = 10.0) -> None:
    """Wait until no page view runs (at most ``patience`` seconds)."""
    with _QUIET:
        _QUIET.wait_for(lambda: _visits == 0 or _STOP.is_set(), timeout=patience)


def default_views(src: data.Source, view: View) -> None:
    """What every page shows for ``view`` without filters, into the cache."""
    cat = data.catalog()
    jobs = [
        *review.queries(src, view),
        lambda: pairs.periods(src, view, cat),
        lambda: data.details(src, view.query("otif")),  # Explore: with its comparisons
        lambda: data.rows(src, "otif", view.query("otif"), failing=False, limit=1000),
        lambda: data.freshness(src, view.as_of),
        lambda: data.load_log(src),
    ]
    _run(jobs)


def filter_views(src: data.Source, view: View) -> None:
    """The weekly review and the pairs of ``view`` narrowed to each single value of each
    sidebar filter."""
    cat = data.catalog()
    for dim in DIMENSIONS:
        for value in data.dimension_values(src, dim):
            one = dataclasses.replace(view, where=((dim, (value,)),))
            jobs = [*review.queries(src, one), lambda one=one: pairs.periods(src, one, cat)]
            _run(jobs, after_visitors=True)


def _run(jobs, *, after_visitors: bool = False) -> None:
    for job in jobs:  # one at a time, leaving the other core to visitors
        if _STOP.is_set():
            return
        if after_visitors:
            _after_visitors()
        try:
            job()
        except Exception:  # a page shows its own error; warming is best effort
            log.debug("prefetch failed", exc_info=True)


def warm_views(src: data.Source, view: View) -> None:
    default_views(src, view)
    filter_views(src, view)


@st.cache_resource(show_spinner=False, max_entries=32)
def start(src: data.Source, view: View) -> threading.Thread:
    """The thread warming ``view`` (unfiltered) and its single-value filters: one per
    warehouse version and view, however many pages ask."""
    return background(_warming(warm_views), src, view, name="northstar-prefetch")


def background(fn, *args, name: str) -> threading.Thread:
    """``fn(*args)`` in a daemon thread that stops with its server: at exit it is told to stop
    and waited for until its current query ends (killing DuckDB mid-query aborts the process)."""
    thread = threading.Thread(target=fn, args=args, name=name, daemon=True)
    thread.start()
    atexit.register(_stop, thread)
    return thread


def _stop(thread: threading.Thread) -> None:
    _STOP.set()
    with _QUIET:
        _QUIET.notify_all()
    thread.join(timeout=30)


def _warming(fn):
    def run(*args):
        from ui import access

        with access.background():
            fn(*args)

    return run


def other_pages(src: data.Source, view: View) -> None:
    """Start warming from an unfiltered view (once per warehouse version and period).

    A filtered view starts nothing: background work after every filter change would
    slow the next page the reader opens more than it helps.
    """
    if not view.where and enabled():
        start(src, view)
