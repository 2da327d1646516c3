"""Several sources feeding one table are each named where a user looks: the load summary, the
loads log (the Data page) and every rejected or warned row."""

from __future__ import annotations

import duckdb

from tests.cli_support import run_cli
from tests.conftest import write_csv

SOURCES = """
max_reject_share: 1
tables:
  calls:
    - name: genesys
      files: ["genesys/*.csv"]
    - name: zendesk
      files: ["zendesk/*.csv"]
"""


def test_each_source_is_named_in_the_summary_the_log_and_the_rejects(tmp_path):
    header = ["call_id", "started_at", "order_id"]
    write_csv(tmp_path / "genesys" / "calls_g.csv", header,
              [["G1", "2026-03-02 09:00:00", ""], ["G2", "not a time", ""]])  # fmt: skip
    write_csv(tmp_path / "zendesk" / "calls_z.csv", header,
              [["Z1", "2026-03-02 09:00:00", "SO 1"], ["Z2", "yesterday", ""]])  # fmt: skip
    (tmp_path / "sources.yaml").write_text(SOURCES)
    db = tmp_path / "wh.duckdb"
    done = run_cli("load", tmp_path, "--db", db, "--sources", tmp_path / "sources.yaml", env={})
    assert done.returncode == 0, done.stderr
    assert "[source genesys]" in done.stdout and "[source zendesk]" in done.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        logged = con.execute(
            "SELECT source, rows_read, rows_rejected FROM loads ORDER BY 1"
        ).fetchall()
        rejected = con.execute("SELECT source, value FROM rejects ORDER BY 1").fetchall()
        warned = con.execute("SELECT source, rule FROM warnings").fetchall()
    assert logged == [("genesys", 2, 1), ("zendesk", 2, 1)]
    assert rejected == [("genesys", "not a time"), ("zendesk", "yesterday")]
    assert warned == [("zendesk", "unknown_reference")]  # no orders loaded: kept, counted
