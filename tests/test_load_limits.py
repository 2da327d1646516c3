"""A load that rejects too much fails whole; ``--dry-run`` shows a load and writes nothing.

A file may reject at most ``max_reject_share`` of its rows (default 0.05; ``--strict``: 0):
more fails the load (exit 1, nothing applied) naming the file, its share, the setting and the
top reasons. An empty file is skipped with a plain message.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from connectors.errors import ConnectorError
from connectors.load import load_paths
from connectors.reject_limits import limit_failure
from connectors.upsert import FileReport
from tests.cli_support import run_cli
from tests.conftest import query, write_csv

HEAD = ["customer_id", "name", "segment"]


def customers(folder: Path, good: int, bad: int = 0, name: str = "customers.csv") -> Path:
    """``good`` customers, then ``bad`` rows without a customer_id (missing_value)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [[f"C{i:03d}", f"Customer {i}", "retail"] for i in range(good)]
    rows += [["", f"Nobody {i}", "retail"] for i in range(bad)]
    return write_csv(folder / name, HEAD, rows)


def stamp(db: Path) -> tuple[str, int, list[str]]:
    """The warehouse file's bytes and modification time, and what lies beside it."""
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    return digest, db.stat().st_mtime_ns, sorted(p.name for p in db.parent.iterdir())


@pytest.fixture
def loaded(tmp_path) -> Path:
    """A warehouse holding 10 customers, in a folder of its own."""
    db = tmp_path / "wh" / "wh.duckdb"
    db.parent.mkdir()
    load_paths(db, [customers(tmp_path / "first", 10)], progress=False)
    return db


def test_a_file_over_max_reject_share_fails_and_nothing_is_applied(loaded, tmp_path):
    bad = customers(tmp_path / "second", 18, 2, name="customers_new.csv")  # 2 of 20: 10%
    before = stamp(loaded)
    with pytest.raises(ConnectorError) as exc:
        load_paths(loaded, [bad], progress=False)
    message = str(exc.value)
    assert "customers_new.csv: 2 of 20 rows rejected (10.0%)" in message
    assert "max_reject_share 0.05" in message
    assert "top reasons: missing_value: 2" in message
    assert "nothing was loaded" in message
    assert stamp(loaded) == before
    assert query(loaded, "SELECT count(*) FROM customers") == [(10,)]


def test_a_file_within_the_share_loads(loaded, tmp_path):
    report = load_paths(
        loaded, [customers(tmp_path / "s", 24, 1, "customers_b.csv")], progress=False
    )
    assert (report.rows_loaded, report.rows_rejected) == (24, 1)  # 4%


def test_strict_makes_the_limit_zero(loaded, tmp_path):
    folder = tmp_path / "s"
    customers(folder, 24, 1, "customers_b.csv")
    before = stamp(loaded)
    r = run_cli("load", folder, "--db", loaded, "--strict")
    assert r.returncode == 1
    assert "--strict: 1 row(s) rejected; nothing was loaded" in r.stderr
    assert "missing_value: 1" in r.stderr
    assert stamp(loaded) == before


def test_a_file_whose_every_row_is_rejected_exits_1(tmp_path):
    folder = tmp_path / "x"
    customers(folder, 0, 3)
    db = tmp_path / "wh.duckdb"
    r = run_cli("load", folder, "--db", db)
    assert r.returncode == 1, r.stdout
    assert "3 of 3 rows rejected (100.0%)" in r.stderr
    assert "max_reject_share" in r.stderr and "missing_value: 3" in r.stderr
    assert "Traceback" not in r.stderr
    assert not db.exists()


def test_an_empty_file_is_skipped_with_a_plain_message(loaded, tmp_path):
    folder = tmp_path / "e"
    folder.mkdir()
    (folder / "customers_empty.csv").write_text("")
    customers(folder, 5)
    r = run_cli("load", folder, "--db", loaded)
    assert r.returncode == 0, r.stderr
    assert "empty file" in r.stdout and "skipped" in r.stdout


def test_the_limit_of_a_mapping_is_used():
    """A per-table ``max_reject_share`` (sources.yaml) replaces the default."""
    report = FileReport("orders", "o.csv", 10, 7, 3, (("bad_date", 3),))
    lenient = SimpleNamespace(mapping=SimpleNamespace(max_reject_share=0.5))
    default = SimpleNamespace(mapping=SimpleNamespace())
    assert limit_failure([lenient], [report], strict=False) is None
    failure = limit_failure([default], [report], strict=False)
    assert failure and "o.csv: 3 of 10 rows rejected (30.0%)" in failure
    assert "bad_date: 3" in failure


def test_dry_run_prints_typed_rows_and_rejects_and_writes_nothing(loaded, tmp_path):
    folder = tmp_path / "d"
    customers(folder, 24, 1, "customers_b.csv")
    write_csv(
        folder / "orders.csv",
        [
            "order_id",
            "line_id",
            "customer_id",
            "sku",
            "order_date",
            "requested_date",
            "qty_ordered",
        ],
        [["O1", "1", "C001", "S", "2026-03-02", "2026-03-10", "1.50"]],
    )
    before = stamp(loaded)
    r = run_cli("load", "--dry-run", folder, "--db", loaded)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "first 5 row(s) of" in out and "customers_b.csv as customers" in out
    assert "C000" in out and "C004" in out and "C005" not in out
    assert "first 1 row(s) of" in out and "2026-03-02" in out and "1.5" in out  # typed
    assert "rejected rows (1):" in out and "missing_value" in out
    assert "dry run: 2 file(s) would load 25 rows" in out and "nothing was written" in out
    assert stamp(loaded) == before
    assert query(loaded, "SELECT count(*) FROM customers") == [(10,)]


def test_dry_run_of_a_failing_load_shows_why_and_exits_1(loaded, tmp_path):
    folder = tmp_path / "d"
    customers(folder, 2, 2, "customers_b.csv")
    before = stamp(loaded)
    r = run_cli("load", "--dry-run", folder, "--db", loaded)
    assert r.returncode == 1
    assert "rejected rows (2):" in r.stdout  # what it saw is printed first
    assert "the load would fail" in r.stderr and "2 of 4 rows rejected (50.0%)" in r.stderr
    assert stamp(loaded) == before


def test_dry_run_without_a_warehouse_creates_none(tmp_path):
    db = tmp_path / "wh" / "wh.duckdb"
    db.parent.mkdir()
    r = run_cli("load", "--dry-run", customers(tmp_path / "x", 3), "--db", db)
    assert r.returncode == 0, r.stderr
    assert "would load 3 rows" in r.stdout
    assert list(db.parent.iterdir()) == []
