"""`northstar generate` says what --orders counts (order lines) and how many bad rows it planted."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

from tests.conftest import run_cli


def test_generate_reports_lines_orders_and_planted_rows(tmp_path: Path) -> None:
    r = run_cli("generate", "--out", tmp_path, "--orders", "300", "--seed", "7", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    planted = json.loads((tmp_path / "planted_rejects.json").read_text())
    bad = {e["row"] for e in planted if e["file"] == "orders.csv"}
    with (tmp_path / "orders.csv").open(encoding="utf-8-sig") as fh:
        good = [row for i, row in enumerate(csv.DictReader(fh), start=2) if i not in bad]
    n_orders = len({row["order_id"] for row in good})
    assert len(good) == 300
    assert f"wrote 300 order lines ({n_orders:,} orders)" in r.stdout
    rules = ", ".join(
        f"{rule} {n:,}" for rule, n in sorted(Counter(e["rule"] for e in planted).items())
    )
    assert f"planted {len(planted):,} bad rows ({rules}), listed in " in r.stdout
    written = len((tmp_path / "orders.csv").read_text(encoding="utf-8-sig").splitlines()) - 1
    assert re.search(
        rf"rows per table, planted bad rows included: .*orders {written:,}\b", r.stdout
    )


def test_generate_help_says_orders_counts_order_lines() -> None:
    r = run_cli("generate", "--help")
    assert r.returncode == 0
    assert "Number of order lines to write (not orders" in " ".join(r.stdout.split())
