"""The engine seam: the DuckDB engine over a file, SQL rendered per dialect, and
``northstar check --engine spark`` on the shipped and on a non-portable catalogue."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from metrics.catalog import load_catalog
from metrics.engine import Compiled, Engine, MissingObject, execute
from metrics.errors import ConfigError, MetricsError
from metrics.query import run_query
from metrics.sqlgen import Query, compile_query
from store.engines import open_engine
from store.warehouse import DuckDBEngine, Warehouse
from tests.conftest import run_cli
from tests.metric_support import CONFIG, ROOT, build_fixture_warehouse


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return build_fixture_warehouse(tmp_path_factory.mktemp("engine"))


def test_duckdb_engine_runs_a_compiled_statement_over_a_file(tmp_path):
    path = tmp_path / "small.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'a')) v(n, k)")
    con.close()
    engine = Warehouse(path).engine()
    assert isinstance(engine, Engine) and engine.dialect == "duckdb"
    frame = engine.run(
        Compiled("SELECT k, sum(n) AS s FROM t WHERE n >= $low GROUP BY k ORDER BY k", {"low": 2})
    )
    assert frame.to_dict(as_series=False) == {"k": ["a", "b"], "s": [3, 2]}
    with pytest.raises(MissingObject, match="lacks something a metric needs: .*nope"):
        engine.run(Compiled("SELECT * FROM nope"))
    with pytest.raises(MetricsError, match="the query failed"):
        engine.run(Compiled("SELECT n / 'x' FROM t"))


def test_a_statement_without_rows_gives_an_empty_frame(tmp_path):
    engine = DuckDBEngine(duckdb.connect(str(tmp_path / "w.duckdb")))
    assert engine.run(Compiled("CREATE TABLE t (n INTEGER)")).is_empty()
    engine.run(Compiled("INSERT INTO t VALUES ($n)", {"n": 7}))
    assert execute(engine, Compiled("SELECT n FROM t")).item() == 7


def test_the_core_refuses_a_bare_cursor_plainly(db):
    catalog = load_catalog(CONFIG)
    q = Query(("otif", "contacts_per_100_orders"), by=("region",), grain="month")
    through_engine = run_query(Warehouse(db).engine(), catalog, q).values()
    through_door = run_query(open_engine(db, None), catalog, q).values()
    assert through_engine.height > 0
    assert through_engine.equals(through_door)
    with pytest.raises(TypeError, match="runs on an Engine .*not on a DuckDBPyConnection"):
        run_query(Warehouse(db).cursor(), catalog, q)


def test_every_engine_returns_decimals_as_floats():
    frame = DuckDBEngine(duckdb.connect()).run(
        Compiled("SELECT round(1.234::DECIMAL(10, 3), 2) AS r, 1.5 AS lit, 2 AS n")
    )
    assert frame.schema == {"r": pl.Float64, "lit": pl.Float64, "n": pl.Int32}
    assert frame.row(0) == (1.23, 1.5, 2)


AS_OF = dt.date(2026, 3, 15)
DIALECT_CASES = {
    "otif_fill_rate_by_region_week": Query(
        ("otif", "fill_rate"),
        by=("region",),
        grain="week",
        date_from=dt.date(2026, 1, 1),
        where=(("segment", ("retail", "key account")),),
    ),
    "contacts_per_100_orders_by_portfolio": Query(
        ("contacts_per_100_orders",), by=("portfolio",), grain="month"
    ),
}


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
@pytest.mark.parametrize("name", sorted(DIALECT_CASES))
def test_compiled_sql_per_dialect_matches_golden(name, dialect):
    import os

    compiled = compile_query(load_catalog(CONFIG), DIALECT_CASES[name], AS_OF)
    text = compiled.render(dialect)
    path = ROOT / "tests" / "golden" / "dialects" / f"{name}.{dialect}.sql"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text + "\n")
    assert text + "\n" == path.read_text()
    for idiom in ("GROUP BY ALL", "BY NAME"):
        assert idiom not in text
    if dialect == "spark":
        assert "$" not in text
        assert all(f":{p}" in text for p in compiled.params)


def _problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": models." in line or ": metrics." in line]


def test_check_engine_spark_passes_on_the_shipped_catalogue():
    done = run_cli("check", "--config", CONFIG, "--engine", "spark")
    assert done.returncode == 0, done.stderr
    assert _problems(done.stderr) == []
    assert "every model and metric transpiles to spark SQL" in done.stdout


def test_check_engine_spark_names_the_line_of_a_duckdb_only_model(tmp_path):
    text = CONFIG.read_text()
    portable = "k.started_at + INTERVAL '1' HOUR * $fcr_window_hours"
    assert portable in text
    text = text.replace(portable, "k.started_at + to_hours($fcr_window_hours::BIGINT)")
    text = text.replace(
        "arg_max(s.carrier, CAST(s.ship_date AS VARCHAR) || s.shipment_id)",
        "arg_max(s.carrier, (s.ship_date, s.shipment_id))",
    )
    config = tmp_path / "metrics.yaml"
    config.write_text(text)
    lines = text.splitlines()
    hours = next(i for i, line in enumerate(lines, 1) if "to_hours" in line)
    carrier = next(i for i, line in enumerate(lines, 1) if "arg_max" in line)
    done = run_cli("check", "--config", config, "--engine", "spark")
    assert done.returncode == 1
    assert f"{config}:{hours}: models.contacts.sql: uses the function to_hours()" in done.stderr
    assert f"{config}:{carrier}: models.lines.sql: passes the row value" in done.stderr
    assert len(_problems(done.stderr)) == 2
    assert "Traceback" not in done.stderr
    # the same catalogue is fine for DuckDB itself
    assert run_cli("check", "--config", config, "--engine", "duckdb").returncode == 0


def test_check_engine_names_a_metric_expression_spark_lacks(tmp_path):
    text = CONFIG.read_text()
    assert text.count("expr: qty_ordered * unit_price\n") == 1
    text = text.replace("expr: qty_ordered * unit_price\n", "expr: list_sum([qty_ordered])\n")
    config = tmp_path / "metrics.yaml"
    config.write_text(text)
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "list_sum" in x)
    done = run_cli("check", "--config", config, "--engine", "spark")
    assert done.returncode == 1, done.stdout
    assert re.search(
        rf"{re.escape(str(config))}:{line}: metrics\.\w+\.expr: uses the function list_sum\(\)",
        done.stderr,
    ), done.stderr


def test_sql_dialect_setting_accepts_only_duckdb(tmp_path):
    config = tmp_path / "metrics.yaml"
    text = CONFIG.read_text()
    config.write_text(text.replace("sql_dialect: duckdb", "sql_dialect: postgres"))
    line = text.splitlines().index(next(x for x in text.splitlines() if "sql_dialect:" in x)) + 1
    with pytest.raises(ConfigError) as err:
        load_catalog(config)
    message = str(err.value)
    assert f"{config}:{line}: settings.sql_dialect" in message and "'duckdb'" in message


def test_no_module_of_the_metric_core_knows_duckdb():
    """The metric core reaches an engine only through metrics.engine: no duckdb import,
    no DuckDB result reading, no DuckDB-only SQL idioms in what it writes."""
    offenders = []
    for path in sorted((ROOT / "metrics").glob("*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n.split(".")[0] == "duckdb" for n in names):
                offenders.append(f"{path.name}:{node.lineno}: imports duckdb")
        if path.name == "portability.py":  # it names the idioms to find them in metrics.yaml
            continue
        code = re.sub(r'""".*?"""', "", source, flags=re.DOTALL)  # docstrings may name the idioms
        for idiom in (".pl()", "GROUP BY ALL", "BY NAME", ".fetchall()", "DuckDBPyConnection"):
            if idiom in code:
                offenders.append(f"{path.name}: {idiom}")
    assert offenders == []
