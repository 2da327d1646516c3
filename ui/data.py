"""Cached access to the warehouse and the metric engine.

The warehouse is held once per file (``st.cache_resource``); every query result
is cached (``st.cache_data``) under a ``Source`` that carries the warehouse
version and the config file's stamp, so a new load or an edited metrics.yaml
is picked up on the next rerun without a restart.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st

from metrics import clock, home
from metrics.access import AccessError
from metrics.catalog import Catalog, load_catalog
from metrics.contributors import miss_contributors
from metrics.customers import customer_dimension_values
from metrics.errors import ConfigError
from metrics.funnel import promise_funnel, reason_mix
from metrics.query import default_as_of, fetch_rows, run_details, run_query
from metrics.satisfaction import satisfaction_by_otif
from metrics.spec import Settings
from metrics.sqlgen import Query
from store import health
from store.errors import StoreError
from store.lake import Lake
from store.warehouse import Warehouse, default_db_path


def gather(*jobs: Callable[[], object]) -> list:
    """Run independent cached queries at once and return their results in order.

    Each query takes its own cursor and DuckDB releases the GIL while it runs, so
    a page's queries overlap instead of queueing. The first failure is raised
    here, in the page's thread, where ``guarded`` turns it into a message.
    """
    with ThreadPoolExecutor(
        max_workers=max(len(jobs), 1), thread_name_prefix="northstar-query"
    ) as pool:
        from ui import access

        futures = [pool.submit(access.carried(job)) for job in jobs]
        return [f.result() for f in futures]


def config_path() -> Path:
    """``$NORTHSTAR_CONFIG``, else the project folder's metrics.yaml (see ``metrics.home``)."""
    return Path(os.environ.get("NORTHSTAR_CONFIG") or home.metrics_config())


def _stamp(path: Path) -> str:
    try:
        st_ = path.stat()
    except FileNotFoundError:
        return "missing"
    return f"{st_.st_mtime_ns}-{st_.st_size}"


@dataclass(frozen=True)
class Source:
    """What a cached result depends on: warehouse file + version, config file + stamp."""

    db: str
    version: str
    config: str
    config_stamp: str


# Cache keys: Source and Query are frozen dataclasses of plain values, so their repr is a
# stable key, and far cheaper to hash than Streamlit's generic object walk.
_KEYS = {Source: repr, Query: repr}


@st.cache_resource(show_spinner=False)
def _warehouse(path: str) -> Warehouse | Lake:
    return Lake(Path(path)) if lake_path() else Warehouse(Path(path))


def lake_path() -> Path | None:
    """The lake the dashboard reads instead of the warehouse file ($NORTHSTAR_LAKE), if any."""
    return Path(os.environ["NORTHSTAR_LAKE"]) if os.environ.get("NORTHSTAR_LAKE") else None


@st.cache_resource(show_spinner=False, max_entries=8)
def _catalog(path: str, stamp: str) -> Catalog:
    return load_catalog(path)


def catalog() -> Catalog:
    """The metric catalogue (raises ConfigError with every problem)."""
    path = config_path()
    return _catalog(str(path), _stamp(path))


def source() -> Source:
    """The current warehouse and config; raises StoreError when there is no warehouse file."""
    db = lake_path() or default_db_path()
    version = _warehouse(str(db)).version
    if version is None and lake_path():
        raise StoreError(
            f"There is no lake at {db}. Run `northstar load --lake {db} PATH` to write one."
        )
    if version is None:
        raise StoreError(
            f"There is no warehouse at {db}. Run `northstar demo` or "
            f"`northstar load PATH --db {db}` to build one."
        )
    path = config_path()
    return Source(str(db), version, str(path), _stamp(path))


@contextmanager
def cursor(src: Source) -> Iterator[duckdb.DuckDBPyConnection]:
    cur = _warehouse(src.db).cursor()
    try:
        yield cur
    finally:
        cur.close()


def catalog_of(src: Source) -> Catalog:
    return _catalog(src.config, src.config_stamp)


def as_of(src: Source) -> dt.date | None:
    """The default as-of date (never after today), or None when the warehouse holds no dated rows."""
    return _as_of(src, clock.today())


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=_KEYS)
def _as_of(src: Source, today: dt.date) -> dt.date | None:
    with cursor(src) as cur:
        return default_as_of(cur, today)


def staleness(as_of_day: dt.date) -> health.Staleness:
    """How far data as of ``as_of_day`` lags behind today, against ``settings.stale_after_days``
    (the default when the config cannot be read: the page reports that problem itself)."""
    try:
        days = catalog().spec.settings.stale_after_days
    except ConfigError:
        days = Settings().stale_after_days
    return health.staleness(as_of_day, clock.today(), days)


# Every query passes ``scoped`` before its cache: the viewer's row scope is part of the Query,
# so it is bound into the SQL and into the cache key, and a refused metric never runs.


def scoped(src: Source, q: Query, *, company: bool = False) -> Query:
    from ui import access  # ui.access reads the catalogue through this module

    return access.viewer().scoped(catalog_of(src), q, company=company)


def details(src: Source, q: Query, compare: bool = True, *, company: bool = False) -> pl.DataFrame:
    """run_details for the viewer; ``company`` asks for a company-wide metric's whole-company
    total and trend, which the policy may grant beyond the viewer's rows."""
    return _details(src, scoped(src, q, company=company), compare)


@st.cache_data(show_spinner=False, max_entries=2048, hash_funcs=_KEYS)
def _details(src: Source, q: Query, compare: bool) -> pl.DataFrame:
    with cursor(src) as cur:
        return run_details(cur, catalog_of(src), q, compare=compare)


def values(src: Source, q: Query) -> pl.DataFrame:
    return _values(src, scoped(src, q))


@st.cache_data(show_spinner=False, max_entries=2048, hash_funcs=_KEYS)
def _values(src: Source, q: Query) -> pl.DataFrame:
    with cursor(src) as cur:
        return run_query(cur, catalog_of(src), q).values()


def rows(
    src: Source, metric: str, q: Query, failing: bool = False, limit: int = 1000
) -> pl.DataFrame:
    return _rows(src, metric, scoped(src, q.replace(metrics=(metric,))), failing, limit)


@st.cache_data(show_spinner=False, max_entries=256, hash_funcs=_KEYS)
def _rows(src: Source, metric: str, q: Query, failing: bool, limit: int) -> pl.DataFrame:
    with cursor(src) as cur:
        return fetch_rows(cur, catalog_of(src), metric, q, failing=failing, limit=limit)


def funnel(src: Source, q: Query) -> pl.DataFrame:
    return _funnel(src, scoped(src, q.replace(metrics=("measured_orders",))))


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs=_KEYS)
def _funnel(src: Source, q: Query) -> pl.DataFrame:
    with cursor(src) as cur:
        return promise_funnel(cur, catalog_of(src), q)


def reasons_over_time(src: Source, q: Query) -> pl.DataFrame:
    """Missed orders per period and miss reason, with open misses (``q`` has a grain)."""
    return _reasons_over_time(src, scoped(src, q.replace(metrics=("measured_orders",))))


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs=_KEYS)
def _reasons_over_time(src: Source, q: Query) -> pl.DataFrame:
    with cursor(src) as cur:
        return reason_mix(cur, catalog_of(src), q)


def contributors(src: Source, q: Query, dims: tuple[str, ...]) -> dict[str, pl.DataFrame]:
    return _contributors(src, scoped(src, q.replace(metrics=("otif_line",))), dims)


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs=_KEYS)
def _contributors(src: Source, q: Query, dims: tuple[str, ...]) -> dict[str, pl.DataFrame]:
    with cursor(src) as cur:
        return miss_contributors(cur, catalog_of(src), q, dims)


def satisfaction(src: Source, q: Query, as_of_day: dt.date) -> pl.DataFrame:
    return _satisfaction(src, scoped(src, q.replace(metrics=("csat", "nps", "otif"))), as_of_day)


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs=_KEYS)
def _satisfaction(src: Source, q: Query, as_of_day: dt.date) -> pl.DataFrame:
    with cursor(src) as cur:
        return satisfaction_by_otif(cur, catalog_of(src), q, as_of_day)


def dimension_values(src: Source, dim: str) -> list[str]:
    """The values of a customer dimension the viewer may see (for the filters)."""
    from ui import access

    return _dimension_values(src, dim, access.viewer().customer_scope())


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=_KEYS)
def _dimension_values(src: Source, dim: str, scope: tuple) -> list[str]:
    with cursor(src) as cur:
        return customer_dimension_values(cur, dim, scope=scope)


@st.cache_data(show_spinner=False, max_entries=16, hash_funcs=_KEYS)
def freshness(src: Source, as_of_day: dt.date | None) -> pl.DataFrame:
    with cursor(src) as cur:
        return health.freshness(cur, as_of_day)


def load_log(src: Source) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Loads, reject reasons and rejected rows, for a viewer the policy lets see them."""
    from ui import access

    v = access.viewer()
    if not v.data_health:
        raise AccessError(f"{v.who} may not see the load log and rejected rows")
    return _load_log(src)


@st.cache_data(show_spinner=False, max_entries=16, hash_funcs=_KEYS)
def _load_log(src: Source) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    with cursor(src) as cur:
        return health.load_log(cur), health.reject_reasons(cur), health.rejected_rows(cur)
