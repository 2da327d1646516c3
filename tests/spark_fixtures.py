"""The Spark tests' shared session fixtures: one SparkSession and one build of each data set.

Registered once as a plugin (``pytest_plugins`` in tests/conftest.py), so every test module
shares the same fixtures: a fixture imported into several modules would be a fixture of each,
built once per module. Every Spark test runs on one worker (tests/conftest.py: groups), so the
Spark tests of all modules share one JVM and one build of the fixture and the sample.

The session is started with settings for small data and a short-lived JVM (``TEST_CONF``); the
command line run in-process (``northstar query --engine spark``) finds it already started and
its engines read the same settings (each ``SparkEngine`` is a new session of the application).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from connectors.demo import SAMPLE_DATA, SAMPLE_SOURCES
from connectors.lake_load import load_lake
from connectors.load import load_paths
from metrics.materialize import refresher
from tests.metric_support import CONFIG, FIXTURE

# Spark in local mode on data of a few thousand rows, in a JVM living minutes: one partition per
# shuffle, and only the JVM's quick compiler (most of the code it runs, Spark's planner and the
# classes Spark generates per query, runs a few times: the optimising compiler cost more than
# it saved, measured) with the serial collector. Expressions and stages are interpreted, not
# compiled to Java per query, and plans not re-optimised between stages (Spark's own test
# settings): on a query of every metric, 27 s -> 19 s of processor time for the first and
# 12.5 s -> 8.4 s for later ones (two runs each). None of these changes a result.
TEST_CONF = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
}
TEST_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def fixture_extracts(tmp: Path) -> Path:
    data = tmp / "extracts"
    shutil.copytree(FIXTURE, data)
    return data


@pytest.fixture(scope="session")
def fixture_stores(tmp_path_factory) -> tuple[Path, Path]:
    """The hand-computed fixture as a warehouse file and as a lake (no stored models)."""
    tmp = tmp_path_factory.mktemp("engines_fixture")
    data = fixture_extracts(tmp)
    db, lake = tmp / "fixture.duckdb", tmp / "lake"
    load_paths(db, [data], progress=False)
    load_lake(lake, [data], progress=False)
    return db, lake


@pytest.fixture(scope="session")
def sample_stores(tmp_path_factory) -> tuple[Path, Path]:
    """The bundled sample data as a warehouse file and a lake, both with stored models (DuckDB's).
    Only read: a test that writes works on a copy."""
    tmp = tmp_path_factory.mktemp("engines_sample")
    db, lake = tmp / "sample.duckdb", tmp / "lake"
    load_paths(
        db,
        [SAMPLE_DATA],
        sources=SAMPLE_SOURCES,
        progress=False,
        fresh=True,
        finalize=refresher(CONFIG),
    )
    load_lake(
        lake, [SAMPLE_DATA], sources=SAMPLE_SOURCES, progress=False, finalize=refresher(CONFIG)
    )
    return db, lake


def spark_missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install -e '.[spark]')"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "Java is not installed (apt-get install default-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark():
    """The one SparkSession of the test session; skips where PySpark or Java is missing, and
    fails on CI (``$CI`` set), where both are installed."""
    missing = spark_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI must run the Spark tests")
        pytest.skip(missing)
    from store.engine_config import spark_settings
    from store.spark_engine import spark_session

    settings = spark_settings()
    conf = {**settings.conf, **TEST_CONF}
    if not settings.remote:
        conf["spark.driver.extraJavaOptions"] = TEST_JAVA_OPTIONS
    return spark_session(settings.model_copy(update={"conf": conf}))


@pytest.fixture(scope="session")
def spark_engines(spark, fixture_stores, sample_stores) -> dict:
    from store.lake import require_version
    from store.spark_engine import SparkEngine

    return {
        "fixture": SparkEngine(spark, require_version(fixture_stores[1])),
        "sample": SparkEngine(spark, require_version(sample_stores[1])),
    }
