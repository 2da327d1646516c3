"""A contact or a response about an order the warehouse does not know is never dropped
silently: contacts are kept with a warning (counted in the load summary, listed by `northstar
rejects --warnings`), responses rejected; and when the value is a known order in another
dress, the message names it ('0000012002' is not an order; '12002' is: strip_zeros?)."""

from __future__ import annotations

import duckdb

from tests.cli_support import run_cli
from tests.conftest import write_csv

ORDER = ["12002", "1", "C1", "S1", "2026-03-01", "2026-03-05", "2"]
ORDER_HEADER = ["order_id", "line_id", "customer_id", "sku", "order_date", "requested_date",
                "qty_ordered"]  # fmt: skip
CALLS = [
    ["K1", "2026-03-02 09:00:00", "12002"],  # known
    ["K2", "2026-03-02 10:00:00", "0000012002"],  # leading zeros
    ["K3", "2026-03-02 11:00:00", "SO 12002"],  # text around the number
    ["K4", "2026-03-02 12:00:00", "99999"],  # unknown, nothing close
]


def test_contacts_about_unknown_orders_are_kept_counted_and_hinted(tmp_path):
    data = tmp_path / "x"
    write_csv(data / "customers.csv", ["customer_id", "region"], [["C1", "North"]])
    write_csv(data / "orders.csv", ORDER_HEADER, [ORDER])
    write_csv(data / "calls.csv", ["call_id", "started_at", "order_id"], CALLS)
    db = tmp_path / "wh.duckdb"
    done = run_cli("load", data, "--db", db, env={})
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("calls"))
    assert "loaded 4" in line and "kept with a warning 3 (unknown_reference: 3)" in line
    with duckdb.connect(str(db), read_only=True) as con:
        values = dict(
            con.execute("SELECT row, value FROM warnings WHERE \"table\" = 'calls'").fetchall()
        )
    assert values[3] == "order_id=0000012002 (not a known order; '12002' is: strip_zeros?)"
    assert values[4] == "order_id=SO 12002 (not a known order; '12002' is: pattern?)"
    assert values[5] == "order_id=99999"
    listed = run_cli("rejects", "--warnings", "--db", db, env={})
    assert listed.returncode == 0 and "strip_zeros?" in listed.stdout


def test_a_response_about_an_unknown_order_is_rejected_with_the_hint(tmp_path):
    data = tmp_path / "x"
    write_csv(data / "customers.csv", ["customer_id", "region"], [["C1", "North"]])
    write_csv(data / "orders.csv", ORDER_HEADER, [ORDER])
    rows = [[f"R{i}", "2026-03-03", "8", v] for i, v in enumerate(["12002"] * 30 + ["0000012002"])]
    write_csv(data / "surveys.csv", ["response_id", "responded_at", "nps", "order_id"], rows)
    db = tmp_path / "wh.duckdb"
    done = run_cli("load", data, "--db", db, env={})
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        (value,) = con.execute(
            "SELECT value FROM rejects WHERE rule = 'unknown_reference'"
        ).fetchone()
    assert value == "order_id=0000012002 (not a known order; '12002' is: strip_zeros?)"
