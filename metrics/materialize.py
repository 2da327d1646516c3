"""Materialised models: each model computed once per load, for the default as-of.

A load calls ``refresh_models`` on the new warehouse before it is swapped in,
so the dashboard's first query is as fast as its hundredth. A query uses a
materialised model only when its as-of and the model's fingerprint (its SQL,
its dependencies' SQL and the settings) match; otherwise the model is computed
live from the canonical tables. Analysts also find the models in the
``models`` schema of the warehouse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from metrics.catalog import Catalog
from metrics.sqlgen import STORED_SCHEMA, settings_params, used_params

SCHEMA = STORED_SCHEMA
INFO_TABLE = f"{SCHEMA}.materialized"


@dataclass(frozen=True)
class Materialized:
    as_of: dt.date
    fingerprints: dict[str, str]  # model -> fingerprint

    def usable(self, catalog: Catalog, as_of: dt.date) -> frozenset[str]:
        """Models whose stored rows answer a query at this as-of under this catalogue."""
        if as_of != self.as_of:
            return frozenset()
        return frozenset(m for m, fp in self.fingerprints.items()
                         if m in catalog.models and fp == fingerprint(catalog, m))


def fingerprint(catalog: Catalog, model: str) -> str:
    parts = [catalog.models[m].spec.sql for m in catalog.model_order([model])]
    text = json.dumps([parts, catalog.spec.settings.model_dump()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_materialized(cur: duckdb.DuckDBPyConnection) -> Materialized | None:
    """What the warehouse holds, or None for a warehouse without materialised models."""
    exists = cur.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = $s AND table_name = 'materialized'",
        params={"s": SCHEMA},
    ).fetchall()[0][0]
    if not exists:
        return None
    rows = cur.sql(f"SELECT model, as_of, fingerprint FROM {INFO_TABLE}").fetchall()
    if not rows:
        return None
    return Materialized(rows[0][1], {m: fp for m, _, fp in rows})


def refresh_models(con: duckdb.DuckDBPyConnection, catalog: Catalog, as_of: dt.date | None) -> list[str]:
    """(Re)build every model as a table for ``as_of``; with no as-of (no data) drop them."""
    con.sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    con.sql(f"CREATE SCHEMA {SCHEMA}")
    con.sql(f"CREATE TABLE {INFO_TABLE} (model VARCHAR, as_of DATE, fingerprint VARCHAR)")
    if as_of is None:
        return []
    built: list[str] = []
    for name in catalog.model_order(list(catalog.models)):
        deps = catalog.models[name].deps
        prefix = ("WITH " + ", ".join(f"{d} AS (SELECT * FROM {SCHEMA}.{d})" for d in deps) + "\n") if deps else ""
        sql = f"CREATE TABLE {SCHEMA}.{name} AS\n{prefix}SELECT * FROM (\n{catalog.models[name].spec.sql}\n)"
        con.sql(sql, params=used_params(sql, settings_params(catalog, as_of)))
        con.sql(f"INSERT INTO {INFO_TABLE} VALUES ($m, $a, $f)",
                params={"m": name, "a": as_of, "f": fingerprint(catalog, name)})
        built.append(name)
    return built


def refresher(config_path: Path | str) -> Callable[[duckdb.DuckDBPyConnection], str | None]:
    """The step a load runs before its swap: rebuild the models for the new data's as-of.

    With an invalid or missing metrics.yaml the stored models are only dropped
    (queries then compute models live, once the configuration is fixed): never
    left stale. The step then returns a note saying so.
    """

    def refresh(con: duckdb.DuckDBPyConnection) -> str | None:
        from metrics.catalog import load_catalog
        from metrics.errors import ConfigError
        from metrics.query import default_as_of

        try:
            catalog = load_catalog(config_path)
        except ConfigError as exc:
            con.sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            first = str(exc).strip().splitlines()[0]
            return (f"stored metric models not rebuilt (queries compute them live until the next load): "
                    f"{first}")
        refresh_models(con, catalog, default_as_of(con))
        return None

    return refresh
