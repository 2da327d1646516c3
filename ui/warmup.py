"""Warm the server when it starts, so the first visitor does not pay for it.

A fresh server has imported nothing heavy, parsed no metric catalogue, opened
no warehouse and run no query: the first page view paid 3-5 s for all of it.
``lifespan`` (the ``st.App`` hook ``dashboard.py`` installs) starts one
background thread that does that work for the default views (the last complete
week, no filters), then for the weekly review and the pairs of each single
filter value (``prefetch.start``), into the same caches the pages read, keyed
on the warehouse version. The server answers at once; a visitor who arrives
while it runs waits only for what is still being computed (Streamlit computes a
cached value once).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger("northstar.ui")
WARMED = "North Star: caches warmed"


def default_view(as_of: dt.date):
    """The view a visitor without filters or a period in the URL sees."""
    from metrics import periods
    from ui.filters import View

    start = periods.last_complete_period(as_of, "week")
    return View((), "week", start, periods.period_end(start, "week"), as_of)


def _import_pages() -> None:
    """What the pages import (Altair alone is ~0.7 s), Altair's schema validator, and what
    Streamlit imports on a first table or chart (pandas and pyarrow, ~0.5 s)."""
    import altair as alt
    import pandas  # noqa: F401  (st.dataframe's first call imports it)
    import polars as pl
    import pyarrow  # noqa: F401  (and pyarrow, to hand a frame to the browser)

    from ui import catalogue, charts, explore, pairs, prefetch, review, tiles  # noqa: F401

    frame = pl.DataFrame({"x": [1]})
    charts.to_spec(alt.Chart(frame).mark_point().encode(x="x:Q"))
    frame.to_arrow()


def warm() -> dict[str, Any]:
    """Imports, the catalogue, the warehouse and every default view's results; returns what
    was warmed (for the log and tests). Never raises: a page shows its own errors."""
    done: dict[str, Any] = {}
    t0 = time.perf_counter()
    from ui import access

    try:
        with access.background():
            _warm(done)
    except Exception as exc:  # no warehouse, a broken config...: the page explains it
        log.info("warm-up stopped early", exc_info=True)
        done["stopped"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    done["seconds"] = time.perf_counter() - t0
    # On the server's console, beside its URL (and for benchmarks that wait for it).
    print(said(done), flush=True)
    return done


def said(done: dict[str, Any]) -> str:
    """What the warm-up did, in one line: what it warmed, or why it stopped."""
    took = f"{done.get('seconds', 0.0):.1f} s"
    if done.get("stopped"):
        return (
            f"North Star: warm-up stopped after {took}: {done['stopped']} (pages compute on view)"
        )
    if done.get("as_of") is None:
        return f"North Star: warm-up found no data to warm after {took} (pages compute on view)"
    built = f"built the sample warehouse in {done['built']:.1f} s, " if done.get("built") else ""
    view = done.get("view")
    what = f"the review and pairs of the week of {view.start:%d %b %Y}" if view else "the catalogue"
    return f"{WARMED} in {took}: {built}data as of {done['as_of']:%d %b %Y}, {what} and each filter value"


def _warm(done: dict[str, Any]) -> None:
    _import_pages()
    from ui import bootstrap, data, prefetch
    from ui.filters import DIMENSIONS

    t0 = time.perf_counter()
    problem = bootstrap.build_if_missing()  # first start: the sample warehouse, then warm it
    if problem:
        raise RuntimeError(problem)
    if time.perf_counter() - t0 > 0.5:
        done["built"] = time.perf_counter() - t0
    data.catalog()
    src = data.source()
    as_of = data.as_of(src)
    for dim in DIMENSIONS:
        data.dimension_values(src, dim)
    done.update(source=src, as_of=as_of)
    if as_of is not None:
        view = default_view(as_of)
        prefetch.start(src, view).join()
        done["view"] = view


def start() -> threading.Thread | None:
    """Warm in a daemon thread that stops with the server (none when warming is off)."""
    from ui import prefetch

    if not prefetch.enabled():
        log.info("warm-up is off (NORTHSTAR_WARM)")
        return None
    return prefetch.background(warm, name="northstar-warmup")


def pages_by_navigation() -> None:
    """Serve the first session's URL through ``st.navigation`` too.

    Until a script first calls ``st.navigation``, Streamlit treats an app beside a
    ``pages/`` folder (ours holds the page scripts) as a folder-of-pages app: the
    first visitor of a link such as ``/data`` got a "Page not found" dialog over the
    right page (Streamlit issue #9992). ``st.navigation`` clears this same flag on
    its first call; clearing it at server start makes the first session like the rest.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """``st.App`` lifespan: the heavy imports first (a page view importing pandas while the
    warm-up thread does sees a half-initialised module), then warm the caches in the
    background while the server already answers."""
    pages_by_navigation()
    _import_pages()
    start()
    yield
