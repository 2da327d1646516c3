"""The metric commands as a user runs them (in-process): exit codes, output shapes, messages."""

from __future__ import annotations

import csv
import io
import json
import os
import re

import pytest

from metrics.catalog import load_catalog
from metrics.query import run_query
from metrics.sqlgen import Query
from tests.cli_support import run_cli
from tests.metric_support import CONFIG, build_fixture_warehouse, engine


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture_warehouse(tmp_path_factory.mktemp("cli"))


def northstar(*args: str, db=None):
    return run_cli(*args, env={"NORTHSTAR_DB": str(db) if db else os.environ.get("NORTHSTAR_DB")})


def test_json_without_grain_or_by_is_one_object(db):
    r = northstar(
        "query", "--metric", "otif,fill_rate", "--as-of", "2026-03-15", "--format", "json", db=db
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"otif": 0.3, "fill_rate": pytest.approx(57 / 63)}]


def test_json_keys_period_then_dimensions_then_metrics_sorted(db):
    r = northstar(
        "query",
        "--metric",
        "otif,csat",
        "--by",
        "region",
        "--grain",
        "week",
        "--as-of",
        "2026-03-15",
        "--format",
        "json",
        db=db,
    )
    rows = json.loads(r.stdout)
    assert r.returncode == 0, r.stderr
    assert all(list(row) == ["period", "region", "otif", "csat"] for row in rows)
    keys = [(row["period"], row["region"] or "") for row in rows]
    assert keys == sorted(keys)
    assert {
        "period": "2026-03-02",
        "region": "South",
        "otif": pytest.approx(1 / 3),
        "csat": None,
    } in rows


def test_csv_has_the_same_columns_header_first(db):
    r = northstar(
        "query",
        "--metric",
        "otif",
        "--by",
        "region",
        "--as-of",
        "2026-03-15",
        "--format",
        "csv",
        db=db,
    )
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.returncode == 0, r.stderr
    assert [(row["region"], float(row["otif"])) for row in rows] == [
        ("North", pytest.approx(2 / 6)),
        ("South", pytest.approx(0.25)),
    ]


def test_where_and_range_filters(db):
    r = northstar(
        "query",
        "--metric",
        "otif",
        "--where",
        "region=South,Nowhere",
        "--from",
        "2026-03-06",
        "--to",
        "2026-03-10",
        "--as-of",
        "2026-03-15",
        "--format",
        "json",
        db=db,
    )
    assert json.loads(r.stdout) == [{"otif": 0.0}]


def test_cli_equals_the_query_api(db):
    r = northstar(
        "query", "--metric", "otif,aht_sec,nps", "--by", "segment", "--format", "json", db=db
    )
    api = run_query(
        engine(db), load_catalog(CONFIG), Query(metrics=("otif", "aht_sec", "nps"), by=("segment",))
    )
    assert json.loads(r.stdout) == api.values().to_dicts()


def test_table_output_is_for_people_with_unit_sample_and_target(db):
    r = northstar(
        "query", "--metric", "otif,aht_sec", "--by", "region", "--as-of", "2026-03-15", db=db
    )
    assert r.returncode == 0, r.stderr
    assert "0.3333" not in r.stdout  # a fraction is for machines
    details = json.loads(
        northstar(
            "query",
            "--metric",
            "otif",
            "--by",
            "region",
            "--as-of",
            "2026-03-15",
            "--format",
            "json",
            db=db,
        ).stdout
    )
    north = next(row["otif"] for row in details if row["region"] == "North")
    assert north == pytest.approx(1 / 3)
    cells = [c.strip() for c in next(x for x in r.stdout.splitlines() if "North" in x).split("│")]
    # 2 of 6 orders: too few to judge; its target weighted from its customers' (95% and 90%)
    assert cells[:4] == ["North", "33.3% (small sample)", "6", "93.3%"]
    assert "otif n" in r.stdout and "aht_sec target" in r.stdout
    assert re.search(r"\d+m \d+s", r.stdout)  # handle time in minutes and seconds


def test_rows_failing_lists_orders_with_miss_reason(db):
    r = northstar(
        "rows", "--metric", "otif", "--failing", "--as-of", "2026-03-15", "--format", "json", db=db
    )
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
    assert {
        "name",
        "label",
        "family",
        "owner",
        "unit",
        "direction",
        "target",
        "definition",
        "dimensions",
    } <= set(rows["otif"])
    assert rows["otif"]["dimensions"] == OTIF_DIMENSIONS


# by hand from config/metrics.yaml: the models' dimensions (a metric over two models gets
# those both offer)
OTIF_DIMENSIONS = [
    "region",
    "segment",
    "portfolio",
    "portfolio_manager",
    "customer_id",
    "channel",
    "miss_reason",
    "miss_open",
]
AHT_DIMENSIONS = [
    "region",
    "segment",
    "portfolio",
    "portfolio_manager",
    "customer_id",
    "queue",
    "agent_id",
    "reason",
]
CONTACTS_PER_100_DIMENSIONS = ["region", "segment", "portfolio", "portfolio_manager", "customer_id"]


def test_dimensions_per_metric_json():
    r = northstar(
        "dimensions",
        "--metric",
        "otif,aht_sec",
        "--metric",
        "contacts_per_100_orders",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [
        {"metric": "otif", "label": "OTIF (orders)", "dimensions": OTIF_DIMENSIONS},
        {"metric": "aht_sec", "label": "Average handle time", "dimensions": AHT_DIMENSIONS},
        {
            "metric": "contacts_per_100_orders",
            "label": "Contacts per 100 orders",
            "dimensions": CONTACTS_PER_100_DIMENSIONS,
        },
    ]


def test_dimensions_csv_and_table_list_every_metric():
    r = northstar("dimensions", "--format", "csv")
    rows = {row["metric"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert r.returncode == 0, r.stderr
    assert set(rows) == set(load_catalog(CONFIG).metrics)
    assert rows["aht_sec"]["dimensions"] == ",".join(AHT_DIMENSIONS)  # as --by takes it
    table = northstar("dimensions", "--metric", "otif")
    assert (
        table.returncode == 0
        and "miss_reason" in table.stdout
        and "portfolio_manager" in table.stdout
    )


def test_a_listed_dimension_works_with_by_and_where_and_an_unlisted_one_does_not(db):
    ok = northstar(
        "query",
        "--metric",
        "contacts_per_100_orders",
        "--by",
        "portfolio_manager",
        "--where",
        "customer_id=C1",
        "--format",
        "json",
        db=db,
    )
    assert ok.returncode == 0, ok.stderr
    bad = northstar("query", "--metric", "contacts_per_100_orders", "--by", "channel", db=db)
    assert bad.returncode == 1 and f"it has: {', '.join(CONTACTS_PER_100_DIMENSIONS)}" in bad.stderr


def test_dimensions_of_an_unknown_metric():
    r = northstar("dimensions", "--metric", "otf")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "unknown metric 'otf'; did you mean 'otif'?" in r.stderr


def test_rows_takes_the_filters_of_query(db):
    # by hand from the fixture: South has 4 measured orders by 2026-03-15, 3 of them missed
    south = ("rows", "--metric", "otif", "--failing", "--where", "region=South", "--format", "json")
    r = northstar(*south, "--as-of", "2026-03-15", db=db)
    assert r.returncode == 0, r.stderr
    assert [row["order_id"] for row in json.loads(r.stdout)] == ["O10", "O4", "O5"]  # newest first
    narrowed = northstar(*south, "--from", "2026-03-07", "--as-of", "2026-03-15", db=db)
    assert [row["order_id"] for row in json.loads(narrowed.stdout)] == ["O10"]


@pytest.mark.parametrize("option", [("--grain", "week"), ("--by", "region")])
def test_rows_has_no_grouping_options(db, option):
    r = northstar("rows", "--metric", "otif", *option, db=db)
    assert r.returncode == 2 and f"No such option '{option[0]}'" in r.stderr
    assert option[0] not in northstar("rows", "--help").stdout
    assert option[0] in northstar("query", "--help").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("query", "--metric", "otf"), "unknown metric 'otf'; did you mean 'otif'?"),
        (
            ("query", "--metric", "otif", "--by", "regoin"),
            "unknown dimension 'regoin' for metric 'otif'; did you mean 'region'?",
        ),
        (("query", "--metric", "aht_sec", "--by", "channel"), "it has: region, segment"),
        (
            ("query", "--metric", "otif", "--by", "site"),
            "can span several values of site: use 'otif_line', which has 'site'",
        ),
        (
            ("query", "--metric", "otif", "--from", "2026-02-30"),
            "bad date for --from: '2026-02-30'; write it as YYYY-MM-DD",
        ),
        (("query", "--metric", "otif", "--as-of", "yesterday"), "bad date for --as-of"),
        (
            ("query", "--metric", "otif", "--from", "2026-03-10", "--to", "2026-03-01"),
            "is after --to",
        ),
        (("rows", "--metric", "csatt"), "did you mean 'csat'?"),
    ],
)
def test_data_problems_exit_1_with_a_plain_message(db, args, message):
    r = northstar(*args, db=db)
    assert r.returncode == 1
    assert message in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("query",),
        ("query", "--metric", "otif", "--grain", "weekly"),
        ("query", "--metric", "otif", "--format", "xml"),
        ("query", "--metric", "otif", "--where", "region"),
        ("rows", "--metric", "otif", "--limit", "-1"),
        ("frobnicate",),
    ],
)
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
    bad.write_text(
        CONFIG.read_text()
        .replace("filter: csat >= 4}", "filter: cstat >= 4}")
        .replace("    model: shipment_rows\n", "    model: shipments_rows\n")
    )
    r = northstar("check", "--config", str(bad))
    assert r.returncode == 1
    assert (
        f"{bad}:" in r.stderr
        and "cstat" in r.stderr
        and "did you mean 'shipment_rows'?" in r.stderr
    )
    ok = northstar("check", "--db", str(db))
    assert ok.returncode == 0 and "metrics compile" in ok.stdout


def test_debug_flag_shows_the_traceback(db):
    r = northstar("--debug", "query", "--metric", "otf", db=db)
    assert r.returncode != 0 and "Traceback" in r.stderr
