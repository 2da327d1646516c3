"""Loads as a whole: idempotence, superseding, --strict, atomic swap, readers, the lock, the CLI."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from connectors.load import load_paths
from store.errors import StoreError
from tests.conftest import REPO, query, run_cli, write_csv

COLS = ["order_id", "line_id", "customer_id", "sku", "order_date", "requested_date", "qty_ordered"]


def _orders(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """Order lines (order_id, line_id, qty)."""
    return write_csv(
        path, COLS, [[o, line, "C1", "X", "2026-01-05", "2026-01-09", q] for o, line, q in rows]
    )


def _snapshot(db: Path) -> list:
    return [query(db, f"SELECT * FROM {t} ORDER BY ALL") for t in ("orders", "rejects", "loads")]


def _big_orders(path: Path, n: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'SO' || i AS order_id, '1' AS line_id, 'C1' AS customer_id, 'X' AS sku,
                      '2026-01-05' AS order_date, '2026-01-09' AS requested_date, (i % 7)::VARCHAR AS qty_ordered
                      FROM range({n}) t(i)) TO '{path}' (HEADER)""")
    con.close()
    return path


def test_loading_the_same_file_twice_changes_nothing(tmp_path: Path, db: Path) -> None:
    f = _orders(tmp_path / "orders.csv", [("SO1", "1", "4"), ("SO1", "1", "5"), ("SO2", "1", "-1")])
    first = load_paths(db, [f], progress=False, max_reject_share=1)
    before = _snapshot(db)
    second = load_paths(db, [f, tmp_path], progress=False, max_reject_share=1)
    assert _snapshot(db) == before
    assert second.files[0].skipped and not first.files[0].skipped
    assert len(second.files) == 1  # a file named twice is loaded once


def test_a_newer_extract_replaces_rows_with_the_same_key(tmp_path: Path, db: Path) -> None:
    a = _orders(
        tmp_path / "orders_1.csv", [("SO1", "1", "4"), ("SO1", "2", "x"), ("SO2", "1", "1")]
    )
    load_paths(db, [a], progress=False, max_reject_share=1)
    assert query(db, "SELECT count(*) FROM rejects") == [(1,)]
    b = _orders(tmp_path / "orders_2.csv", [("SO1", "1", "7"), ("SO3", "1", "1")])
    load_paths(db, [b], progress=False, max_reject_share=1)
    assert query(db, "SELECT order_id, line_id, qty_ordered FROM orders ORDER BY 1, 2") == [
        ("SO1", "1", 7.0),
        ("SO2", "1", 1.0),
        ("SO3", "1", 1.0),
    ]
    # the first file, corrected: its rows replace, its old rejects are replaced
    _orders(a, [("SO1", "2", "3")])
    load_paths(db, [a], progress=False, max_reject_share=1)
    assert query(db, "SELECT count(*) FROM rejects") == [(0,)]
    assert query(db, "SELECT count(*), sum(qty_ordered) FROM orders") == [(4, 12.0)]
    assert query(db, "SELECT count(*) FROM loads") == [(3,)]


def test_strict_refuses_the_whole_load_when_a_row_is_rejected(tmp_path: Path, db: Path) -> None:
    load_paths(db, [_orders(tmp_path / "orders_1.csv", [("SO1", "1", "4")])], progress=False)
    before = _snapshot(db)
    b = _orders(tmp_path / "new" / "orders_2.csv", [("SO2", "1", "1"), ("SO3", "1", "-2")])
    with pytest.raises(StoreError, match=r"--strict: 1 row\(s\) rejected; nothing was loaded"):
        load_paths(db, [b], strict=True, progress=False)
    assert _snapshot(db) == before
    assert not list(tmp_path.glob("wh.duckdb.tmp-*"))


def test_a_fresh_warehouse_has_all_tables_typed_even_when_empty(tmp_path: Path, db: Path) -> None:
    load_paths(db, [_orders(tmp_path / "orders.csv", [("SO1", "1", "4")])], progress=False)
    tables = {r[0] for r in query(db, "SELECT table_name FROM information_schema.tables")}
    assert tables == {
        "orders",
        "shipments",
        "calls",
        "surveys",
        "customers",
        "fx_rates",
        "rejects",
        "warnings",
        "loads",
    }
    assert query(
        db,
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'calls' AND column_name IN ('started_at', 'abandoned') ORDER BY 1",
    ) == [("BOOLEAN",), ("TIMESTAMP",)]


def test_a_load_killed_midway_leaves_the_previous_warehouse(tmp_path: Path, db: Path) -> None:
    load_paths(db, [_orders(tmp_path / "orders_small.csv", [("SO1", "1", "4")])], progress=False)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    big = _big_orders(tmp_path / "big" / "orders_big.csv", 3_000_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "load", str(big), "--db", str(db)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tmp = db.with_name(f"{db.name}.tmp-{proc.pid}")
    deadline = time.monotonic() + 60
    while not tmp.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # well inside the read of the big file
    assert proc.poll() is None, "the load finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert query(db, "SELECT order_id FROM orders") == [("SO1",)]
    # the next load cleans up what the killed one left
    load_paths(db, [_orders(tmp_path / "orders_next.csv", [("SO2", "1", "1")])], progress=False)
    assert not list(tmp_path.glob("wh.duckdb.tmp-*"))
    assert query(db, "SELECT count(*) FROM orders") == [(2,)]


READER = """
import sys, time
from store.warehouse import Warehouse
wh = Warehouse(sys.argv[1])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    cur = wh.cursor()
    n = cur.execute("SELECT count(*) FROM orders").fetchone()[0]
    cur.close()
    print(n, flush=True)
    if n > 1:
        break
    time.sleep(0.02)
"""


def test_a_reader_holding_the_warehouse_sees_old_then_new_data(tmp_path: Path, db: Path) -> None:
    load_paths(db, [_orders(tmp_path / "orders_1.csv", [("SO1", "1", "4")])], progress=False)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db)],
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout.readline().strip() == "1"  # the reader holds the file open
    load_paths(
        db,
        [_orders(tmp_path / "orders_2.csv", [("SO2", "1", "4"), ("SO3", "1", "1")])],
        progress=False,
    )
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert out.split()[-1] == "3"


def test_a_second_load_waits_for_the_lock_then_gives_up(tmp_path: Path, db: Path) -> None:
    f = _orders(tmp_path / "orders.csv", [("SO1", "1", "4")])
    fd = os.open(db.with_name(db.name + ".lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(StoreError, match="another load is still writing"):
            load_paths(db, [f], progress=False, lock_timeout=0.3)
    finally:
        os.close(fd)
    load_paths(db, [f], progress=False)
    assert query(db, "SELECT count(*) FROM orders") == [(1,)]


def test_cli_load_prints_per_file_counts_and_top_rules(tmp_path: Path, db: Path) -> None:
    _orders(
        tmp_path / "x" / "orders.csv",
        [("SO1", "1", "4"), ("SO2", "1", "-1"), ("SO2", "1", "a"), ("SO3", "1", "-3")],
    )
    lenient = tmp_path / "sources.yaml"  # 3 of 4 rows rejected: over the default 5%
    lenient.write_text("max_reject_share: 1\n")
    r = run_cli("load", tmp_path / "x", "--db", db, "--sources", lenient)
    assert r.returncode == 0, r.stderr
    assert (
        "orders" in r.stdout
        and "read 4  loaded 1  rejected 3  (out_of_range: 2, bad_number: 1)" in r.stdout
    )
    assert re.search(
        r"took [0-9.]+ s, of which [0-9.]+ s rebuilding the stored metric models", r.stdout
    )
    again = run_cli("load", tmp_path / "x", "--db", db, "--sources", lenient)
    assert "unchanged (already loaded)" in again.stdout
    listed = run_cli("rejects", "--db", db, "--format", "json", "--rule", "out_of_range")
    assert [(x["row"], x["value"]) for x in json.loads(listed.stdout)] == [(3, "-1"), (5, "-3")]
    as_csv = run_cli(
        "rejects", "--db", db, "--format", "csv", "--file", "orders.csv", "--limit", "1"
    )
    assert as_csv.stdout.splitlines()[0] == "file,row,table,rule,column,value,message"
    assert len(as_csv.stdout.splitlines()) == 2
    table = run_cli("rejects", "--db", db)
    assert "bad_number" in table.stdout and table.returncode == 0


def test_cli_load_says_when_the_metric_models_could_not_be_rebuilt(
    tmp_path: Path, db: Path
) -> None:
    _orders(tmp_path / "orders.csv", [("SO1", "1", "4")])
    r = run_cli("load", tmp_path / "orders.csv", "--db", db, "--config", tmp_path / "missing.yaml")
    assert r.returncode == 0, r.stderr
    assert "loaded 1" in r.stdout and "Traceback" not in r.stdout + r.stderr
    assert (
        "note: stored metric models not rebuilt (queries compute them live until the next load): "
        in r.stdout
    )
    assert "missing.yaml" in r.stdout and "rebuilding" not in r.stdout


def test_cli_errors_exit_1_without_traceback_and_usage_exits_2(tmp_path: Path, db: Path) -> None:
    f = write_csv(tmp_path / "orders.csv", ["Order No", "line_id"], [["1", "2"]])
    r = run_cli("load", f, "--db", db)
    assert (
        r.returncode == 1
        and "closest header: 'Order No'" in r.stderr
        and "Traceback" not in r.stderr
    )
    r = run_cli("load", tmp_path / "missing.csv", "--db", db)
    assert r.returncode == 1 and "no such file or folder" in r.stderr
    assert run_cli("load", "--db", db).returncode == 2
    _orders(tmp_path / "ok" / "orders.csv", [("SO1", "1", "-4")])
    r = run_cli("load", tmp_path / "ok", "--db", db, "--strict")
    assert r.returncode == 1 and "nothing was loaded" in r.stderr and not db.exists()
    r = run_cli("rejects", "--db", db)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    r = run_cli("load", tmp_path / "ok", "--db", db)
    r = run_cli("rejects", "--db", db, "--rule", "out_of_rnge")
    assert r.returncode == 1 and "did you mean 'out_of_range'?" in r.stderr
