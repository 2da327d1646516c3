"""The lake and the engines: every metric gives the same numbers on the warehouse file, on DuckDB
over the lake and on Spark over the lake, on the hand-computed fixture and on the sample data.

The metrics are parametrized from the catalogue, so a metric added later is covered by the same
tests. Spark tests share one SparkSession (local mode) and one lake per data set with the other
modules (tests/spark_fixtures.py); they skip when PySpark or Java is missing locally, and fail
on CI (``$CI`` set), where both are installed.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from connectors.demo import SAMPLE_DATA, SAMPLE_SOURCES
from connectors.lake_load import load_lake
from metrics.catalog import load_catalog
from metrics.query import fetch_rows, run_query
from metrics.sqlgen import Query
from store.errors import StoreError
from store.lake import POINTER, Lake, current_version
from store.warehouse import Warehouse
from tests.conftest import run_cli, write_csv
from tests.metric_support import CONFIG, FIXTURE
from tests.spark_fixtures import fixture_extracts
from tests.test_metric_values import AS_OF, EXPECTED

CATALOG = load_catalog(CONFIG)
METRICS = list(CATALOG.metrics)
ROWS_METRICS = ["otif", "fill_rate", "fcr", "revenue", "aht_sec"]


# The data sets (fixture_stores, sample_stores), spark and spark_engines: tests/spark_fixtures.py.


# --------------------------------------------------------------------------- comparing


def _values(engine, name: str, q: Query) -> pl.DataFrame:
    """A metric's value and sample size per group, in a shape every engine gives alike."""
    return _column(run_query(engine, CATALOG, q.replace(metrics=(name,))).frame, name, q)


def _column(frame: pl.DataFrame, name: str, q: Query) -> pl.DataFrame:
    keys = (["period"] if q.grain else []) + list(q.by)
    frame = frame.select(*keys, pl.col(name).cast(pl.Float64), pl.col(f"{name}__n").cast(pl.Int64))
    return frame.sort(keys, nulls_last=True) if keys else frame


def _queries(data: str) -> list[Query]:
    as_of = AS_OF if data == "fixture" else None
    return [
        Query(metrics=(), as_of=as_of),
        Query(metrics=(), by=("region",), grain="week", as_of=as_of),
    ]


def _duckdb_engines(stores: tuple[Path, Path]) -> tuple:
    db, lake = stores
    return Warehouse(db).engine(), Lake(lake).engine()


@pytest.mark.parametrize("data", ["fixture", "sample"])
@pytest.mark.parametrize("name", METRICS)
def test_duckdb_over_the_lake_equals_the_warehouse(name, data, fixture_stores, sample_stores):
    stores = fixture_stores if data == "fixture" else sample_stores
    warehouse, lake = _duckdb_engines(stores)
    for q in _queries(data):
        expected = _values(warehouse, name, q)
        assert expected.height > 0
        assert_frame_equal(_values(lake, name, q), expected, rel_tol=1e-9)
    if data == "fixture" and name in EXPECTED:  # and the hand-computed value
        assert _values(lake, name, _queries(data)[0])[name][0] == pytest.approx(EXPECTED[name])


@pytest.fixture(scope="session")
def answers(spark_engines, fixture_stores, sample_stores) -> dict:
    """Each question of ``_queries`` asked for every metric at once, per data set, on Spark, on
    DuckDB over the lake and on the warehouse file: one Spark query per question, not one per
    metric (Spark plans and computes the models for each query it is asked)."""
    out = {}
    for data, stores in (("fixture", fixture_stores), ("sample", sample_stores)):
        engines = dict(zip(("warehouse", "lake"), _duckdb_engines(stores)))
        engines["spark"] = spark_engines[data]
        for i, q in enumerate(_queries(data)):
            asked = q.replace(metrics=tuple(METRICS))
            out[data, i] = {k: run_query(e, CATALOG, asked).frame for k, e in engines.items()}
    return out


@pytest.mark.spark
@pytest.mark.parametrize("data", ["fixture", "sample"])
@pytest.mark.parametrize("name", METRICS)
def test_spark_equals_duckdb(name, data, answers):
    """Spark computes every model from the lake's canonical tables; DuckDB over the same lake
    (reading its stored models, for the sample) and the warehouse file agree with it."""
    for i, q in enumerate(_queries(data)):
        got = {k: _column(frame, name, q) for k, frame in answers[data, i].items()}
        assert got["spark"][f"{name}__n"].drop_nulls().sum() > 0  # the metric measured something
        assert_frame_equal(got["spark"], got["lake"], rel_tol=1e-9)
        assert_frame_equal(got["spark"], got["warehouse"], rel_tol=1e-9)
    if data == "fixture" and name in EXPECTED:
        total = _column(answers[data, 0]["spark"], name, _queries(data)[0])[name][0]
        assert total == pytest.approx(EXPECTED[name])


def _rows(engine, name: str, failing: bool) -> pl.DataFrame:
    frame = fetch_rows(engine, CATALOG, name, Query(metrics=(name,)), failing=failing, limit=40)
    numeric = [c for c, t in frame.schema.items() if t.is_numeric()]
    return frame.with_columns(pl.col(numeric).cast(pl.Float64))


@pytest.mark.spark
@pytest.mark.parametrize("failing", [False, True])
@pytest.mark.parametrize("name", ROWS_METRICS)
def test_rows_alike_on_every_engine(name, failing, spark_engines, sample_stores):
    warehouse, lake = _duckdb_engines(sample_stores)
    expected = _rows(warehouse, name, failing)
    assert expected.height > 0
    assert_frame_equal(_rows(lake, name, failing), expected)
    assert_frame_equal(_rows(spark_engines["sample"], name, failing), expected)


# --------------------------------------------------------------------------- the lake itself


def test_the_lake_holds_the_tables_partitioned_by_month(fixture_stores, sample_stores):
    version = current_version(sample_stores[1])
    orders = version.folder / "orders"
    months = sorted(p.name for p in orders.iterdir())
    assert months and all(m.startswith("month=20") for m in months)
    assert (version.folder / "customers" / "data.parquet").exists()
    assert {"rejects", "warnings", "loads", "models.materialized"} <= set(version.tables())
    lake_rejects = (
        Lake(sample_stores[1]).cursor().execute("SELECT count(*) FROM rejects").fetchone()
    )
    cur = Warehouse(sample_stores[0]).cursor()
    assert lake_rejects == cur.execute("SELECT count(*) FROM rejects").fetchone()
    assert lake_rejects[0] > 0


def _counts(lake: Path) -> tuple[int, ...]:
    """Counts of three tables in one statement: what one reader sees of one version."""
    cur = Lake(lake).cursor()
    return cur.execute(
        "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM shipments), "
        "(SELECT count(*) FROM rejects)"
    ).fetchone()


def test_a_reader_during_a_load_sees_a_whole_version(tmp_path):
    lake = tmp_path / "lake"
    load_lake(lake, [fixture_extracts(tmp_path)], progress=False)
    before = _counts(lake)
    seen: set[tuple[int, ...]] = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        second = pool.submit(load_lake, lake, [SAMPLE_DATA], sources=SAMPLE_SOURCES, progress=False)
        while not second.done():
            seen.add(_counts(lake))
        second.result()  # the load itself succeeded
    after = _counts(lake)
    assert after != before
    assert seen <= {before, after}, f"a reader saw half a version: {seen - {before, after}}"
    leftovers = [p.name for p in lake.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_a_refused_load_leaves_the_lake_as_it_was(tmp_path):
    lake = tmp_path / "lake"
    load_lake(lake, [fixture_extracts(tmp_path)], progress=False)
    pointer = (lake / POINTER).read_text()
    bad = write_csv(
        tmp_path / "more" / "orders_bad.csv",
        [
            "order_id",
            "line_id",
            "customer_id",
            "sku",
            "order_date",
            "requested_date",
            "qty_ordered",
        ],
        [["X1", "1", "C1", "S1", "not a date", "2026-03-01", "1"]],
    )
    with pytest.raises(StoreError, match="--strict"):
        load_lake(lake, [bad], strict=True, progress=False)
    assert (lake / POINTER).read_text() == pointer
    assert sorted(p.name for p in lake.iterdir()) == sorted([POINTER, pointer.strip()])
    load_lake(lake, [fixture_extracts(tmp_path / "again")], progress=False)  # nothing new
    assert (lake / POINTER).read_text() == pointer


def test_old_versions_are_pruned(tmp_path):
    lake = tmp_path / "lake"
    for i in range(4):
        extracts = write_csv(
            tmp_path / f"c{i}" / "customers.csv", ["customer_id", "region"], [[f"C{i}", "North"]]
        )
        load_lake(lake, [extracts], progress=False)
    versions = sorted(p.name for p in lake.iterdir() if p.name.startswith("v"))
    assert len(versions) == 3  # the current one and the two before it
    assert (lake / POINTER).read_text().strip() == versions[-1]
    assert Lake(lake).cursor().execute("SELECT count(*) FROM customers").fetchone() == (4,)


# --------------------------------------------------------------------------- the command line


def test_cli_query_over_the_lake_prints_what_the_warehouse_prints(sample_stores):
    db, lake = sample_stores
    args = ["query", "--metric", "otif,contacts", "--by", "region", "--grain", "month"]
    over_lake = run_cli(*args, "--lake", lake)
    over_file = run_cli(*args, "--db", db)
    assert over_lake.returncode == 0, over_lake.stderr
    assert over_lake.stdout == over_file.stdout
    rows = ["rows", "--metric", "otif", "--failing", "--format", "csv", "--limit", "5"]
    assert run_cli(*rows, "--lake", lake).stdout == run_cli(*rows, "--db", db).stdout


def test_cli_load_lake_and_refusals(tmp_path):
    lake = tmp_path / "lake"
    done = run_cli("load", "--lake", lake, fixture_extracts(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"loaded into {lake}" in done.stdout
    both = run_cli("load", "--lake", lake, "--db", tmp_path / "x.duckdb", FIXTURE)
    assert both.returncode != 0 and "--db and --lake are alternatives" in both.stderr
    missing = run_cli("query", "--metric", "otif", "--lake", tmp_path / "nowhere")
    assert missing.returncode == 1 and "no lake at" in missing.stderr
    assert "Traceback" not in missing.stderr
    spark = run_cli("query", "--metric", "otif", "--engine", "spark", "--db", tmp_path / "w.db")
    assert spark.returncode == 1 and "--engine spark reads a lake" in spark.stderr
    file = tmp_path / "afile"
    file.write_text("x")
    refused = run_cli("load", "--lake", file, FIXTURE)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr


def test_cli_spark_without_java_says_how_to_install(tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    load_lake(lake, [fixture_extracts(tmp_path)], progress=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    out = run_cli("query", "--metric", "otif", "--engine", "spark", "--lake", lake)
    assert out.returncode == 1
    assert "pip install -e '.[spark]'" in out.stderr and "Java 17" in out.stderr
    assert "Traceback" not in out.stderr


def test_dates_bind_alike(fixture_stores):
    """A bound date parameter means the same day on the lake as on the file."""
    q = Query(
        metrics=("otif",), date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 10), as_of=AS_OF
    )
    warehouse, lake = _duckdb_engines(fixture_stores)
    assert_frame_equal(_values(lake, "otif", q), _values(warehouse, "otif", q))
