"""Shared fixtures: write extract files, run the CLI as a subprocess, query a warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, sep: str = ",",
              bom: bool = False) -> Path:
    """A CSV with the given header and rows (cells written as given, no quoting)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(sep.join(r) for r in [header, *rows]) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def run_cli(*args: str | Path, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("NORTHSTAR_DB", None)
    return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "wh.duckdb"
