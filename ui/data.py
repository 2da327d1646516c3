"""Cached access to the store and the metric engine.

The store (``store.engines.open_store``: the warehouse file, or the lake of $NORTHSTAR_LAKE)
is held once per path (``st.cache_resource``) and lends each query an engine on its newest
data; every query result is cached (``st.cache_data``) under a ``Source`` that carries the
data version and the config file's stamp, so a new load or an edited metrics.yaml is picked
up on the next rerun without a restart.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import streamlit as st

from metrics import clock
from metrics.access import AccessError
from metrics.catalog import Catalog
from metrics.contributors import miss_contributors
from metrics.customers import CUSTOMER_DIMS, customer_dimension_values
from metrics.details import run_details
from metrics.engine import Engine
from metrics.errors import ConfigError
from metrics.funnel import promise_funnel, reason_mix
from metrics.query import default_as_of, fetch_rows, run_query
from metrics.satisfaction import satisfaction_by_otif
from metrics.spec import Settings
from metrics.sqlgen import Query
from store import health
from store.engines import open_store
from store.errors import StoreError
from store.lake import Lake
from store.warehouse import Warehouse, default_db_path
from ui import access
from ui.config import catalog, catalog_at, config_path, stamp


def gather(*jobs: Callable[[], object]) -> list:
    """Run independent cached queries at once and return their results in order.

    Each query takes its own engine and DuckDB releases the GIL while it runs, so
    a page's queries overlap instead of queueing. The first failure is raised
    here, in the page's thread, where ``guarded`` turns it into a message.
    """
    with ThreadPoolExecutor(
        max_workers=max(len(jobs), 1), thread_name_prefix="northstar-query"
    ) as pool:
        futures = [pool.submit(access.carried(job)) for job in jobs]
        return [f.result() for f in futures]


@dataclass(frozen=True)
class Source:
    """What a cached result depends on: warehouse file or lake + data version, config file +
    stamp."""

    db: str
    lake: str | None
    version: str
    config: str
    config_stamp: str


# Cache keys: Source and Query are frozen dataclasses of plain values, so their repr is a
# stable key, and far cheaper to hash than Streamlit's generic object walk.
_KEYS = {Source: repr, Query: repr}


def lake_path() -> Path | None:
    """The lake the dashboard reads instead of the warehouse file ($NORTHSTAR_LAKE), if any."""
    return Path(os.environ["NORTHSTAR_LAKE"]) if os.environ.get("NORTHSTAR_LAKE") else None


@st.cache_resource(show_spinner=False)
def _store(db: str, lake: str | None) -> Warehouse | Lake:
    return open_store(Path(db), Path(lake) if lake else None)


def source() -> Source:
    """The current store and config; raises StoreError when there is no warehouse file or lake."""
    db, lake = default_db_path(), lake_path()
    where = (str(db), str(lake) if lake else None)
    version = _store(*where).version
    if version is None and lake:
        raise StoreError(
            f"There is no lake at {lake}. Run `northstar load --lake {lake} PATH` to write one."
        )
    if version is None:
        raise StoreError(
            f"There is no warehouse at {db}. Run `northstar demo` or "
            f"`northstar load PATH --db {db}` to build one."
        )
    path = config_path()
    return Source(*where, version, str(path), stamp(path))


@contextmanager
def engine(src: Source) -> Iterator[Engine]:
    """An engine of its own for one query, on the newest data (a new load closes the old)."""
    own = _store(src.db, src.lake).engine()
    try:
        yield own
    finally:
        own.close()


def catalog_of(src: Source) -> Catalog:
    return catalog_at(src.config, src.config_stamp)


def as_of(src: Source) -> dt.date | None:
    """The default as-of date (never after today), or None when the warehouse holds no dated rows."""
    return _as_of(src, clock.today())


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=_KEYS)
def _as_of(src: Source, today: dt.date) -> dt.date | None:
    with engine(src) as eng:
        return default_as_of(eng, today)


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
    return access.viewer().scoped(catalog_of(src), q, company=company)


def details(src: Source, q: Query, compare: bool = True, *, company: bool = False) -> pl.DataFrame:
    """run_details for the viewer; ``company`` asks for a company-wide metric's whole-company
    total and trend, which the policy may grant beyond the viewer's rows."""
    return _details(src, scoped(src, q, company=company), compare)


@st.cache_data(show_spinner=False, max_entries=2048, hash_funcs=_KEYS)
def _details(src: Source, q: Query, compare: bool) -> pl.DataFrame:
    with engine(src) as eng:
        return run_details(eng, catalog_of(src), q, compare=compare)


def values(src: Source, q: Query) -> pl.DataFrame:
    return _values(src, scoped(src, q))


@st.cache_data(show_spinner=False, max_entries=2048, hash_funcs=_KEYS)
def _values(src: Source, q: Query) -> pl.DataFrame:
    with engine(src) as eng:
        return run_query(eng, catalog_of(src), q).values()


def rows(
    src: Source, metric: str, q: Query, failing: bool = False, limit: int = 1000
) -> pl.DataFrame:
    return _rows(src, metric, scoped(src, q.replace(metrics=(metric,))), failing, limit)


@st.cache_data(show_spinner=False, max_entries=256, hash_funcs=_KEYS)
def _rows(src: Source, metric: str, q: Query, failing: bool, limit: int) -> pl.DataFrame:
    with engine(src) as eng:
        return fetch_rows(eng, catalog_of(src), metric, q, failing=failing, limit=limit)


def funnel(src: Source, q: Query) -> pl.DataFrame:
    return _funnel(src, scoped(src, q.replace(metrics=("measured_orders",))))


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs=_KEYS)
def _funnel(src: Source, q: Query) -> pl.DataFrame:
    with engine(src) as eng:
        return promise_funnel(eng, catalog_of(src), q)


def reasons_over_time(src: Source, q: Query) -> pl.DataFrame:
    """Missed orders per period and miss reason, with open misses (``q`` has a grain)."""
    return _reasons_over_time(src, scoped(src, q.replace(metrics=("measured_orders",))))


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs=_KEYS)
def _reasons_over_time(src: Source, q: Query) -> pl.DataFrame:
    with engine(src) as eng:
        return reason_mix(eng, catalog_of(src), q)


def contributors(src: Source, q: Query, dims: tuple[str, ...]) -> dict[str, pl.DataFrame]:
    return _contributors(src, scoped(src, q.replace(metrics=("otif_line",))), dims)


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs=_KEYS)
def _contributors(src: Source, q: Query, dims: tuple[str, ...]) -> dict[str, pl.DataFrame]:
    with engine(src) as eng:
        return miss_contributors(eng, catalog_of(src), q, dims)


def satisfaction(src: Source, q: Query, as_of_day: dt.date) -> pl.DataFrame:
    return _satisfaction(src, scoped(src, q.replace(metrics=("csat", "nps", "otif"))), as_of_day)


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs=_KEYS)
def _satisfaction(src: Source, q: Query, as_of_day: dt.date) -> pl.DataFrame:
    with engine(src) as eng:
        return satisfaction_by_otif(eng, catalog_of(src), q, as_of_day)


def on_customers() -> bool:
    """Whether the viewer's rows are customers' (all rows, a portfolio...), not rows customers
    do not carry (a site's dispatch)."""
    return all(dim in CUSTOMER_DIMS for dim, _ in access.viewer().scope)


def dimension_values(src: Source, dim: str) -> list[str]:
    """The values of a customer dimension the viewer may see (for the filters): of their
    customers, or for rows by a site, those found in their rows."""
    if not on_customers():
        return row_values(src, dim)
    return _dimension_values(src, dim, access.viewer().customer_scope())


def row_values(src: Source, dim: str) -> list[str]:
    """The values ``dim`` takes in the viewer's rows: the split by ``dim`` of the first metric
    they may see that has it, over all dates (none when no such metric)."""
    cat = catalog_of(src)
    names = [m for m in access.viewer().visible_metrics(cat) if dim in cat.dimensions_of(m)]
    if not names:
        return []
    found = values(src, Query(metrics=(names[0],), by=(dim,)))[dim].drop_nulls().unique()
    return sorted(str(v) for v in found)


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=_KEYS)
def _dimension_values(src: Source, dim: str, scope: tuple) -> list[str]:
    with engine(src) as eng:
        return customer_dimension_values(eng, dim, scope=scope)


@st.cache_data(show_spinner=False, max_entries=16, hash_funcs=_KEYS)
def freshness(src: Source, as_of_day: dt.date | None) -> pl.DataFrame:
    with engine(src) as eng:
        return health.freshness(eng, as_of_day)


def load_log(src: Source) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Loads, reject reasons and rejected rows, for a viewer the policy lets see them."""
    v = access.viewer()
    if not v.data_health:
        raise AccessError(f"{v.who} may not see the load log and rejected rows")
    return _load_log(src)


@st.cache_data(show_spinner=False, max_entries=16, hash_funcs=_KEYS)
def _load_log(src: Source) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    with engine(src) as eng:
        return health.load_log(eng), health.reject_reasons(eng), health.rejected_rows(eng)
