"""A question for another as-of reads the stored models moved there, and gets the live answer.

The sample warehouse's stored models are built for its as-of S. For other
as-ofs (a day, the first-contact window, weeks and months back, and later
than S) every moved model must hold the rows the model computed live at that
as-of holds, and every metric must answer as the live models answer.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import shutil

import duckdb
import pytest

from metrics.catalog import load_catalog
from metrics.materialize import read_materialized
from metrics.moved_models import KEEP, MOVED, moved_models
from metrics.query import default_as_of, execute, run_query, stored_models
from metrics.sqlgen import Compiled, Query, compile_query, model_ctes, settings_params, used_params
from store.warehouse import Warehouse
from tests.conftest import copy_warehouse
from tests.metric_support import CONFIG, catalog_with

CATALOG = load_catalog(CONFIG)
DAYS = (-1, -2, -3, -10, -45, -200, 2)  # the as-ofs tried, in days from the stored models'


@pytest.fixture(scope="session")  # session: the tests run alone (on any worker) share it
def wh(demo_models_build, tmp_path_factory):
    return Warehouse(copy_warehouse(demo_models_build, tmp_path_factory.mktemp("moved")))


@pytest.fixture(scope="session")
def stored_as_of(wh):
    as_of = default_as_of(wh.engine())
    assert stored_models(wh.engine(), CATALOG, as_of) == frozenset(CATALOG.models)
    return as_of


def _same(rows: list[tuple]) -> list[tuple]:
    """Sums of doubles differ in their last bits with the order they are added: 12 digits."""
    return sorted(
        (tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in r) for r in rows),
        key=repr,
    )


def _live_model(cur, name: str, as_of: dt.date) -> list[tuple]:
    sql = f"{model_ctes(CATALOG, [name])}\nSELECT * FROM {name}"
    return execute(cur, Compiled(sql, used_params(sql, settings_params(CATALOG, as_of)))).rows()


def _moved(cur, catalog, as_of, models):
    """``moved_models`` of the warehouse's stored models, read from ``cur``."""
    return moved_models(cur, catalog, read_materialized(cur), as_of, models)


def _moved_tables(wh) -> set[str]:
    rows = wh.cursor().sql(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = $db", params={"db": MOVED}
    )
    return {r[0] for r in rows.fetchall()}


@pytest.mark.alone
@pytest.mark.parametrize("days", DAYS)
@pytest.mark.parametrize("model", list(CATALOG.models))
def test_a_moved_model_holds_the_rows_of_the_live_one(wh, stored_as_of, model, days):
    as_of = stored_as_of + dt.timedelta(days=days)
    cur = wh.engine()
    relation = _moved(cur, CATALOG, as_of, [model])[model]
    moved = cur.con.sql(f"SELECT * FROM {relation}").fetchall()
    live = _live_model(cur, model, as_of)
    assert _same(moved) == _same(live)
    if days < 0:  # the data goes on after the as-of: what moves is not nothing
        assert _same(moved) != _same(cur.con.sql(f"SELECT * FROM models.{model}").fetchall())


@pytest.mark.alone
@pytest.mark.parametrize("days", (-3, -45))
@pytest.mark.parametrize("metric", list(CATALOG.metrics))
def test_every_metric_answers_as_the_live_models_do(wh, stored_as_of, metric, days):
    as_of = stored_as_of + dt.timedelta(days=days)
    by = ("region",) if "region" in CATALOG.dimensions_of(metric) else ()
    q = Query(metrics=(metric,), by=by, grain="week", as_of=as_of)
    cur = wh.engine()
    result = run_query(cur, CATALOG, q)
    assert f"{MOVED}." in result.sql  # answered from the moved models, not live
    live = execute(cur, compile_query(CATALOG, q, as_of))
    assert _same(result.frame.rows()) == _same(live.rows())


def test_cursors_share_a_move_and_few_as_ofs_are_kept(wh, stored_as_of):
    as_of = stored_as_of - dt.timedelta(days=20)
    _moved(wh.engine(), CATALOG, as_of, ["contacts"])
    before = _moved_tables(wh)
    _moved(wh.engine(), CATALOG, as_of, ["contacts"])  # another cursor: nothing to do
    assert _moved_tables(wh) == before
    for n in range(KEEP + 1):
        _moved(wh.engine(), CATALOG, as_of - dt.timedelta(days=n + 1), ["responses"])
    kept = {t.split("_")[0] for t in _moved_tables(wh)}
    assert len(kept) <= KEEP  # the oldest moves were let go
    q = Query(metrics=("fcr",), grain="week", as_of=as_of)  # and come back when asked again
    result = run_query(wh.engine(), CATALOG, q)
    live = execute(wh.engine(), compile_query(CATALOG, q, as_of))
    assert _same(result.frame.rows()) == _same(live.rows())


def test_threads_asking_at_once_get_one_move_and_the_same_answer(wh, stored_as_of):
    as_of = stored_as_of - dt.timedelta(days=33)
    q = Query(metrics=("otif", "fcr", "csat"), by=("region",), grain="week", as_of=as_of)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: run_query(wh.engine(), CATALOG, q).frame, range(4)))
    live = execute(wh.engine(), compile_query(CATALOG, q, as_of))
    assert all(_same(a.rows()) == _same(live.rows()) for a in answers)
    made = _moved_tables(wh)
    assert any(t.startswith(f"m{as_of:%Y%m%d}_") for t in made)
    run_query(wh.engine(), CATALOG, q)  # the move is whole: a later question adds nothing
    assert _moved_tables(wh) == made


def test_models_are_computed_live_when_their_sql_has_no_rule(wh, stored_as_of, tmp_path):
    where = "WHERE CAST(r.responded_at AS DATE) <= $as_of"
    edited = catalog_with(tmp_path, {where: where + " AND r.csat IS NOT NULL"})
    as_of = stored_as_of - dt.timedelta(days=7)
    assert _moved(wh.engine(), edited, as_of, ["responses"]) == {}
    result = run_query(wh.engine(), edited, Query(metrics=("csat",), as_of=as_of))
    assert f"{MOVED}." not in result.sql and "models." not in result.sql


def test_a_move_that_fails_leaves_the_question_to_the_live_models(wh, stored_as_of, tmp_path):
    """Moving is a shortcut: when it cannot be made (here the name it writes to is a read-only
    database), the question is answered from the live models, not refused."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(wh.path, copy)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    mine = Warehouse(copy)
    mine.cursor().execute(f"ATTACH '{other}' AS {MOVED} (READ_ONLY)")
    as_of = stored_as_of - dt.timedelta(days=9)
    q = Query(metrics=("otif", "fcr"), by=("region",), grain="week", as_of=as_of)
    result = run_query(mine.engine(), CATALOG, q)
    assert f"{MOVED}." not in result.sql
    live = execute(mine.engine(), compile_query(CATALOG, q, as_of))
    assert _same(result.frame.rows()) == _same(live.rows())
