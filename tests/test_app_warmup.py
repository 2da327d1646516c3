"""The server warms its caches when it starts (``ui/warmup.py``) and after a page view
(``ui/prefetch.py``): what the first page views read is cached, a warm-up that cannot build says
so, a new load is still shown; and the warming threads never stand in a page's way."""

# ruff: noqa: F811  (pytest fixtures imported from the dashboard's test module)
from __future__ import annotations

import os
import threading
import time

import pytest
import streamlit as st

from metrics import customers
from metrics.catalog import load_catalog
from metrics.query import default_as_of, run_query
from metrics.sqlgen import Query
from present import format as fmt
from store.warehouse import Warehouse
from tests.browser_support import build_warehouse
from tests.test_app_pages import (  # noqa: F401 (fresh_caches: autouse here too)
    CONFIG,
    PAGES,
    fresh_caches,
    last_week,
    run_page,
    texts,
)
from ui import data, prefetch, warmup

# ---- the server warms its caches when it starts --------------------------------------------


@pytest.fixture
def empty_caches():
    """Caches emptied first: what a test of warming finds cached, the warm-up put there."""
    st.cache_data.clear()
    st.cache_resource.clear()


def test_warming_is_off_when_the_setting_says_so(demo_db, monkeypatch):
    monkeypatch.setenv("NORTHSTAR_DB", str(demo_db))
    started = []
    monkeypatch.setattr(prefetch, "start", lambda *args: started.append(args))
    src = data.source()
    view = warmup.default_view(data.as_of(src))
    for off in ("off", "0", "false", "no", " OFF "):
        monkeypatch.setenv("NORTHSTAR_WARM", off)
        assert warmup.start() is None
        prefetch.other_pages(src, view)
    assert started == []
    monkeypatch.setenv("NORTHSTAR_WARM", "on")
    prefetch.other_pages(src, view)
    assert started == [(src, view)]


def test_a_warming_thread_is_a_daemon_that_stops_between_queries(monkeypatch):
    ran = threading.Event()
    thread = prefetch.background(ran.set, name="northstar-test")
    thread.join(10)
    assert ran.is_set() and thread.daemon  # it never holds the server's exit
    stop = threading.Event()
    monkeypatch.setattr(prefetch, "_STOP", stop)
    done = []
    jobs = [lambda: done.append(1), stop.set, lambda: done.append(3)]
    prefetch._run(jobs)
    assert done == [1]  # told to stop, it ends before the next query


@pytest.mark.slow
@pytest.mark.alone  # its own caches: on any worker
def test_warm_up_fills_the_caches_the_first_page_view_reads(demo_db, monkeypatch, empty_caches):
    monkeypatch.setenv("NORTHSTAR_DB", str(demo_db))
    done = warmup.warm()
    as_of = default_as_of(Warehouse(demo_db).engine())
    assert done["as_of"] == as_of and done["view"].start == last_week(demo_db)[0]

    def computed_again(*args, **kwargs):
        raise AssertionError("computed again: the warm-up missed it")

    for name in ("run_details", "run_query", "fetch_rows", "default_as_of"):
        monkeypatch.setattr(data, name, computed_again)
    for name in ("promise_funnel", "miss_contributors", "satisfaction_by_otif"):
        monkeypatch.setattr(data, name, computed_again)
    monkeypatch.setattr(data.health, "freshness", computed_again)
    for page in PAGES:
        at = run_page(page, demo_db, {"metric": "otif"} if "explore" in page else None)
        assert not at.exception, at.exception
        assert not at.error, f"{page}: {texts(at.error)}"


@pytest.mark.slow
@pytest.mark.alone  # its own caches: on any worker
def test_warm_up_fills_the_review_and_pairs_of_each_single_filter_value(
    demo_db, monkeypatch, caplog, empty_caches
):
    monkeypatch.setenv("NORTHSTAR_DB", str(demo_db))
    warmup.warm()
    cur = Warehouse(demo_db).engine()
    picks = {
        d: customers.customer_dimension_values(cur, d) for d in ("region", "segment", "portfolio")
    }
    assert all(picks.values())

    def computed_again(*args, **kwargs):
        raise AssertionError("computed again: the warm-up missed it")

    for name in ("run_details", "run_query"):
        monkeypatch.setattr(data, name, computed_again)
    for name in ("promise_funnel", "miss_contributors", "satisfaction_by_otif"):
        monkeypatch.setattr(data, name, computed_again)
    for dim, values in picks.items():
        for page in PAGES[:2]:  # the weekly review and the pairs
            at = run_page(page, demo_db, {dim: values[-1]})
            assert not at.exception and not at.error, texts(at.error)
            assert f"{dim}: {values[-1]}" in texts(at.caption)
    # Two values at once are not warmed: the page computes them.
    at = run_page(PAGES[0], demo_db, {"region": picks["region"][:2]})
    assert at.error and "computed again" in caplog.text  # the page says "failed", the log why


def test_background_warming_waits_while_a_page_view_runs():
    released = threading.Event()
    waiter = threading.Thread(
        target=lambda: (prefetch._after_visitors(patience=60), released.set())
    )
    with prefetch.visiting():
        waiter.start()
        assert not released.wait(0.3)  # held while the view runs
        t0 = time.perf_counter()
        prefetch._after_visitors(patience=0.2)  # and never longer than its patience
        assert time.perf_counter() - t0 >= 0.2
    assert released.wait(10)  # let go when the view ends, not after its patience
    waiter.join()


@pytest.mark.slow
@pytest.mark.alone  # its own caches: on any worker
def test_a_first_start_builds_the_sample_warehouse_then_warms_it(tmp_path, monkeypatch):
    first = tmp_path / "first.duckdb"
    monkeypatch.setenv("NORTHSTAR_DB", str(first))
    done = warmup.warm()
    assert first.exists() and done["built"] > 0 and done["view"].start == last_week(first)[0]
    line = warmup.said(done)
    assert line.startswith(warmup.WARMED) and "built the sample warehouse in" in line
    assert f"week of {done['view'].start:%d %b %Y}" in line


def test_a_warm_up_that_cannot_build_says_so_and_leaves_the_page_to_explain(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("NORTHSTAR_DB", str(tmp_path / "a-file" / "wh.duckdb"))
    done = warmup.warm()
    assert "view" not in done and done["stopped"]
    line = warmup.said(done)
    assert "warm-up stopped after" in line and warmup.WARMED not in line


@pytest.mark.slow
@pytest.mark.alone  # its own caches: on any worker
def test_a_new_load_after_the_warm_up_is_shown(tmp_path, monkeypatch):
    live = tmp_path / "live.duckdb"
    build_warehouse(live, lines=3_000)
    monkeypatch.setenv("NORTHSTAR_DB", str(live))
    warmup.warm()
    before = run_page(PAGES[0], live).metric[0].value
    newer = build_warehouse(tmp_path / "newer.duckdb", lines=9_000)
    start, end = last_week(newer)
    wh = Warehouse(newer)
    expected = run_query(
        wh.engine(), load_catalog(CONFIG), Query(("otif",), date_from=start, date_to=end)
    ).values()["otif"][0]
    wh.close()
    os.replace(newer, live)  # what a load does: swap in a new file
    after = run_page(PAGES[0], live).metric[0].value
    assert after == fmt.value(expected, "percent") and after != before


def test_gather_runs_a_pages_queries_at_once_and_raises_their_failure():
    both_running = threading.Barrier(2, timeout=10)  # broken unless the two jobs overlap
    assert data.gather(
        lambda: both_running.wait() * 0 + 1, lambda: both_running.wait() * 0 + 2
    ) == [1, 2]
    with pytest.raises(ZeroDivisionError):
        data.gather(lambda: 1, lambda: 1 / 0)
