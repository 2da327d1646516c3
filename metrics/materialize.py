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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from metrics.as_of import default_as_of
from metrics.catalog import Catalog, load_catalog
from metrics.engine import Compiled, Engine, as_engine, execute
from metrics.errors import ConfigError
from metrics.model_changes import CHANGES_SCHEMA, rule_for
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
        return frozenset(
            m
            for m, fp in self.fingerprints.items()
            if m in catalog.models and fp == fingerprint(catalog, m)
        )


def fingerprint(catalog: Catalog, model: str) -> str:
    return catalog.fingerprints[model]


def read_materialized(cur: Engine) -> Materialized | None:
    """What the warehouse holds, or None for a warehouse without materialised models."""
    exists = _count(
        cur,
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = $s AND table_name = 'materialized'",
        s=SCHEMA,
    )
    if not exists:
        return None
    rows = execute(cur, Compiled(f"SELECT model, as_of, fingerprint FROM {INFO_TABLE}")).rows()
    if not rows:
        return None
    return Materialized(rows[0][1], {m: fp for m, _, fp in rows})


def _run(con: Engine, sql: str, **params: object) -> None:
    execute(con, Compiled(sql, params))


def _count(con: Engine, sql: str, **params: object) -> int:
    return execute(con, Compiled(sql, params)).item()


def refresh_models(con: Engine, catalog: Catalog, as_of: dt.date | None) -> list[str]:
    """(Re)build every model as a table for ``as_of``; with no as-of (no data) drop them."""
    _run(con, f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    _run(con, f"CREATE SCHEMA {SCHEMA}")
    _run(con, f"CREATE TABLE {INFO_TABLE} (model VARCHAR, as_of DATE, fingerprint VARCHAR)")
    if as_of is None:
        return []
    built: list[str] = []
    for name in catalog.model_order(list(catalog.models)):
        _build(con, catalog, name, as_of)
        _run(
            con,
            f"INSERT INTO {INFO_TABLE} VALUES ($m, $a, $f)",
            m=name,
            a=as_of,
            f=fingerprint(catalog, name),
        )
        built.append(name)
    return built


def stored_model_select(
    catalog: Catalog,
    name: str,
    inputs: dict[str, str],
    source: Callable[[str], str] = lambda model: f"{SCHEMA}.{model}",
    *,
    inputs_first: bool = False,
) -> str:
    """The model's SELECT: dependencies read from their stored tables (or ``source(dep)``),
    ``inputs`` standing in for tables.

    ``inputs_first`` (DuckDB only) has each input computed before the model joins
    it. Inputs restricted to a few partitions then cut the base tables down first;
    inline, DuckDB may join a whole table (10M shipments) and restrict it after.
    """
    how = " MATERIALIZED" if inputs_first else ""
    ctes = {d: f"{d} AS (SELECT * FROM {source(d)})" for d in catalog.models[name].deps}
    ctes |= {n: f"{n} AS{how} ({sql})" for n, sql in inputs.items()}
    prefix = f"WITH {', '.join(ctes.values())}\n" if ctes else ""
    return f"{prefix}SELECT * FROM (\n{catalog.model_sql(name)}\n)"


def _build(con: Engine, catalog: Catalog, name: str, as_of: dt.date) -> None:
    sql = f"CREATE OR REPLACE TABLE {SCHEMA}.{name} AS\n{stored_model_select(catalog, name, {})}"
    _run(con, sql, **used_params(sql, settings_params(catalog, as_of)))


# A model whose changed partitions hold more than this share of its rows is rebuilt whole.
WHOLE_SHARE = 0.25


def refresh_changed(con: Engine, catalog: Catalog, as_of: dt.date | None) -> list[str] | None:
    """Recompute only the stored rows the load's changes can alter; None when that cannot be done.

    It needs the changes the load recorded (``changes`` schema), stored models
    for this catalogue at an as-of no later than ``as_of``, and a rule for every
    model (metrics/model_changes.py). The result equals ``refresh_models``.
    Returns the models of which some rows were recomputed.
    """
    exists = _count(
        con,
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $s",
        s=CHANGES_SCHEMA,
    )
    stored = read_materialized(con) if exists else None
    if stored is None or as_of is None or stored.as_of > as_of:
        return None
    names = catalog.model_order(list(catalog.models))
    rules = {n: rule_for(catalog, n) for n in names}
    current = set(stored.fingerprints) == set(stored.usable(catalog, stored.as_of)) == set(names)
    if not current or None in rules.values():
        return None
    params = settings_params(catalog, as_of) | {"old_as_of": stored.as_of}
    changed: list[str] = []
    for name in names:
        rule = rules[name]
        assert rule is not None
        touched = f"{CHANGES_SCHEMA}.t_{name}"
        sql = f"CREATE TABLE {touched} AS SELECT DISTINCT v FROM ({rule.touched}) AS t(v)"
        _run(con, sql, **used_params(sql, params))
        n_touched = _count(con, f"SELECT count(*) FROM {touched}")
        if n_touched == 0:
            continue
        changed.append(name)
        n_rows = _count(con, f"SELECT count(*) FROM {SCHEMA}.{name}")
        if n_touched > WHOLE_SHARE * n_rows:
            _build(con, catalog, name, as_of)
            continue
        _run(con, f"DELETE FROM {SCHEMA}.{name} WHERE {rule.column} IN (SELECT v FROM {touched})")
        select = stored_model_select(catalog, name, rule.inputs, inputs_first=True)
        sql = (
            f"INSERT INTO {SCHEMA}.{name} SELECT * FROM (\n{select}\n)"
            f" WHERE {rule.column} IN (SELECT v FROM {touched})"
        )
        _run(con, sql, **used_params(sql, params))
    _run(con, f"UPDATE {INFO_TABLE} SET as_of = $a", a=as_of)
    return changed


def refresher(config_path: Path | str) -> Callable[[object], str | None]:
    """The step a load runs before its swap: bring the models to the new data's as-of.

    After a load that recorded its changes, only the rows they can alter are
    recomputed (``refresh_changed``); otherwise every model is rebuilt.

    With an invalid or missing metrics.yaml the stored models are only dropped
    (queries then compute models live, once the configuration is fixed): never
    left stale. The step then returns a note saying so.
    """

    def refresh(runner: object) -> str | None:
        con = as_engine(runner)
        try:
            catalog = load_catalog(config_path)
        except ConfigError as exc:
            _run(con, f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            first = str(exc).strip().splitlines()[0]
            return (
                f"stored metric models not rebuilt (queries compute them live until the next load): "
                f"{first}"
            )
        as_of = default_as_of(con)
        if refresh_changed(con, catalog, as_of) is None:
            refresh_models(con, catalog, as_of)
        return None

    return refresh
