"""Stored models moved to another as-of: a query for a past (or later) as-of in seconds.

The stored models answer the as-of they were built for (S). For another
as-of X, the rows that differ are exactly those a load's changes would alter
if the as-of moved between X and S: the rules of metrics/model_changes.py
name them, with the window (min(X, S), max(X, S)] and no changed rows. So for
each model, in dependency order, the partitions those rules touch are
recomputed at X (from the input rows restricted to them, dependencies read
from their moved versions), and the model at X is the stored table without
those partitions plus the recomputed ones: the same rows as computing the
model live at X.

The recomputed partitions are kept in an in-memory database attached to the
warehouse connection (``moved``), shared by its cursors: the first question
at an as-of pays for the move, the next ones read it. A few as-ofs are kept;
a new warehouse file comes with a new connection and none. Without a rule
for a model (its SQL was changed in metrics.yaml), or on another engine,
nothing is moved and the query computes the models live; so it does when a
move fails (out of memory, say).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import re
import threading

from metrics.catalog import Catalog
from metrics.engine import Compiled, Engine, as_engine, execute
from metrics.errors import MetricsError
from metrics.materialize import Materialized, stored_model_select
from metrics.model_changes import CHANGES_SCHEMA, Rule, rule_for
from metrics.sqlgen import STORED_SCHEMA, settings_params, used_params

MOVED = "moved"  # the attached in-memory database that holds the moved partitions
KEEP = 4  # as-ofs kept there; moving to one more drops the others
WORKERS = 2  # statements of a move run at once (those that need no table the other makes)

_CHANGES_REF = re.compile(rf"\b{CHANGES_SCHEMA}\.(\w+)\b")
_STORED_REF = re.compile(rf"\b{STORED_SCHEMA}\.(\w+)\b")
_OWN_PARTS = re.compile(
    rf"SELECT \* FROM {STORED_SCHEMA}\.(\w+) WHERE (\w+) IN \(SELECT v FROM {CHANGES_SCHEMA}\.t_(\w+)\)"
)
_LOCK = threading.Lock()  # one move at a time, so two threads never build the same tables


def moved_models(
    cur: Engine | object, catalog: Catalog, stored: Materialized, as_of: dt.date, wanted: list[str]
) -> dict[str, str]:
    """Model -> relation (a parenthesised SELECT) holding the ``stored`` models moved to ``as_of``,
    for the ``wanted`` models and their dependencies; {} when the stored models cannot be moved
    (none, stale, a model without its rule, not DuckDB)."""
    engine = as_engine(cur)
    if engine.dialect != "duckdb":
        return {}
    if set(stored.usable(catalog, stored.as_of)) != set(catalog.models):
        return {}
    rules = {n: rule_for(catalog, n) for n in catalog.models}
    moved = catalog.model_order(wanted)
    chosen = set(moved)  # models whose touched partitions are found: the moved ones, and
    while True:  # those whose partitions their rules read (``changes.t_<model>``)
        if any(rules[n] is None for n in chosen):
            return {}
        refs = {t[2:] for n in chosen for t in _tables(rules[n]) if t.startswith("t_")}
        if not refs <= set(catalog.models):
            return {}
        if refs <= chosen:
            break
        chosen |= refs
    key = _key(stored, as_of)
    with _LOCK:
        try:
            _run(engine, f"ATTACH IF NOT EXISTS ':memory:' AS {MOVED} (READ_WRITE)", {})
            have = _forget_others(engine, key)
            _move(engine, catalog, stored, as_of, key, rules, chosen, set(moved), have)
        except MetricsError:  # moving is a shortcut: without it the models are computed live
            return {}
    return {n: _relation(key, n, rules[n]) for n in moved}


def _move(engine, catalog, stored, as_of, key, rules, chosen, moved, have) -> None:
    """Create the touched (``t_``) and recomputed (``p_``) tables not kept from before."""

    def local(sql: str) -> str:
        """A rule's SQL on the moved tables: no changed rows, earlier models moved."""

        def own(m: re.Match) -> str:  # a moved model's rows of its own touched partitions
            model, column, part = m.groups()  # are its recomputed ones
            rule = rules.get(model)
            if part != model or rule is None or column != rule.column:
                return m.group(0)
            return f"SELECT * FROM {_name(key, f'p_{model}')}"

        sql = _OWN_PARTS.sub(own, sql)
        sql = _CHANGES_REF.sub(lambda m: _name(key, m.group(1)), sql)
        return _STORED_REF.sub(lambda m: _relation(key, m.group(1), rules[m.group(1)]), sql)

    lo, hi = sorted((as_of, stored.as_of))
    window = settings_params(catalog, hi) | {"old_as_of": lo}
    at_x = settings_params(catalog, as_of)
    tasks: dict[str, tuple[set[str], str, dict[str, object]]] = {}  # table -> needs, SQL, params
    for table in sorted({t for n in chosen for t in _tables(rules[n]) if not t.startswith("t_")}):
        # stands in for the load's changed rows: none
        tasks[table] = (set(), f"CREATE TABLE {_name(key, table)} AS FROM main.{table} LIMIT 0", {})
    for name in catalog.model_order(sorted(chosen)):
        rule = rules[name]
        if name not in chosen or rule is None:
            continue  # a dependency of a chosen model that no rule reads
        touched = _name(key, f"t_{name}")
        sql = (
            f"CREATE TABLE {touched} AS SELECT DISTINCT v"
            f" FROM ({local(rule.touched)}) AS t(v) WHERE v IS NOT NULL"
        )
        tasks[f"t_{name}"] = (set(_tables(rule)), sql, window)
        if name not in moved:
            continue
        inputs = {table: local(select) for table, select in rule.inputs.items()}
        source = lambda dep: _relation(key, dep, rules[dep])  # noqa: E731
        select = stored_model_select(catalog, name, inputs, source=source, inputs_first=True)
        sql = (
            f"CREATE TABLE {_name(key, f'p_{name}')} AS SELECT * FROM (\n{select}\n)"
            f" WHERE {rule.column} IN (SELECT v FROM {touched})"
        )
        deps = catalog.models[name].deps
        needs = {f"t_{name}", *_CHANGES_REF.findall(" ".join(rule.inputs.values()))}
        tasks[f"p_{name}"] = (needs | {f"{k}_{d}" for d in deps for k in "tp"}, sql, at_x)
    _run_graph(engine, {t: v for t, v in tasks.items() if _name(key, t) not in have})


def _run_graph(engine: Engine, tasks: dict[str, tuple[set[str], str, dict[str, object]]]) -> None:
    """Run each statement once the tables it needs are made, two at a time on cursors of their
    own (one after the other on an engine that cannot fork)."""
    fork = getattr(engine, "fork", None)
    done: set[str] = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS if fork else 1) as pool:
        running: dict[concurrent.futures.Future, str] = {}
        while len(done) < len(tasks):
            for name, (needs, sql, params) in tasks.items():
                ready = all(n in done or n not in tasks for n in needs)
                if ready and name not in done and name not in running.values():
                    runner = fork() if fork else engine
                    running[pool.submit(_run, runner, sql, params)] = name
            if not running:
                raise MetricsError(f"cannot order the statements of a move: {sorted(tasks)}")
            finished, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in finished:
                future.result()  # a failure stops the move (what was made stays, and is whole)
                done.add(running.pop(future))


def _key(stored: Materialized, as_of: dt.date) -> str:
    """Names the moved tables by the as-of and the stored models they were moved from."""
    basis = repr((stored.as_of, sorted(stored.fingerprints.items()))).encode()
    return f"{as_of:%Y%m%d}_{hashlib.sha256(basis).hexdigest()[:8]}"


def _name(key: str, part: str) -> str:
    return f"{MOVED}.m{key}_{part}"


def _relation(key: str, name: str, rule: Rule | None) -> str:
    """The model at the moved as-of: its stored rows but the touched ones, and the recomputed."""
    assert rule is not None
    return (
        f"(SELECT s.* FROM {STORED_SCHEMA}.{name} s"
        f" ANTI JOIN {_name(key, f't_{name}')} t ON s.{rule.column} = t.v"
        f" UNION ALL SELECT * FROM {_name(key, f'p_{name}')})"
    )


def _forget_others(engine: Engine, key: str) -> set[str]:
    """The moved tables kept for ``key`` (qualified names); drops the others once more than
    KEEP as-ofs are kept."""
    rows = execute(
        engine,
        Compiled("SELECT table_name FROM duckdb_tables() WHERE database_name = $db", {"db": MOVED}),
    ).rows()
    names = [r[0] for r in rows]
    keys = {_key_of(n) for n in names}
    if len(keys - {key}) >= KEEP:
        for n in names:
            if _key_of(n) != key:
                _run(engine, f"DROP TABLE {MOVED}.{n}", {})
        names = [n for n in names if _key_of(n) == key]
    return {f"{MOVED}.{n}" for n in names if _key_of(n) == key}


def _key_of(table: str) -> str:
    """The key of a moved table's name ``m<date>_<hash>_<part>``."""
    date, digest, _ = table[1:].split("_", 2)
    return f"{date}_{digest}"


def _tables(rule: Rule | None) -> list[str]:
    """The names a rule's touched SQL reads in the changes schema."""
    return _CHANGES_REF.findall(rule.touched) if rule else []


def _run(engine: Engine, sql: str, params: dict[str, object]) -> None:
    execute(engine, Compiled(sql, used_params(sql, params)))
