"""The bundled sample data: `northstar demo` builds it, and its rejects are exactly the planted ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.demo import SAMPLE_DATA, SAMPLE_SOURCES
from tests.conftest import query, run_cli

pytestmark = pytest.mark.skipif(
    not (SAMPLE_DATA / "planted_rejects.json").exists(), reason="sample_data/ not generated"
)


def test_sample_rejects_are_exactly_the_planted_ones(demo_db: Path) -> None:
    planted = json.loads((SAMPLE_DATA / "planted_rejects.json").read_text())
    want = sorted((e["file"], e["row"], e["table"], e["rule"]) for e in planted)
    got = sorted(
        (Path(f).relative_to(SAMPLE_DATA.resolve()).as_posix(), r, t, u)
        for f, r, t, u in query(demo_db, 'SELECT file, "row", "table", rule FROM rejects')
    )
    assert got == want


def test_every_sample_file_balances(demo_db: Path) -> None:
    loads = query(demo_db, "SELECT file, rows_read, rows_loaded, rows_rejected FROM loads")
    assert len(loads) == len(
        [p for p in SAMPLE_DATA.rglob("*") if p.suffix in (".csv", ".parquet", ".xlsx")]
    )
    for file, read, loaded, rejected in loads:
        assert read == loaded + rejected, file
    tables = dict(query(demo_db, 'SELECT "table", sum(rows_loaded) FROM loads GROUP BY 1'))
    for table, n in tables.items():
        assert query(demo_db, f"SELECT count(*) FROM {table}") == [(n,)]


def test_northstar_demo_builds_a_fresh_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    assert SAMPLE_SOURCES.exists()
    first = run_cli("demo", "--db", db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "SO_lines_2026-Q1.csv" in first.stdout
    counts = query(db, "SELECT count(*) FROM orders")
    again = run_cli("demo", "--db", db, cwd=tmp_path)  # fresh: not "unchanged", same rows
    assert again.returncode == 0 and "unchanged" not in again.stdout
    assert query(db, "SELECT count(*) FROM orders") == counts
