"""Warehouse health: rejected rows counted by file, table, rule and column."""

from __future__ import annotations

from connectors.load import load_paths
from store.health import reject_reasons
from store.warehouse import Warehouse
from tests.conftest import write_csv

HEADER = ["order_id", "line_id", "customer_id", "sku", "order_date", "requested_date",
          "qty_ordered"]  # fmt: skip


def test_rejects_are_counted_per_file_table_rule_and_column(tmp_path):
    write_csv(tmp_path / "x" / "customers.csv", ["customer_id", "region"], [["C1", "North"]])
    write_csv(
        tmp_path / "x" / "orders.csv",
        HEADER,
        [
            ["O1", "1", "C1", "S1", "2026-03-01", "2026-03-05", "2"],
            ["O2", "1", "C1", "S1", "not a date", "2026-03-05", "2"],
            ["O3", "1", "C1", "S1", "1 March", "2026-03-05", "2"],
            ["O4", "1", "C1", "S1", "2026-03-01", "2026-03-05", "-1"],
        ],
    )
    db = tmp_path / "w.duckdb"
    load_paths(db, [tmp_path / "x"], progress=False, max_reject_share=1)
    got = reject_reasons(Warehouse(db).engine())
    counts = {(r["table"], r["column"]): r["rows"] for r in got.iter_rows(named=True)}
    assert counts == {("orders", "order_date"): 2, ("orders", "qty_ordered"): 1}
    assert got["rows"].to_list() == [2, 1]  # the most rejected first
    assert all(got["file"].str.ends_with("orders.csv")) and got["example"].null_count() == 0
