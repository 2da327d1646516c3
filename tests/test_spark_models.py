"""Stored models computed on Spark: the Parquet files Spark writes into a lake equal those DuckDB
writes, and the dashboard's path (DuckDB reading the stored models) gives the warehouse's numbers.

On the hand-computed fixture and on the sample data, each data set is loaded into a warehouse file
and a lake by DuckDB, and into a lake whose stored models Spark computes. Models and metrics are
parametrized from the catalogue, so a model or metric added later is covered too. The Spark
tests share the test session's one SparkSession (local mode).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal

from connectors.lake_load import load_lake
from connectors.load import load_paths
from metrics.as_of import default_as_of
from metrics.catalog import load_catalog
from metrics.materialize import refresher
from metrics.query import run_query, stored_models
from metrics.sqlgen import Query
from store.lake import (
    MODELS,
    POINTER,
    Lake,
    current_version,
    parquet_glob,
    rebuild_models,
)
from store.lake_models import spark_models
from store.warehouse import Warehouse
from tests.conftest import run_cli, write_csv
from tests.metric_support import CONFIG, FIXTURE

pytestmark = pytest.mark.spark

CATALOG = load_catalog(CONFIG)
DATA = ("fixture", "sample")


@pytest.fixture(scope="session")
def stores(tmp_path_factory, spark, sample_stores) -> dict[str, dict[str, Path]]:
    """Per data set: the warehouse file, the DuckDB-written lake, the Spark-written one (its
    stored models by a Spark load for the fixture, by a Spark rebuild for the sample). The
    sample's warehouse and DuckDB lake are the session's (tests/spark_fixtures.py)."""
    tmp = tmp_path_factory.mktemp("spark_models_fixture")
    db, duck, on_spark = tmp / "wh.duckdb", tmp / "duck", tmp / "spark"
    load_paths(db, [FIXTURE], progress=False, finalize=refresher(CONFIG))
    load_lake(duck, [FIXTURE], progress=False, finalize=refresher(CONFIG))
    load_lake(on_spark, [FIXTURE], progress=False, models=spark_models(spark, CATALOG))
    out = {"fixture": {"db": db, "duck": duck, "spark": on_spark}}
    sample_db, sample_duck = sample_stores
    on_spark = tmp_path_factory.mktemp("spark_models_sample") / "spark"
    shutil.copytree(sample_duck, on_spark)
    rebuild_models(on_spark, spark_models(spark, CATALOG))
    out["sample"] = {"db": sample_db, "duck": sample_duck, "spark": on_spark}
    return out


# --------------------------------------------------------------------------- the files


def _stored(lake: Path, table: str) -> pl.DataFrame:
    """A stored model as Parquet keeps it (through DuckDB, as the dashboard reads it), sorted."""
    version = current_version(lake)
    folder = version.tables()[f"{MODELS}.{table}"]
    frame = Lake(lake).cursor().sql(f"SELECT * FROM read_parquet('{parquet_glob(folder)}')").pl()
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("model", list(CATALOG.models))
def test_spark_writes_the_model_duckdb_writes(model, data, stores):
    expected = _stored(stores[data]["duck"], model)
    assert expected.height > 0
    written = _stored(stores[data]["spark"], model)
    assert written.schema == expected.schema  # same columns, same types
    assert_frame_equal(written, expected, rel_tol=1e-12)


@pytest.mark.parametrize("data", DATA)
def test_the_bookkeeping_table_is_the_one_duckdb_writes(data, stores):
    written = _stored(stores[data]["spark"], "materialized")
    expected = _stored(stores[data]["duck"], "materialized")
    assert written.schema == expected.schema
    assert_frame_equal(written, expected)


# --------------------------------------------------------------------------- the numbers


def _values(engine, name: str, q: Query) -> pl.DataFrame:
    result = run_query(engine, CATALOG, q.replace(metrics=(name,)))
    keys = (["period"] if q.grain else []) + list(q.by)
    frame = result.frame.select(
        *keys, pl.col(name).cast(pl.Float64), pl.col(f"{name}__n").cast(pl.Int64)
    )
    return frame.sort(keys, nulls_last=True) if keys else frame


QUERIES = (Query(metrics=()), Query(metrics=(), by=("region",), grain="week"))


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("name", list(CATALOG.metrics))
def test_metrics_from_spark_written_models_equal_the_warehouse(name, data, stores):
    """The dashboard's path over a lake: DuckDB reads the stored models Spark wrote."""
    lake = stores[data]["spark"]
    dashboard, warehouse = Lake(lake).engine(), Warehouse(stores[data]["db"]).engine()
    (as_of,) = Lake(lake).cursor().execute("SELECT max(as_of) FROM models.materialized").fetchone()
    assert as_of == default_as_of(dashboard)  # the as-of of the queries below
    assert set(CATALOG.models_of(name)) <= stored_models(dashboard, CATALOG, as_of)
    for q in QUERIES:  # so they read the stored models Spark wrote
        expected = _values(warehouse, name, q)
        assert expected.height > 0
        assert_frame_equal(_values(dashboard, name, q), expected, rel_tol=1e-9)


# --------------------------------------------------------------------------- refusals


def test_a_model_spark_cannot_compute_is_named_and_nothing_is_published(
    tmp_path,
    spark,
):
    lake = tmp_path / "lake"
    load_lake(lake, [FIXTURE], progress=False)
    pointer = (lake / POINTER).read_text()
    doc = yaml.safe_load(CONFIG.read_text())
    # bar() draws a text bar chart: DuckDB has it, Spark does not. First, so it fails first.
    doc["models"] = {
        "bars": {
            "label": "Bars",
            "description": "A DuckDB-only function.",
            "key": ["customer_id"],
            "date": "d",
            "dimensions": ["region"],
            "sql": "SELECT customer_id, region, $as_of AS d, bar(1, 0, 10) AS b FROM customers",
        },
        **doc["models"],
    }
    config = tmp_path / "metrics.yaml"
    config.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(Exception, match="the stored model 'bars' cannot be computed on Spark"):
        rebuild_models(lake, spark_models(spark, load_catalog(config)))
    assert (lake / POINTER).read_text() == pointer
    assert [p.name for p in lake.iterdir() if p.name.startswith(".")] == []
    # and from the command line, in plain words
    more = write_csv(tmp_path / "more" / "customers.csv", ["customer_id", "region"], [["N1", "X"]])
    out = run_cli("load", "--lake", lake, "--engine", "spark", "--config", config, more)
    assert out.returncode == 1, out.stdout
    assert "the stored model 'bars' cannot be computed on Spark" in out.stderr
    assert "Traceback" not in out.stderr and '"level"' not in out.stderr
    assert (lake / POINTER).read_text() == pointer
