"""`northstar` from any directory: config/ and sample_data/ found from $NORTHSTAR_HOME, by walking
up from the current directory, else the installed sample; --config still overrides."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import query, run_cli
from tests.metric_support import CONFIG, ROOT, build_fixture_warehouse


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return build_fixture_warehouse(tmp_path_factory.mktemp("home"))


@pytest.fixture(autouse=True)
def no_home(monkeypatch):
    monkeypatch.delenv("NORTHSTAR_HOME", raising=False)


def northstar(*args: str | Path, cwd: Path, home: Path | None = None):
    """The CLI (in-process) in ``cwd``, with $NORTHSTAR_HOME set to ``home`` if given."""
    with pytest.MonkeyPatch.context() as mp:
        if home is not None:
            mp.setenv("NORTHSTAR_HOME", str(home))
        return run_cli(*args, cwd=cwd, timeout=300)


def project(folder: Path, otif_label: str) -> Path:
    """A project folder whose metrics.yaml differs from the repository's in OTIF's label."""
    (folder / "config").mkdir(parents=True)
    text = CONFIG.read_text()
    assert "label: OTIF (orders)" in text
    (folder / "config" / "metrics.yaml").write_text(
        text.replace("label: OTIF (orders)", f"label: {otif_label}")
    )
    return folder


def installed(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """The entry point that installing North Star puts on the PATH, as a real process."""
    exe = shutil.which("northstar")
    assert exe, "'pip install -e .' puts the northstar command on the PATH"
    cmd = [exe, *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def otif_label(r) -> str:
    assert r.returncode == 0, r.stderr
    return {m["name"]: m for m in json.loads(r.stdout)}["otif"]["label"]


def test_query_from_an_unrelated_folder_uses_the_installed_config(tmp_path, db):
    r = northstar(
        "query",
        "--metric",
        "otif",
        "--as-of",
        "2026-03-15",
        "--format",
        "json",
        "--db",
        db,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"otif": 0.3}]
    assert otif_label(northstar("metrics", "--format", "json", cwd=tmp_path)) == "OTIF (orders)"


def test_the_installed_command_answers_and_fails_plainly_from_any_folder(tmp_path, db):
    r = installed("query", "--metric", "otif", "--as-of", "2026-03-15", "--format", "json",
                  "--db", db, cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"otif": 0.3}]
    bad = installed("query", "--metric", "otf", "--db", db, cwd=tmp_path)
    assert bad.returncode == 1 and "otif" in bad.stderr and "Traceback" not in bad.stderr
    usage = installed("query", "--grain", "fortnight", cwd=tmp_path)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_northstar_home_names_the_project_folder(tmp_path):
    home = project(tmp_path / "proj", "OTIF from home")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert (
        otif_label(northstar("metrics", "--format", "json", cwd=elsewhere, home=home))
        == "OTIF from home"
    )
    # --config still overrides it
    r = northstar("metrics", "--format", "json", "--config", CONFIG, cwd=elsewhere, home=home)
    assert otif_label(r) == "OTIF (orders)"


def test_a_home_without_config_is_a_plain_error(tmp_path):
    r = northstar("metrics", cwd=tmp_path, home=tmp_path / "nowhere")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{tmp_path / 'nowhere' / 'config' / 'metrics.yaml'}: file not found" in r.stderr


def test_the_config_is_found_by_walking_up(tmp_path):
    home = project(tmp_path / "proj", "OTIF walked up to")
    deep = home / "reports" / "2026"
    deep.mkdir(parents=True)
    assert otif_label(northstar("metrics", "--format", "json", cwd=deep)) == "OTIF walked up to"


def test_from_a_subfolder_of_the_repository(db):
    r = northstar("check", cwd=ROOT / "tests" / "fixtures")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"ok: {CONFIG}, {ROOT / 'config' / 'sources.yaml'}")
    q = northstar(
        "query",
        "--metric",
        "otif",
        "--as-of",
        "2026-03-15",
        "--format",
        "json",
        "--db",
        db,
        cwd=ROOT / "tests",
    )
    assert json.loads(q.stdout) == [{"otif": 0.3}]


def test_load_from_an_unrelated_folder_rebuilds_the_models(tmp_path):
    data = tmp_path / "extracts"
    shutil.copytree(ROOT / "tests" / "fixtures" / "metrics", data)
    work = tmp_path / "work"
    work.mkdir()
    r = northstar("load", data, "--db", "wh.duckdb", cwd=work)
    assert r.returncode == 0, r.stderr
    assert "rebuilding the stored metric models" in r.stdout and "not rebuilt" not in r.stdout
    assert (
        query(
            work / "wh.duckdb",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'models'",
        )[0][0]
        > 0
    )


def test_load_without_any_metrics_yaml_says_so_before_and_after(tmp_path):
    data = tmp_path / "extracts"
    shutil.copytree(ROOT / "tests" / "fixtures" / "metrics", data)
    r = northstar(
        "load", data, "--db", tmp_path / "wh.duckdb", cwd=tmp_path, home=tmp_path / "empty"
    )
    assert r.returncode == 0, r.stderr
    missing = tmp_path / "empty" / "config" / "metrics.yaml"
    assert f"warning: no metrics.yaml at {missing} ($NORTHSTAR_HOME)" in r.stderr
    assert "note: stored metric models not rebuilt" in r.stdout
    given = northstar(
        "load", data, "--db", tmp_path / "wh2.duckdb", "--config", tmp_path / "x.yaml", cwd=tmp_path
    )
    assert f"warning: no metrics.yaml at {tmp_path / 'x.yaml'} (given by --config)" in given.stderr


def test_demo_from_an_unrelated_folder(tmp_path):
    r = northstar("demo", "--db", "demo.duckdb", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "SO_lines_2026-Q1.csv" in r.stdout and "rebuilding the stored metric models" in r.stdout
    assert "warning" not in r.stderr and "not rebuilt" not in r.stdout
    assert query(tmp_path / "demo.duckdb", "SELECT count(*) FROM customers")[0][0] == 300


def test_demo_uses_the_project_folders_own_sample_data(tmp_path):
    home = project(tmp_path / "proj", "OTIF")
    crm = home / "sample_data" / "crm"
    crm.mkdir(parents=True)
    rows = (
        (ROOT / "sample_data" / "crm" / "customers.csv")
        .read_text(encoding="utf-8-sig")
        .splitlines()
    )
    (crm / "clients.csv").write_text(
        "\n".join(rows[:4]) + "\n"
    )  # a name only its sources.yaml maps
    (home / "sample_data" / "sources.yaml").write_text(
        'tables:\n  customers:\n    files: ["crm/clients.csv"]\n'
    )
    r = northstar("demo", "--db", tmp_path / "demo.duckdb", cwd=tmp_path, home=home)
    assert r.returncode == 0, r.stderr
    assert "clients.csv" in r.stdout and "SO_lines" not in r.stdout
    assert query(tmp_path / "demo.duckdb", "SELECT count(*) FROM customers")[0][0] == 3
