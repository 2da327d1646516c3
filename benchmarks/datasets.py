"""Benchmark data: generated extracts and loaded warehouses, made once and reused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def extracts(lines: int, seed: int = 2026) -> Path:
    """Canonical CSV extracts with ``lines`` order lines (generated on first use)."""
    out = DATA / f"canonical-{lines}"  # shared with bench_load.py
    if not (out / "orders.csv").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cli.main",
                "generate",
                "--out",
                str(out),
                "--orders",
                str(lines),
                "--seed",
                str(seed),
            ],
            check=True,
        )
    return out


def warehouse(lines: int) -> Path:
    """A warehouse loaded with ``northstar load`` from :func:`extracts` (built on first use)."""
    db = DATA / f"warehouse-{lines}.duckdb"
    if not db.exists():
        subprocess.run(
            [sys.executable, "-m", "cli.main", "load", str(extracts(lines)), "--db", str(db)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return db
