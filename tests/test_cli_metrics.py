"""The metric commands as a user runs them: subprocesses, exit codes, output shapes, messages."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from metrics.catalog import load_catalog
from metrics.query import run_query
from metrics.sqlgen import Query
from tests.metric_support import CONFIG, ROOT, build_fixture_warehouse, cursor


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture_warehouse(tmp_path_factory.mktemp("cli"))


def northstar(*args: str, db=None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"NORTHSTAR_DB": str(db)} if db else {})}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_json_without_grain_or_by_is_one_object(db):
    r = northstar("query", "--metric", "otif,fill_rate", "--as-of", "2026-03-15", "--format", "json", db=db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"otif": 0.3, "fill_rate": pytest.approx(57 / 63)}]


def test_json_keys_period_then_dimensions_then_metrics_sorted(db):
    r = northstar("query", "--metric", "otif,csat", "--by", "region", "--grain", "week",
                  "--as-of", "2026-03-15", "--format", "json", db=db)
    rows = json.loads(r.stdout)
    assert r.returncode == 0, r.stderr
    assert all(list(row) == ["period", "region", "otif", "csat"] for row in rows)
    keys = [(row["period"], row["region"] or "") for row in rows]
    assert keys == sorted(keys)
    assert {"period": "2026-03-02", "region": "South", "otif": pytest.approx(1 / 3), "csat": None} in rows


def test_csv_has_the_same_columns_header_first(db):
    r = northstar("query", "--metric", "otif", "--by", "region", "--as-of", "2026-03-15", "--format", "csv", db=db)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.returncode == 0, r.stderr
    assert [(row["region"], float(row["otif"])) for row in rows] == [("North", pytest.approx(2 / 6)),
                                                                     ("South", pytest.approx(0.25))]


def test_where_and_range_filters(db):
    r = northstar("query", "--metric", "otif", "--where", "region=South,Nowhere", "--from", "2026-03-06",
                  "--to", "2026-03-10", "--as-of", "2026-03-15", "--format", "json", db=db)
    assert json.loads(r.stdout) == [{"otif": 0.0}]


def test_cli_equals_the_query_api(db):
    r = northstar("query", "--metric", "otif,aht_sec,nps", "--by", "segment", "--format", "json", db=db)
    api = run_query(cursor(db), load_catalog(CONFIG), Query(metrics=("otif", "aht_sec", "nps"), by=("segment",)))
    assert json.loads(r.stdout) == api.values().to_dicts()


def test_table_output_is_readable(db):
    r = northstar("query", "--metric", "otif", "--by", "region", "--as-of", "2026-03-15", db=db)
    assert r.returncode == 0 and "North" in r.stdout and "0.3333" in r.stdout


def test_rows_failing_lists_orders_with_miss_reason(db):
    r = northstar("rows", "--metric", "otif", "--failing", "--as-of", "2026-03-15", "--format", "json", db=db)
    rows = json.loads(r.stdout)
    assert r.returncode == 0, r.stderr
    assert {row["order_id"]: row["miss_reason"] for row in rows}["O7"] == "not_shipped"
    assert len(rows) == 7
    limited = northstar("rows", "--metric", "otif", "--limit", "2", "--format", "csv", db=db)
    assert len(limited.stdout.strip().splitlines()) == 3


def test_metrics_catalogue_json():
    r = northstar("metrics", "--format", "json")
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert r.returncode == 0
    assert rows["otif"]["family"] == "north_star" and rows["aht_sec"]["direction"] == "down"
    assert {"name", "label", "family", "owner", "unit", "direction", "target", "definition"} <= set(rows["otif"])


@pytest.mark.parametrize("args, message", [
    (("query", "--metric", "otf"), "unknown metric 'otf'; did you mean 'otif'?"),
    (("query", "--metric", "otif", "--by", "regoin"), "unknown dimension 'regoin' for metric 'otif'; did you mean 'region'?"),
    (("query", "--metric", "aht_sec", "--by", "channel"), "it has: region, segment"),
    (("query", "--metric", "otif", "--from", "2026-02-30"), "bad date for --from: '2026-02-30'; write it as YYYY-MM-DD"),
    (("query", "--metric", "otif", "--as-of", "yesterday"), "bad date for --as-of"),
    (("query", "--metric", "otif", "--from", "2026-03-10", "--to", "2026-03-01"), "is after --to"),
    (("rows", "--metric", "csatt"), "did you mean 'csat'?"),
])
def test_data_problems_exit_1_with_a_plain_message(db, args, message):
    r = northstar(*args, db=db)
    assert r.returncode == 1
    assert message in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [
    ("query",), ("query", "--metric", "otif", "--grain", "weekly"),
    ("query", "--metric", "otif", "--format", "xml"), ("query", "--metric", "otif", "--where", "region"),
    ("rows", "--metric", "otif", "--limit", "-1"), ("frobnicate",),
])
def test_wrong_usage_exits_2(db, args):
    r = northstar(*args, db=db)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_missing_warehouse_is_a_plain_error(tmp_path):
    r = northstar("query", "--metric", "otif", "--db", str(tmp_path / "none.duckdb"))
    assert r.returncode == 1
    assert "no warehouse at" in r.stderr and "northstar demo" in r.stderr


def test_check_reports_every_problem_and_exits_1(tmp_path, db):
    bad = tmp_path / "metrics.yaml"
    bad.write_text(CONFIG.read_text().replace("filter: csat >= 4}", "filter: cstat >= 4}")
                   .replace("    model: shipment_rows\n", "    model: shipments_rows\n"))
    r = northstar("check", "--config", str(bad))
    assert r.returncode == 1
    assert f"{bad}:" in r.stderr and "cstat" in r.stderr and "did you mean 'shipment_rows'?" in r.stderr
    ok = northstar("check", "--db", str(db))
    assert ok.returncode == 0 and "metrics compile" in ok.stdout


def test_debug_flag_shows_the_traceback(db):
    r = northstar("--debug", "query", "--metric", "otf", db=db)
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_readme_documents_every_command():
    from cli.main import cli

    readme = (ROOT / "README.md").read_text()
    for name in cli.commands:
        assert f"`northstar {name}" in readme, name
