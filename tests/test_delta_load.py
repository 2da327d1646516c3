"""A daily delta recomputes only the stored model rows it can change, and ends where a full load ends.

Warehouse A loads the base and the delta extracts in one load (every model
built whole); warehouse B loads the base, then the delta (only the partitions
the delta can change are recomputed). Their stored models must be equal row for
row, and every metric of the catalogue must answer the same by week.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from benchmarks.delta import split
from connectors.load import load_paths
from generator.run import Options, generate
from metrics.catalog import load_catalog
from metrics.materialize import read_materialized, refresh_changed, refresh_models, refresher
from metrics.model_changes import rule_for
from metrics.query import default_as_of, run_query, stored_models
from metrics.sqlgen import Query
from tests.metric_support import CONFIG, FIXTURE, catalog_with, engine

CATALOG = load_catalog(CONFIG)


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _append(path: Path, header: list[str], rows: list[list[str]]) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        if new:
            w.writerow(header)
        w.writerows(rows)


def _edited(base: Path, delta: Path, table: str, edits: list[tuple[int, dict[str, str]]]) -> None:
    """Add to the delta changed versions of base rows (same key): the updates a daily extract brings."""
    header, rows = _rows(base / f"{table}.csv")
    good = [r for r in rows if len(r) == len(header)]
    out = []
    for i, change in edits:
        row = dict(zip(header, good[i]))
        row.update(change)
        out.append([row[h] for h in header])
    _append(delta / f"{table}.csv", header, out)


def _calls_that_change_a_repeat(base: Path) -> list[tuple[int, dict[str, str]]]:
    """Move a contact that repeats an earlier one (same customer, within a day) a month on, and
    a contact that repeats nothing back to an hour after an earlier one: the earlier contacts'
    first-contact resolution changes, though they are not in the delta themselves."""
    header, rows = _rows(base / "calls.csv")
    good = [
        (i, dict(zip(header, r))) for i, r in enumerate(r for r in rows if len(r) == len(header))
    ]
    good = [
        (i, r)
        for i, r in good
        if r["customer_id"] and "2026-02-01" < r["started_at"] < "2026-05-01"
    ]
    by_customer: dict[str, list[tuple[int, dict]]] = {}
    for i, r in sorted(good, key=lambda x: x[1]["started_at"]):
        by_customer.setdefault(r["customer_id"], []).append((i, r))

    def at(r: dict) -> dt.datetime:
        return dt.datetime.fromisoformat(r["started_at"])

    repeat = lone = None
    for calls in by_customer.values():
        for (_, a), (j, b), (_, c) in zip(calls, calls[1:], calls[2:]):
            if (
                repeat is None
                and at(b) - at(a) < dt.timedelta(days=1)
                and at(c) - at(a) > dt.timedelta(days=8)
            ):
                repeat = (j, {"started_at": str(at(b) + dt.timedelta(days=30))})
                break
            if lone is None and at(b) - at(a) > dt.timedelta(days=20):
                lone = (j, {"started_at": str(at(a) + dt.timedelta(hours=1))})
                break
    assert repeat and lone
    return [repeat, lone]


def _make_extracts(tmp: Path) -> tuple[Path, Path]:
    full = tmp / "generated"
    generate(Options(out=full, lines=4_000, seed=7))
    base, delta = split(full, tmp / "split", share=0.05)
    _, orders = _rows(base / "orders.csv")
    _, customers = _rows(base / "customers.csv")
    _edited(
        base,
        delta,
        "orders",
        [
            (5, {"status": "cancelled"}),
            (40, {"qty_ordered": "999"}),
            (len(orders) - 30, {"requested_date": "2025-12-01"}),
        ],
    )
    _edited(
        base,
        delta,
        "shipments",
        [(3, {"qty_shipped": "1"}), (50, {"delivered_date": ""}), (-20, {"qty_damaged": "1"})],
    )
    _edited(
        base,
        delta,
        "calls",
        [
            (10, {"customer_id": customers[1][0]}),
            (-40, {"resolved": "false"}),
            *_calls_that_change_a_repeat(base),
        ],
    )
    _edited(base, delta, "surveys", [(7, {"csat": "1"})])
    _edited(base, delta, "customers", [(2, {"region": "Far North"})])
    later = os.stat(base / "orders.csv").st_mtime + 7200
    for p in delta.glob("*.csv"):
        os.utime(p, (later, later))
    return base, delta


def _refreshing(partial: list):
    """A load's model step that notes what the partial refresh did (None: it could not, so all rebuilt)."""

    def refresh(con) -> None:
        as_of = default_as_of(con)
        partial.append(refresh_changed(con, CATALOG, as_of))
        if partial[-1] is None:
            refresh_models(con, CATALOG, as_of)

    return refresh


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("delta")
    base, delta = _make_extracts(tmp)
    whole, stepped = tmp / "whole.duckdb", tmp / "stepped.duckdb"
    load_paths(whole, [base, delta], progress=False, max_reject_share=1, finalize=refresher(CONFIG))
    load_paths(stepped, [base], progress=False, max_reject_share=1, finalize=refresher(CONFIG))
    before = read_materialized(engine(stepped)).as_of
    shutil.copyfile(stepped, tmp / "command.duckdb")
    partial: list = []
    refresh = _refreshing(partial)
    load_paths(stepped, [delta], progress=False, max_reject_share=1, finalize=refresh)
    load_paths(
        tmp / "command.duckdb",
        [delta],
        progress=False,
        max_reject_share=1,
        finalize=refresher(CONFIG),
    )
    return {
        "whole": whole,
        "stepped": stepped,
        "partial": partial,
        "before": before,
        "tmp": tmp,
        "delta": delta,
    }


def _same_sum(value):
    """Sums of doubles differ in their last bits with the order DuckDB adds them (between two full
    builds too): compare them to 12 significant digits, every other value exactly."""
    return float(f"{value:.12g}") if isinstance(value, float) else value


def _stored(db: Path, model: str) -> list[tuple]:
    rows = engine(db).con.sql(f"SELECT * FROM models.{model} ORDER BY ALL").fetchall()
    return [tuple(_same_sum(v) for v in row) for row in rows]


def test_the_delta_recomputes_part_of_every_model(warehouses):
    partial = warehouses["partial"][0]
    assert partial is not None and set(partial) == set(CATALOG.models)
    cur = engine(warehouses["stepped"])
    assert read_materialized(cur).as_of > warehouses["before"]  # the delta moved the as-of on
    schemas = {
        r[0] for r in cur.con.sql("SELECT schema_name FROM information_schema.schemata").fetchall()
    }
    assert "changes" not in schemas  # the load's notes are not left in the warehouse


@pytest.mark.parametrize("model", list(CATALOG.models))
def test_stored_model_equals_a_full_rebuild(warehouses, model):
    whole, stepped = _stored(warehouses["whole"], model), _stored(warehouses["stepped"], model)
    assert len(whole) > 0
    assert stepped == whole


@pytest.mark.parametrize("metric", list(CATALOG.metrics))
def test_every_metric_answers_as_after_a_full_load(warehouses, metric):
    results = []
    for name in ("whole", "stepped"):
        cur = engine(warehouses[name])
        assert stored_models(cur, CATALOG, default_as_of(cur)) == frozenset(CATALOG.models)
        frame = run_query(cur, CATALOG, Query(metrics=(metric,), grain="week")).frame
        results.append([{k: _same_sum(v) for k, v in row.items()} for row in frame.to_dicts()])
    assert results[0] == results[1]


def test_the_command_refreshes_the_changed_rows(warehouses):
    """The step `northstar load` runs (refresher) ends where a full load ends too, and loading
    the same delta again changes nothing."""
    command = warehouses["tmp"] / "command.duckdb"
    for model in CATALOG.models:
        assert _stored(command, model) == _stored(warehouses["whole"], model)
    report = load_paths(
        command,
        [warehouses["delta"]],
        progress=False,
        max_reject_share=1,
        finalize=refresher(CONFIG),
    )
    assert all(f.skipped for f in report.files)


def test_a_model_with_other_sql_is_rebuilt_whole(tmp_path):
    """A rule is written for one model SQL: edit the SQL and the model is rebuilt, never patched wrongly."""
    where = "WHERE CAST(r.responded_at AS DATE) <= $as_of"
    edited = catalog_with(tmp_path, {where: where + " AND r.csat IS NOT NULL"})
    assert rule_for(edited, "responses") is None
    assert all(rule_for(CATALOG, m) is not None for m in CATALOG.models)


def test_a_table_loaded_for_the_first_time_rebuilds_every_model(tmp_path):
    """Surveys arrive only after the rest: the load has no changes to go by and rebuilds every model."""
    first, later = tmp_path / "first", tmp_path / "later"
    shutil.copytree(FIXTURE, first)
    later.mkdir()
    shutil.move(first / "surveys.csv", later / "surveys.csv")
    whole, stepped = tmp_path / "whole.duckdb", tmp_path / "stepped.duckdb"
    load_paths(
        whole, [first, later], progress=False, max_reject_share=1, finalize=refresher(CONFIG)
    )
    load_paths(stepped, [first], progress=False, max_reject_share=1, finalize=refresher(CONFIG))
    partial: list = []
    refresh = _refreshing(partial)
    load_paths(stepped, [later], progress=False, max_reject_share=1, finalize=refresh)
    assert partial == [None]
    for model in CATALOG.models:
        assert _stored(stepped, model) == _stored(whole, model)
