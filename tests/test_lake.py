"""The lake's stored models rebuilt without a load, where Spark runs (config/engines.yaml and the
environment), the refusals of the lake commands, and alerts after a lake load. Nothing here starts
Spark (tests/test_spark_models.py does)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from connectors.demo import SAMPLE_DATA, SAMPLE_SOURCES
from connectors.lake_load import load_lake
from metrics.catalog import load_catalog
from metrics.errors import ConfigError
from metrics.materialize import refresher
from store.engine_config import spark_settings
from store.errors import StoreError
from store.lake import POINTER, Lake, current_version, rebuild_models
from store.lake_models import duckdb_models
from store.spark_engine import _conf
from tests.conftest import run_cli
from tests.metric_support import CONFIG, FIXTURE, ROOT
from tests.test_alerts_delivery import _cli, smtp  # noqa: F401  (a real SMTP server)

CATALOG = load_catalog(CONFIG)


@pytest.fixture(scope="module")
def fixture_lake(tmp_path_factory) -> Path:
    """The fixture as a lake whose stored models DuckDB computed during the load."""
    lake = tmp_path_factory.mktemp("lake_fixture") / "lake"
    load_lake(lake, [FIXTURE], progress=False, finalize=refresher(CONFIG))
    return lake


def _models(lake: Path) -> dict:
    cur = Lake(lake).cursor()
    return {
        m: cur.sql(f"SELECT * FROM models.{m} ORDER BY ALL").pl()
        for m in [*CATALOG.models, "materialized"]
    }


# --------------------------------------------------------------------------- models rebuild


def test_rebuild_writes_what_the_load_wrote_and_shares_the_tables(tmp_path, fixture_lake):
    lake = tmp_path / "lake"
    shutil.copytree(fixture_lake, lake)
    before = current_version(lake)
    after = rebuild_models(lake, duckdb_models(CATALOG))
    assert after.name != before.name and (lake / POINTER).read_text().strip() == after.name
    expected = _models(fixture_lake)
    assert expected["lines"].height > 0
    for name, frame in _models(lake).items():
        assert_frame_equal(frame, expected[name])
    for table in ("customers", "orders", "rejects"):  # the same files, not copies
        for old in (before.folder / table).rglob("*.parquet"):
            new = after.folder / old.relative_to(before.folder)
            assert new.stat().st_ino == old.stat().st_ino
    assert {t for t in after.tables() if "." not in t} == {
        t for t in before.tables() if "." not in t
    }


def test_cli_models_rebuild_after_a_change_of_metrics_yaml(tmp_path, fixture_lake):
    lake = tmp_path / "lake"
    shutil.copytree(fixture_lake, lake)
    config = tmp_path / "config" / "metrics.yaml"
    config.parent.mkdir()
    text = CONFIG.read_text()
    assert "late_tolerance_days: 0" in text
    config.write_text(text.replace("late_tolerance_days: 0", "late_tolerance_days: 2", 1))
    before = _models(lake)["materialized"]
    out = run_cli("models", "rebuild", "--lake", lake, "--config", config)
    assert out.returncode == 0, out.stderr
    assert f"{len(CATALOG.models)} stored model(s) computed by duckdb" in out.stdout
    after = _models(lake)["materialized"]
    assert after["as_of"].to_list() == before["as_of"].to_list()
    assert after["fingerprint"].to_list() != before["fingerprint"].to_list()  # the new settings
    tolerant = load_catalog(config)
    from metrics.query import stored_models

    used = stored_models(Lake(lake).engine(), tolerant, after["as_of"][0])
    assert used == set(tolerant.models)  # what the dashboard now reads from the stored models


def test_cli_models_rebuild_refusals(tmp_path, fixture_lake):
    nowhere = tmp_path / "nowhere"
    out = run_cli("models", "rebuild", "--lake", nowhere)
    assert out.returncode == 1 and "no lake at" in out.stderr and "Traceback" not in out.stderr
    assert not nowhere.exists() and list(tmp_path.iterdir()) == []
    out = run_cli("models", "rebuild")
    assert out.returncode == 2 and "works on a lake: pass --lake DIR" in out.stderr
    out = run_cli("models", "rebuild", "--lake", fixture_lake, "--engine", "flink")
    assert out.returncode == 2 and "'flink' is not one of 'duckdb', 'spark'" in out.stderr
    lake = tmp_path / "lake"
    shutil.copytree(fixture_lake, lake)
    pointer = (lake / POINTER).read_text()
    bad = tmp_path / "bad" / "metrics.yaml"
    bad.parent.mkdir()
    bad.write_text(CONFIG.read_text().replace("late_tolerance_days: 0", "late_tolerance_days: x"))
    out = run_cli("models", "rebuild", "--lake", lake, "--config", bad)
    assert out.returncode == 1 and "late_tolerance_days" in out.stderr
    assert "Traceback" not in out.stderr
    assert (lake / POINTER).read_text() == pointer
    assert sorted(p.name for p in lake.iterdir()) == sorted(p.name for p in fixture_lake.iterdir())


def test_cli_load_engine_refusals(tmp_path):
    out = run_cli("load", "--engine", "spark", "--db", tmp_path / "w.duckdb", FIXTURE)
    assert out.returncode == 2 and "computes the stored models of a lake: pass --lake" in out.stderr
    out = run_cli("load", "--engine", "spark", FIXTURE)
    assert out.returncode == 2 and "pass --lake DIR" in out.stderr
    out = run_cli(
        "load",
        "--lake",
        tmp_path / "l",
        "--db",
        tmp_path / "w.duckdb",
        "--engine",
        "spark",
        FIXTURE,
    )
    assert out.returncode == 2 and "--db and --lake are alternatives" in out.stderr
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- engines.yaml


def _engines(tmp_path: Path, text: str) -> Path:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    shutil.copy(CONFIG, config / "metrics.yaml")
    (config / "engines.yaml").write_text(text)
    return config / "metrics.yaml"


BAD_ENGINES = [
    (
        "spark:\n  mster: local[2]\n",
        "engines.yaml:2: spark.mster: unknown key 'mster'; did you mean 'master'?",
    ),
    (
        "spark:\n  master: spark:/head:7077\n",
        "engines.yaml:2: spark.master: 'spark:/head:7077' is not a Spark master; use e.g. local[*]",
    ),
    (
        "spark:\n  remote: http://head:15002\n",
        "engines.yaml:2: spark.remote: 'http://head:15002' is not a Spark Connect URL; use e.g. sc://host:15002",
    ),
    (
        "spark:\n  master: yarn\n  remote: sc://head\n",
        "give master (a cluster) or remote (Spark Connect), not both",
    ),
    (
        "spark:\n  conf: {executor.memory: 8g}\n",
        "conf keys are Spark settings starting with 'spark.'",
    ),
    ("sprak: {}\n", "engines.yaml:1: sprak: unknown key 'sprak'; did you mean 'spark'?"),
]


@pytest.mark.parametrize(("text", "message"), BAD_ENGINES)
def test_a_bad_engines_yaml_is_told_with_its_line(tmp_path, text, message):
    config = _engines(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        spark_settings(config)
    assert message in str(err.value)
    checked = run_cli("check", "--config", config)
    assert checked.returncode == 1 and message in checked.stderr


def test_check_reads_the_shipped_engines_yaml():
    out = run_cli("check", "--config", CONFIG)
    assert out.returncode == 0, out.stderr
    assert str(ROOT / "config" / "engines.yaml") in out.stdout


def test_a_bad_engines_yaml_stops_a_spark_query_before_spark_starts(tmp_path, fixture_lake):
    config = _engines(tmp_path, BAD_ENGINES[1][0])
    out = run_cli(
        "query", "--metric", "otif", "--lake", fixture_lake, "--engine", "spark", "--config", config
    )
    assert out.returncode == 1 and BAD_ENGINES[1][1] in out.stderr
    assert "Traceback" not in out.stderr


def test_the_file_points_spark_at_a_cluster_and_the_environment_overrides_it(tmp_path, monkeypatch):
    for env in (
        "NORTHSTAR_SPARK_MASTER",
        "NORTHSTAR_SPARK_REMOTE",
        "NORTHSTAR_SPARK_DRIVER_MEMORY",
    ):
        monkeypatch.delenv(env, raising=False)
    config = _engines(
        tmp_path,
        "spark:\n  master: spark://head:7077\n  conf:\n    spark.executor.memory: 8g\n"
        "    spark.driver.memory: 4g\n    spark.sql.adaptive.enabled: false\n"
        "    spark.driver.extraJavaOptions: -XX:+UseSerialGC\n",
    )
    settings = spark_settings(config)
    assert settings.where == "spark://head:7077"
    conf = _conf(settings)
    assert conf["spark.executor.memory"] == "8g" and conf["spark.driver.memory"] == "4g"
    java = conf["spark.driver.extraJavaOptions"].split()  # the file's beside the quiet logging
    assert java[0].startswith("-Dlog4j2.configurationFile=") and java[1:] == ["-XX:+UseSerialGC"]
    assert conf["spark.sql.adaptive.enabled"] == "false"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    monkeypatch.setenv("NORTHSTAR_SPARK_DRIVER_MEMORY", "1g")
    assert _conf(spark_settings(config))["spark.driver.memory"] == "1g"
    monkeypatch.setenv("NORTHSTAR_SPARK_REMOTE", "sc://connect:15002")
    remote = spark_settings(config)
    assert (remote.where, remote.master) == ("sc://connect:15002", None)
    assert "spark.ui.enabled" not in _conf(remote)  # the server has its own driver and UI
    monkeypatch.setenv("NORTHSTAR_SPARK_MASTER", "local[2]")
    with pytest.raises(StoreError, match="both set: set one"):
        spark_settings(config)
    monkeypatch.delenv("NORTHSTAR_SPARK_REMOTE")
    assert spark_settings(config).where == "local[2]"
    monkeypatch.setenv("NORTHSTAR_SPARK_MASTER", "spark:/head")
    with pytest.raises(StoreError, match=r"\$NORTHSTAR_SPARK_MASTER: 'spark:/head' is not"):
        spark_settings(config)
    monkeypatch.delenv("NORTHSTAR_SPARK_MASTER")
    assert spark_settings(tmp_path / "elsewhere" / "metrics.yaml").where == "local[*]"  # no file


# --------------------------------------------------------------------------- alerts


def test_a_lake_load_evaluates_the_alerts_as_a_warehouse_load_does(tmp_path, smtp):  # noqa: F811
    _, url = smtp
    env_lake = {"NORTHSTAR_SMTP_URL": url, "NORTHSTAR_STATE": str(tmp_path / "lake.state")}
    env_file = {"NORTHSTAR_SMTP_URL": url, "NORTHSTAR_STATE": str(tmp_path / "file.state")}
    sample = (SAMPLE_DATA, "--sources", SAMPLE_SOURCES)
    on_lake = _cli("load", "--lake", tmp_path / "lake", *sample, env=env_lake)
    on_file = _cli("load", "--db", tmp_path / "wh.duckdb", *sample, env=env_file)
    assert on_lake.returncode == 0, on_lake.stderr
    summary = [line for line in on_lake.stdout.splitlines() if line.startswith("alerts: ")]
    assert summary and summary == [
        line for line in on_file.stdout.splitlines() if line.startswith("alerts: ")
    ]
    assert not summary[0].startswith("alerts: 0 new")
    listed = _cli("alerts", "list", "--format", "json", env=env_lake)
    assert listed.returncode == 0 and '"rule"' in listed.stdout  # the history beside the state
    # `alerts run --lake` evaluates the lake as `alerts run` does the warehouse file.
    dry = ("alerts", "run", "--dry-run", "--format", "json")
    over_lake = _cli(*dry, "--lake", tmp_path / "lake", env=env_lake)
    over_file = _cli(*dry, "--db", tmp_path / "wh.duckdb", env=env_file)
    assert over_lake.returncode == 0, over_lake.stderr
    keys = [
        sorted((a["rule"], str(a["scope"]), a["value"]) for a in json.loads(r.stdout))
        for r in (over_lake, over_file)
    ]
    assert keys[0] == keys[1] and keys[0]
