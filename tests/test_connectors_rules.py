"""Every reject rule: its row number, column, value and message; file refusals; value parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.load import load_paths
from store.errors import StoreError
from tests.conftest import query, write_csv

ORDER_COLS = [
    "order_id",
    "line_id",
    "customer_id",
    "sku",
    "order_date",
    "requested_date",
    "qty_ordered",
    "unit_price",
    "status",
]
GOOD = ["SO1", "1", "C1", "X", "2026-01-05", "2026-01-09", "4", "2.5", "open"]


def _row(**changes: str) -> list[str]:
    row = dict(zip(ORDER_COLS, GOOD))
    row.update(changes)
    return [row[c] for c in ORDER_COLS]


def _rejects(db: Path) -> list[tuple]:
    return query(db, 'SELECT "row", rule, "column", value, message FROM rejects ORDER BY "row"')


# (row in the file, the faulty row, rule, column, value, words of the message)
ORDER_CASES = [
    (
        3,
        _row(order_id="SO2", customer_id=""),
        "missing_value",
        "customer_id",
        None,
        "customer_id is required",
    ),
    (
        4,
        _row(order_id="SO3", order_date="2026-02-30"),
        "bad_date",
        "order_date",
        "2026-02-30",
        "not a date",
    ),
    (
        5,
        _row(order_id="SO4", qty_ordered="12 pcs"),
        "bad_number",
        "qty_ordered",
        "12 pcs",
        "not a number",
    ),
    (
        6,
        _row(order_id="SO5", qty_ordered="-5"),
        "out_of_range",
        "qty_ordered",
        "-5",
        "qty_ordered must be >= 0",
    ),
    (
        7,
        _row(order_id="SO6", status="Closed"),
        "not_allowed",
        "status",
        "Closed",
        "status must be one of: open, cancelled",
    ),
    (8, _row(), "duplicate_key", "order_id,line_id", "SO1,1", "duplicate key"),
    # first failing column in schema order wins: customer_id (3rd) before qty_ordered
    (
        9,
        _row(order_id="SO7", customer_id="", qty_ordered="x"),
        "missing_value",
        "customer_id",
        None,
        "required",
    ),
    (10, _row(order_id="SO8", unit_price="nan"), "bad_number", "unit_price", "nan", "not a number"),
]


def test_each_order_rule_has_its_row_column_value_and_message(tmp_path: Path, db: Path) -> None:
    f = write_csv(tmp_path / "orders.csv", ORDER_COLS, [GOOD] + [c[1] for c in ORDER_CASES])
    report = load_paths(db, [f], progress=False, max_reject_share=1)
    got = _rejects(db)
    assert [(r, u, c, v) for r, u, c, v, _ in got] == [
        (c[0], c[2], c[3], c[4]) for c in ORDER_CASES
    ]
    for (_, _, _, _, message), case in zip(got, ORDER_CASES):
        assert case[5] in message
    (fr,) = report.files
    assert (fr.rows_read, fr.rows_loaded, fr.rows_rejected) == (9, 1, 8)
    assert query(db, 'SELECT file, "table" FROM rejects LIMIT 1') == [
        (f.resolve().as_posix(), "orders")
    ]
    raw = json.loads(query(db, 'SELECT raw FROM rejects WHERE "row" = 5')[0][0])
    assert raw["qty_ordered"] == "12 pcs" and raw["order_id"] == "SO4"


def test_malformed_csv_lines_keep_their_line_number_and_text(tmp_path: Path, db: Path) -> None:
    rows = [
        _row(order_id="SO1"),
        _row(order_id="SO2")[:4],
        _row(order_id="SO3"),
        _row(order_id="SO4") + ["extra"],
        _row(order_id="SO5", qty_ordered="-1"),
    ]
    f = write_csv(tmp_path / "orders.csv", ORDER_COLS, rows)
    load_paths(db, [f], progress=False, max_reject_share=1)
    got = query(db, 'SELECT "row", rule, raw FROM rejects ORDER BY "row"')
    assert [(r, u) for r, u, _ in got] == [
        (3, "malformed_row"),
        (5, "malformed_row"),
        (6, "out_of_range"),
    ]
    assert got[0][2] == "SO2,1,C1,X"
    assert query(db, "SELECT order_id FROM orders ORDER BY 1") == [("SO1",), ("SO3",)]


def test_shipment_rules(tmp_path: Path, db: Path) -> None:
    write_csv(tmp_path / "orders.csv", ORDER_COLS, [GOOD, _row(line_id="2")])
    cols = ["shipment_id", "order_id", "line_id", "ship_date", "qty_shipped", "qty_damaged"]
    write_csv(
        tmp_path / "shipments.csv",
        cols,
        [
            ["SH1", "SO1", "1", "2026-01-07", "4", "0"],
            ["SH2", "SO1", "2", "2026-01-07", "4", "6"],  # more damaged than shipped
            ["SH3", "SO9", "1", "2026-01-07", "4", ""],  # no such order line
            ["SH1", "SO1", "1", "2026-01-08", "4", "0"],  # duplicate (shipment, order, line)
            ["SH4", "SO1", "1", "2026-01-07", "", ""],  # qty_shipped required
        ],
    )
    load_paths(db, [tmp_path], progress=False, max_reject_share=1)
    got = query(
        db,
        'SELECT "row", rule, "column", message FROM rejects WHERE "table" = \'shipments\' ORDER BY 2',
    )
    assert [(r, u, c) for r, u, c, _ in got] == [
        (5, "duplicate_key", "shipment_id,order_id,line_id"),
        (6, "missing_value", "qty_shipped"),
        (3, "out_of_range", "qty_damaged"),
        (4, "unknown_order_line", "order_id,line_id"),
    ]
    assert got[2][3] == "qty_damaged must be <= qty_shipped"


def test_call_and_survey_rules(tmp_path: Path, db: Path) -> None:
    write_csv(
        tmp_path / "calls.csv",
        ["call_id", "started_at", "wait_sec", "abandoned", "resolved"],
        [
            ["CL1", "2026-01-05 10:00:00", "30", "", "Yes"],
            ["CL2", "2026-01-05 25:10:00", "30", "", ""],
            ["CL3", "2026-01-05", "30", "maybe", ""],
            ["CL4", "2026-01-05T08:00:00", "-3", "N", "t"],
        ],
    )
    write_csv(
        tmp_path / "surveys.csv",
        ["response_id", "responded_at", "csat", "nps", "ces"],
        [
            ["RS1", "2026-01-05", "5", "", ""],
            ["RS2", "2026-01-05", "4.5", "", ""],
            ["RS3", "2026-01-05", "", "", ""],
            ["RS4", "2026-01-05", "", "11", ""],
            ["RS5", "yesterday", "3", "", ""],
        ],
    )
    load_paths(db, [tmp_path], progress=False, max_reject_share=1)
    got = query(db, 'SELECT "table", "row", rule, "column", message FROM rejects ORDER BY 1, 2')
    assert [g[:4] for g in got] == [
        ("calls", 3, "bad_timestamp", "started_at"),
        ("calls", 4, "bad_bool", "abandoned"),
        ("calls", 5, "out_of_range", "wait_sec"),
        ("surveys", 3, "bad_integer", "csat"),
        ("surveys", 4, "missing_score", "csat,nps,ces"),
        ("surveys", 5, "out_of_range", "nps"),
        ("surveys", 6, "bad_timestamp", "responded_at"),
    ]
    assert "nps must be between 0 and 10" in got[5][4]
    # defaults and bool spellings; date-only timestamps are midnight
    assert query(db, "SELECT call_id, abandoned, resolved, started_at::VARCHAR FROM calls") == [
        ("CL1", False, True, "2026-01-05 10:00:00")
    ]


def test_customers_second_portfolio_within_a_file_and_across_files(
    tmp_path: Path, db: Path
) -> None:
    cols = ["customer_id", "name", "portfolio"]
    write_csv(
        tmp_path / "a" / "customers_1.csv",
        cols,
        [
            ["C1", "Acme", "Key"],
            ["C2", "Bolt", "Retail"],
            ["C1", "Acme", "Key"],
            ["C2", "Bolt", "Mid"],
        ],
    )
    write_csv(
        tmp_path / "a" / "customers_2.csv",
        cols,
        [["C1", "Acme", "Mid"], ["C2", "Bolt NV", "Retail"]],
    )
    load_paths(db, [tmp_path / "a"], progress=False, max_reject_share=1)
    got = query(db, 'SELECT file, "row", rule, value FROM rejects ORDER BY 1, 2')
    assert [(Path(f).name, r, u, v) for f, r, u, v in got] == [
        ("customers_1.csv", 4, "duplicate_key", "C1"),
        ("customers_1.csv", 5, "second_portfolio", "Mid"),
        ("customers_2.csv", 2, "second_portfolio", "Mid"),
    ]
    assert query(db, "SELECT customer_id, name, portfolio FROM customers ORDER BY 1") == [
        ("C1", "Acme", "Key"),
        ("C2", "Bolt NV", "Retail"),
    ]
    # a later load reassigns the customer: the newer extract supersedes
    write_csv(tmp_path / "b" / "customers_3.csv", cols, [["C1", "Acme", "Mid"]])
    load_paths(db, [tmp_path / "b"], progress=False, max_reject_share=1)
    assert query(db, "SELECT portfolio FROM customers WHERE customer_id = 'C1'") == [("Mid",)]


def test_refusal_names_the_file_missing_columns_found_columns_and_closest_header(
    tmp_path: Path, db: Path
) -> None:
    f = write_csv(tmp_path / "orders.csv", ["Order No"] + ORDER_COLS[1:], [GOOD])
    with pytest.raises(StoreError) as err:
        load_paths(db, [f], progress=False)
    msg = str(err.value)
    assert str(f.resolve()) in msg
    assert "needs column(s) order_id" in msg
    assert "order_id is missing; closest header: 'Order No'" in msg
    assert "'line_id'" in msg and "sources.yaml" in msg
    assert not db.exists()


@pytest.mark.parametrize(
    "name, words",
    [
        ("notes.csv", "unknown table"),
        ("orders.json", "unsupported file type"),
    ],
)
def test_unknown_table_or_format_is_refused(
    tmp_path: Path, db: Path, name: str, words: str
) -> None:
    f = tmp_path / name
    f.write_text("a,b\n1,2\n")
    with pytest.raises(StoreError, match=words):
        load_paths(db, [f], progress=False)


def test_a_refused_file_cancels_the_whole_load(tmp_path: Path, db: Path) -> None:
    write_csv(tmp_path / "orders.csv", ORDER_COLS, [GOOD])
    load_paths(db, [tmp_path / "orders.csv"], progress=False)
    write_csv(tmp_path / "x" / "orders_new.csv", ORDER_COLS, [_row(order_id="SO9")])
    write_csv(tmp_path / "x" / "shipments.csv", ["shipment_id"], [["SH1"]])
    with pytest.raises(StoreError, match="shipments needs column"):
        load_paths(db, [tmp_path / "x"], progress=False)
    assert query(db, "SELECT order_id FROM orders") == [("SO1",)]


def test_extra_columns_are_kept_and_values_are_trimmed(tmp_path: Path, db: Path) -> None:
    f = write_csv(
        tmp_path / "orders.csv",
        ORDER_COLS + ["Currency"],
        [[" SO1 ", "1", "C1", "X", " 2026-01-05", "2026-01-09 ", " 4 ", "", "OPEN", " EUR "]],
    )
    load_paths(db, [f], progress=False)
    assert query(
        db,
        'SELECT order_id, order_date::VARCHAR, qty_ordered, unit_price, status, "Currency" FROM orders',
    ) == [("SO1", "2026-01-05", 4.0, None, "open", "EUR")]
