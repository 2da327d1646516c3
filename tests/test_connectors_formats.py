"""Each file format and the sources.yaml mapping (headers, European dates, decimal comma, sheet)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from connectors.load import load_paths
from connectors.sources import check_sources, load_sources, parse_sources
from store.errors import StoreError
from tests.conftest import query, write_csv

CALL_COLS = ["call_id", "started_at", "wait_sec", "abandoned"]
CALLS = [["CL1", "2026-01-05 10:00:00", "30.5", "no"], ["CL2", "2026-01-05 11:00:00", "x", "yes"]]


def _calls(db: Path) -> list[tuple]:
    return query(
        db, "SELECT call_id, started_at::VARCHAR, wait_sec, abandoned FROM calls ORDER BY 1"
    )


def _reject_rows(db: Path) -> list[tuple]:
    return query(db, 'SELECT "row", rule FROM rejects ORDER BY 1')


def test_csv_with_semicolons_and_bom(tmp_path: Path, db: Path) -> None:
    f = write_csv(tmp_path / "calls.csv", CALL_COLS, CALLS, sep=";", bom=True)
    load_paths(db, [f], progress=False, max_reject_share=1)
    assert _calls(db) == [("CL1", "2026-01-05 10:00:00", 30.5, False)]
    assert _reject_rows(db) == [(3, "bad_number")]


def test_parquet_typed_and_text_columns(tmp_path: Path, db: Path) -> None:
    f = tmp_path / "calls_2026.parquet"
    pl.DataFrame(
        {
            "call_id": ["CL1", "CL2", "CL3"],
            "started_at": pl.Series(["2026-01-05 10:00:00", "2026-01-05 11:00:00", "bad"]),
            "wait_sec": [30.5, 12.0, 1.0],
            "abandoned": [False, True, None],
        }
    ).write_parquet(f)
    load_paths(db, [f], progress=False, max_reject_share=1)
    assert _calls(db) == [
        ("CL1", "2026-01-05 10:00:00", 30.5, False),
        ("CL2", "2026-01-05 11:00:00", 12.0, True),
    ]
    assert _reject_rows(db) == [(4, "bad_timestamp")]


def test_xlsx_first_sheet_and_mapped_sheet(tmp_path: Path, db: Path) -> None:
    f = tmp_path / "surveys Q1.xlsx"
    import xlsxwriter

    book = xlsxwriter.Workbook(f)
    cover = book.add_worksheet("Cover")
    cover.write_row(0, 0, ["Survey export"])
    sheet = book.add_worksheet("Responses")
    sheet.write_row(0, 0, ["Response", "Date", "CSAT"])
    sheet.write_row(1, 0, ["RS1", "2026-01-05", 5])
    sheet.write_row(2, 0, ["RS2", "2026-01-06", 4.5])
    sheet.write_row(3, 0, ["RS3", "2026-01-07", "3"])
    book.close()
    yaml = tmp_path / "sources.yaml"
    yaml.write_text(
        'tables:\n  surveys:\n    files: ["surveys *.xlsx"]\n    sheet: Responses\n'
        "    columns: {response_id: Response, responded_at: Date, csat: CSAT}\n"
    )
    load_paths(db, [f], sources=yaml, progress=False, max_reject_share=1)
    assert query(db, "SELECT response_id, responded_at::VARCHAR, csat FROM surveys ORDER BY 1") == [
        ("RS1", "2026-01-05 00:00:00", 5),
        ("RS3", "2026-01-07 00:00:00", 3),
    ]
    assert _reject_rows(db) == [(3, "bad_integer")]
    # without the mapping the first sheet is read, and it lacks the columns
    with pytest.raises(StoreError, match="response_id is missing"):
        load_paths(tmp_path / "other.duckdb", [f], progress=False, max_reject_share=1)


def test_mapping_headers_european_dates_and_decimal_comma(tmp_path: Path, db: Path) -> None:
    header = [
        "Sales Order",
        "Item",
        "Sold-to",
        "Material",
        "Order Date",
        "Req. Deliv. Date",
        "Order Qty",
        "Net Price",
        "Currency",
    ]
    write_csv(
        tmp_path / "erp" / "SO_lines_2026-Q1.csv",
        header,
        [
            ["4711", "10", "C1", "M1", "05.01.2026", "09.01.2026", "1.234,5", "12,50", "EUR"],
            ["4711", "20", "C1", "M1", "31.02.2026", "09.01.2026", "1", "1", "EUR"],
            ["4712", "10", "C1", "M1", "2026-01-06", "09.01.2026", "1 000", "-12,50", "EUR"],
        ],
        sep=";",
    )
    yaml = tmp_path / "sources.yaml"
    yaml.write_text(
        'tables:\n  orders:\n    files: ["erp/SO_lines_*.csv"]\n    columns:\n'
        '      order_id: "Sales Order"\n      line_id: "Item"\n      customer_id: "Sold-to"\n'
        '      sku: "Material"\n      order_date: "Order Date"\n      requested_date: "Req. Deliv. Date"\n'
        '      qty_ordered: "Order Qty"\n      unit_price: "Net Price"\n'
        '    date_format: "%d.%m.%Y"\n    decimal: ","\n'
    )
    load_paths(db, [tmp_path / "erp"], sources=yaml, progress=False, max_reject_share=1)
    assert query(
        db,
        'SELECT order_id, line_id, order_date::VARCHAR, qty_ordered, unit_price, "Currency" FROM orders',
    ) == [("4711", "10", "2026-01-05", 1234.5, 12.5, "EUR")]
    assert query(db, 'SELECT "row", rule, "column", value, message FROM rejects ORDER BY 1') == [
        (
            3,
            "bad_date",
            "order_date",
            "31.02.2026",
            "order_date is not a date (expected %d.%m.%Y or YYYY-MM-DD)",
        ),
        (4, "out_of_range", "unit_price", "-12,50", "unit_price must be >= 0"),
    ]


SOURCE_ERRORS = [
    ({"tables": {"ordrs": {}}}, "tables.ordrs: unknown table 'ordrs'; did you mean 'orders'?"),
    (
        {"tables": {"orders": {"colums": {}}}},
        "tables.orders.colums: unknown key 'colums'; did you mean 'columns'?",
    ),
    (
        {"tables": {"orders": {"columns": {"order_no": "X"}}}},
        "tables.orders.columns.order_no: 'order_no' is not a column of orders; did you mean 'order_id'?",
    ),
    ({"tables": {"orders": {"decimal": ";"}}}, "tables.orders.decimal:"),
    ({"tables": {"orders": {"date_format": "dd.mm.yyyy"}}}, "has no %-directive"),
    ({"table": {}}, "table: unknown key 'table'; did you mean 'tables'?"),
]


@pytest.mark.parametrize("data, words", SOURCE_ERRORS)
def test_invalid_sources_are_explained(data: dict, words: str) -> None:
    with pytest.raises(StoreError) as err:
        parse_sources(data, Path("."))
    assert words in str(err.value)


def test_check_sources_lists_every_problem_with_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "sources.yaml"
    f.write_text("tables:\n  orders:\n    decimal: ','\n    colums: {}\n  calss:\n    files: []\n")
    problems = check_sources(f)
    assert f"{f}:4: tables.orders.colums: unknown key 'colums'; did you mean 'columns'?" in problems
    assert f"{f}:5: tables.calss: unknown table 'calss'; did you mean 'calls'?" in problems
    assert len(problems) == 2
    f.write_text("tables:\n  orders:\n    files: ['erp/*.csv']\n    decimal: ','\n")
    assert check_sources(f) == []
    assert load_sources(f).tables["orders"].decimal == ","


def test_a_mapping_scoped_to_files_does_not_touch_other_files(tmp_path: Path, db: Path) -> None:
    """Canonical orders*.csv next to mapped exports keep ISO and '.' decimals."""
    yaml = tmp_path / "sources.yaml"
    yaml.write_text('tables:\n  orders:\n    files: ["erp/*.csv"]\n    decimal: ","\n')
    f = write_csv(
        tmp_path / "orders.csv",
        [
            "order_id",
            "line_id",
            "customer_id",
            "sku",
            "order_date",
            "requested_date",
            "qty_ordered",
        ],
        [["SO1", "1", "C1", "X", "2026-01-05", "2026-01-09", "1.5"]],
    )
    load_paths(db, [f], sources=yaml, progress=False)
    assert query(db, "SELECT qty_ordered FROM orders") == [(1.5,)]


MAPPINGS = {"plain": None, "mapped": ("%d.%m.%Y", ",")}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
@pytest.mark.parametrize("mapping", list(MAPPINGS))
def test_every_check_query_keeps_file_order(tmp_path: Path, fmt: str, mapping: str) -> None:
    """Row numbers rely on the check query having no join (see validate.check_file): every table,
    format and mapping builds a query whose plan keeps the file's order."""
    import duckdb

    from connectors.readers import open_source
    from connectors.sources import TableSource
    from connectors.validate import check_file, plan_is_ordered
    from metrics.schema import TABLES

    con = duckdb.connect()
    for table in TABLES.values():
        typed = {"num": pl.Float64, "int": pl.Int64, "bool": pl.Boolean}
        df = pl.DataFrame(
            {
                c.name: pl.Series(
                    [None], dtype=typed.get(c.type, pl.String) if fmt != "csv" else pl.String
                )
                for c in table.columns
            }
        )
        path = tmp_path / f"{table.name}_{mapping}.{fmt}"
        if fmt == "csv":
            df.write_csv(path)
        elif fmt == "parquet":
            df.write_parquet(path)
        else:
            df.write_excel(path)
        spec = MAPPINGS[mapping]
        source_map = TableSource(table.name, date_format=spec[0], decimal=spec[1]) if spec else None
        checked = check_file(con, table, open_source(con, path), source_map, path)
        assert plan_is_ordered(con, checked), (table.name, fmt, mapping)
        if fmt == "xlsx":
            con.unregister("_xlsx_source")
