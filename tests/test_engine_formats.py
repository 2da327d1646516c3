"""Every catalogue metric in every output format on every engine, through the command line run
in-process: the warehouse file, DuckDB over a lake and Spark over the same lake (one of each per
test session, from the bundled sample: tests/spark_fixtures.py). Each answers without a
traceback, its JSON values equal the warehouse file's, and its CSV and table name the metric.

The Spark cases skip where PySpark or Java is missing, and fail on CI (``$CI`` set).
"""

from __future__ import annotations

import json
import traceback

import pytest
from click.testing import CliRunner

from cli.main import cli
from cli.output import records
from metrics.catalog import load_catalog
from metrics.query import run_query
from metrics.sqlgen import Query
from present import format as units
from store.warehouse import Warehouse
from tests.metric_support import CONFIG

CATALOG = load_catalog(CONFIG)
FORMATS = ("table", "csv", "json")


@pytest.fixture(scope="session")
def expected(sample_stores) -> dict[str, list[dict]]:
    """Each metric's values on the warehouse file, as the JSON format writes them."""
    engine = Warehouse(sample_stores[0]).engine()
    return {m: records(run_query(engine, CATALOG, Query((m,))).values()) for m in CATALOG.metrics}


def _store_args(engine: str, sample_stores, request) -> list[str]:
    db, lake = sample_stores
    if engine == "warehouse":
        return ["--db", str(db)]
    if engine == "spark-lake":
        request.getfixturevalue("spark")  # skips (or fails on CI) where Spark cannot run
        return ["--lake", str(lake), "--engine", "spark"]
    return ["--lake", str(lake)]


def _northstar(args: list[str]) -> str:
    """``northstar ARGS`` in this process: its output, once it exited 0 without a traceback."""
    result = CliRunner(env={"NORTHSTAR_DB": None, "NORTHSTAR_LAKE": None}).invoke(
        cli, args, prog_name="northstar"
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        pytest.fail("".join(traceback.format_exception(*result.exc_info)))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout


def _check(out: str, metrics: list[str], fmt: str, expected: dict[str, list[dict]]) -> None:
    if fmt == "table":
        assert metrics[0] in out
        return
    if fmt == "csv":
        assert out.splitlines()[0].split(",") == metrics
        return
    got = json.loads(out)
    if len(metrics) == 1:
        want = expected[metrics[0]]
    else:  # totals: one object holding every metric
        want = [{m: expected[m][0][m] for m in metrics}]
    assert len(got) == len(want) > 0
    for row, wanted in zip(got, want):
        assert row == pytest.approx(wanted, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("engine", ["warehouse", "duckdb-lake"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("metric", list(CATALOG.metrics))
def test_every_metric_in_every_format_on_duckdb(
    metric,
    fmt,
    engine,
    sample_stores,
    expected,
    request,
):
    store = _store_args(engine, sample_stores, request)
    out = _northstar(
        ["query", "--metric", metric, "--format", fmt, "--config", str(CONFIG), *store]
    )
    _check(out, [metric], fmt, expected)


@pytest.mark.spark
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_metric_in_every_format_on_spark(fmt, sample_stores, expected, request):
    """One question holding every metric per format: each Spark query computes the models
    from the lake, so one per metric would cost minutes."""
    store = _store_args("spark-lake", sample_stores, request)
    metrics = list(CATALOG.metrics)
    args = ["query", "--metric", ",".join(metrics), "--format", fmt, "--config", str(CONFIG)]
    out = _northstar([*args, *store])
    if fmt == "table":  # one row: per metric its value in its unit, n and target
        lines = out.splitlines()  # long headers fold over lines; the values follow the rule
        rule = next(i for i, line in enumerate(lines) if line.lstrip().startswith("━"))
        assert len(lines[rule + 1].split("│")) == 3 * len(metrics)
        for m in metrics:
            value = expected[m][0][m]
            if value is not None:
                assert units.value(value, CATALOG.metric(m).format) in out, m
    _check(out, metrics, fmt, expected)
