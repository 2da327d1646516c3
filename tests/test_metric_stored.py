"""Models stored by a load answer exactly as the live models do, and never go stale."""

from __future__ import annotations

import shutil

import pytest

from connectors.load import load_paths
from metrics.catalog import load_catalog
from metrics.materialize import read_materialized, refresher
from metrics.query import default_as_of, execute, run_query, stored_models
from metrics.sqlgen import Query, compile_query
from tests.metric_support import CONFIG, FIXTURE, engine

CATALOG = load_catalog(CONFIG)


@pytest.fixture()
def db(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "extracts")
    path = tmp_path / "w.duckdb"
    load_paths(path, [tmp_path / "extracts"], progress=False, finalize=refresher(CONFIG))
    return path


@pytest.mark.parametrize("by", [(), ("region",)])
def test_stored_models_answer_like_live_ones(db, by):
    cur = engine(db)
    as_of = default_as_of(cur)
    assert stored_models(cur, CATALOG, as_of) == frozenset(CATALOG.models)
    metrics = tuple(n for n in CATALOG.metrics if set(by) <= set(CATALOG.dimensions_of(n)))
    q = Query(metrics=metrics, by=by, grain="week", as_of=as_of)
    stored = compile_query(CATALOG, q, as_of, stored_models(cur, CATALOG, as_of))
    live = compile_query(CATALOG, q, as_of)
    assert "models." in stored.sql and "models." not in live.sql
    assert execute(cur, stored).to_dicts() == execute(cur, live).to_dicts()


def test_another_as_of_computes_models_live(db):
    cur = engine(db)
    assert stored_models(cur, CATALOG, default_as_of(cur).replace(day=1)) == frozenset()


def test_a_load_rebuilds_the_models(db, tmp_path):
    before = (
        run_query(engine(db), CATALOG, Query(metrics=("contacts", "aht_sec")))
        .values()
        .to_dicts()[0]
    )
    extra = tmp_path / "calls_extra.csv"
    extra.write_text(
        "call_id,customer_id,started_at,talk_sec,abandoned\nK99,C1,2026-03-10 10:00:00,1000,false\n"
    )
    load_paths(db, [extra], progress=False, finalize=refresher(CONFIG))
    after = (
        run_query(engine(db), CATALOG, Query(metrics=("contacts", "aht_sec")))
        .values()
        .to_dicts()[0]
    )
    assert after["contacts"] == before["contacts"] + 1 and after["aht_sec"] > before["aht_sec"]


def test_an_invalid_config_drops_stored_models_instead_of_leaving_them_stale(db, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(CONFIG.read_text().replace("direction: up\n", "direction: upward\n", 1))
    extra = tmp_path / "calls_more.csv"
    extra.write_text("call_id,started_at\nK98,2026-03-10 10:00:00\n")
    report = load_paths(db, [extra], progress=False, finalize=refresher(broken))
    assert read_materialized(engine(db)) is None
    assert (
        "stored metric models not rebuilt" in report.finalize_note
        and "direction" in report.finalize_note
    )
    assert run_query(engine(db), CATALOG, Query(metrics=("contacts",))).values().item() == 10
