"""How a cell is read (extracts.md, "config/sources.yaml — mapping real exports"): numbers per
cell, column steps (from, strip_zeros, pattern, map, duration, unit, expr), where, duplicates.

Each test writes a tiny file and its mapping in tmp_path and loads it in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.load import load_paths
from tests.conftest import query

ORDER_HEAD = "order_id;line_id;customer_id;sku;order_date;requested_date;qty_ordered;unit_price"


def _load(tmp_path: Path, name: str, body: str | bytes, mapping: str) -> Path:
    """Load one file through ``tables:`` ``mapping`` (indented under the table); the warehouse."""
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    f = folder / name
    f.write_bytes(body if isinstance(body, bytes) else body.encode())
    yaml = tmp_path / "sources.yaml"
    yaml.write_text("max_reject_share: 1\ntables:\n" + mapping)
    db = tmp_path / "wh.duckdb"
    load_paths(db, [f], sources=yaml, progress=False)
    return db


def _orders(db: Path, cols: str = "order_id, qty_ordered, unit_price") -> list[tuple]:
    return query(db, f"SELECT {cols} FROM orders ORDER BY order_id, line_id")


def _rejects(db: Path) -> list[tuple]:
    return query(db, 'SELECT "row", rule, "column", value FROM rejects ORDER BY 1, 2')


def _order_rows(*rows: str) -> str:
    return "\n".join([ORDER_HEAD, *rows]) + "\n"


ERP = '  orders:\n    files: ["in/*.csv"]\n'


# --------------------------------------------------------------------------- numbers per cell


def test_decimal_comma_with_thousands_dot(tmp_path: Path) -> None:
    db = _load(
        tmp_path,
        "so.csv",
        _order_rows(
            "A;1;C;X;2026-01-05;2026-01-09;1.200;1.234,56",
            "B;1;C;X;2026-01-05;2026-01-09;12,5;0,5",
            "C;1;C;X;2026-01-05;2026-01-09;1.2;1",  # '.' groups three digits: not a number
            "D;1;C;X;2026-01-05;2026-01-09;1;12,50-",  # trailing minus: -12.5, below the range
        ),
        ERP + "    decimal: ','\n    thousands: '.'\n    negative: trailing\n",
    )
    assert _orders(db) == [("A", 1200.0, 1234.56), ("B", 12.5, 0.5)]
    assert _rejects(db) == [
        (4, "bad_number", "qty_ordered", "1.2"),
        (5, "out_of_range", "unit_price", "12,50-"),
    ]


def test_decimal_point_without_thousands_refuses_a_grouped_number(tmp_path: Path) -> None:
    """With the default rules '1.200' is 1.2 and '1,200' is not a number (never 1200)."""
    db = _load(
        tmp_path,
        "so.csv",
        _order_rows(
            "A;1;C;X;2026-01-05;2026-01-09;1.200;1", "B;1;C;X;2026-01-05;2026-01-09;1,200;1"
        ),
        ERP,
    )
    assert _orders(db, "order_id, qty_ordered") == [("A", 1.2)]
    assert _rejects(db) == [(3, "bad_number", "qty_ordered", "1,200")]


def test_decimal_comma_alone_groups_by_dot_or_space_in_groups_of_three(tmp_path: Path) -> None:
    db = _load(
        tmp_path,
        "so.csv",
        _order_rows(
            "A;1;C;X;2026-01-05;2026-01-09;269.145;1",
            "B;1;C;X;2026-01-05;2026-01-09;1 000,5;1",
            "C;1;C;X;2026-01-05;2026-01-09;26.91;1",  # not groups of three: refused, not 2691
        ),
        ERP + "    decimal: ','\n",
    )
    assert _orders(db, "order_id, qty_ordered") == [("A", 269145.0), ("B", 1000.5)]
    assert [r[:3] for r in _rejects(db)] == [(4, "bad_number", "qty_ordered")]


def _workbook(path: Path, rows: list[list]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Lines")
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, str):
                sheet.write_string(i, j, v)
            elif v is not None:
                sheet.write_number(i, j, v)
    book.close()


HEAD = ["order_id", "line_id", "customer_id", "sku", "order_date", "requested_date"]


def test_workbook_number_cells_keep_their_value_text_cells_follow_the_rules(
    tmp_path: Path,
) -> None:
    """Old code decided per column: a text '1.200' among number cells read as 1.2, and a
    number cell 269.145 in a column with text became 269145."""
    folder = tmp_path / "in"
    folder.mkdir()
    base = ["C", "X", "2026-01-05", "2026-01-09"]
    rows = [HEAD + ["qty_ordered", "unit_price"]]
    rows += [[f"N{i}", 1, *base, 5.0 + i, 2.5] for i in range(8)]  # line_id: number cells
    rows += [["T1", "1", *base, "1.200", 269.145], ["T2", "1", *base, "1,5", "2.000,25"]]
    _workbook(folder / "orders.xlsx", rows)
    yaml = tmp_path / "sources.yaml"
    yaml.write_text(
        'tables:\n  orders:\n    files: ["in/*.xlsx"]\n    decimal: ","\n    thousands: "."\n'
    )
    db = tmp_path / "wh.duckdb"
    load_paths(db, [folder], sources=yaml, progress=False)
    got = dict(query(db, "SELECT order_id, (qty_ordered, unit_price) FROM orders").__iter__())
    assert got["N0"] == (5.0, 2.5) and got["N7"] == (12.0, 2.5)
    assert query(db, "SELECT DISTINCT line_id FROM orders") == [("1",)]
    assert got["T1"] == (1200.0, 269.145)
    assert got["T2"] == (1.5, 2000.25)
    assert _rejects(db) == []


def test_workbook_text_cell_the_rules_cannot_read_is_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    base = ["C", "X", "2026-01-05", "2026-01-09"]
    rows = [HEAD + ["qty_ordered"], ["A", "1", *base, 3.25], ["B", "1", *base, "269.145"]]
    _workbook(folder / "orders.xlsx", rows)
    yaml = tmp_path / "sources.yaml"
    yaml.write_text(
        'max_reject_share: 1\ntables:\n  orders:\n    files: ["in/*.xlsx"]\n'
        '    decimal: ","\n    thousands: " "\n'
    )
    db = tmp_path / "wh.duckdb"
    load_paths(db, [folder], sources=yaml, progress=False)
    assert query(db, "SELECT order_id, qty_ordered FROM orders") == [("A", 3.25)]
    assert _rejects(db) == [(3, "bad_number", "qty_ordered", "269.145")]


# --------------------------------------------------------------------------- column steps

CALL_HEAD = "conversationId,Start,Talk Time,Hold ms,External Org,Subject,Abandoned"
GENESYS = (
    '  calls:\n    - name: genesys\n      files: ["in/*.csv"]\n      timezone: UTC\n'
    "      columns:\n        call_id: conversationId\n        started_at: Start\n"
    '        talk_sec: {from: "Talk Time", duration: "hh:mm:ss"}\n'
    '        hold_sec: {from: "Hold ms", unit: ms}\n'
    '        customer_id: {from: "External Org", strip_zeros: true}\n'
    '        order_id: {from: Subject, pattern: "(\\\\d{5,})", strip_zeros: true}\n'
    '        abandoned: {from: Abandoned, map: {"": "no", "ABANDONED": "yes", "*": "no"}}\n'
)


def test_duration_unit_strip_zeros_pattern_map_and_source_timezone(tmp_path: Path) -> None:
    body = "\n".join(
        [
            CALL_HEAD,
            "c1,2026-03-02T09:30:00,00:11:52,1500,000123,Order SO 0012193 late,",
            "c2,2026-03-02 23:30:00,01:00:00,0,0000,no number,ABANDONED",
            "c3,2026-03-02T09:30:00+02:00,1:02,,C9,#12345678,other",
        ]
    )
    yaml_head = "timezone: Europe/Berlin\n"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.csv").write_text(body + "\n")
    yaml = tmp_path / "sources.yaml"
    yaml.write_text(yaml_head + "max_reject_share: 1\ntables:\n" + GENESYS)
    db = tmp_path / "wh.duckdb"
    load_paths(db, [folder], sources=yaml, progress=False)
    assert query(
        db,
        "SELECT call_id, started_at::VARCHAR, talk_sec, hold_sec, customer_id, order_id, "
        "abandoned FROM calls ORDER BY 1",
    ) == [
        ("c1", "2026-03-02 10:30:00", 712.0, 1.5, "123", "12193", False),
        ("c2", "2026-03-03 00:30:00", 3600.0, 0.0, "0", None, True),
    ]
    assert _rejects(db) == [(4, "bad_number", "talk_sec", "1:02")]
    msg = query(db, "SELECT message FROM rejects")[0][0]
    assert "not a duration (expected hh:mm:ss" in msg


def test_time_zone_never_moves_a_plain_date(tmp_path: Path) -> None:
    db = _load(
        tmp_path,
        "s.csv",
        "response_id,responded_at,nps\nR1,2026-03-02,9\nR2,2026-03-02 01:00:00,7\n",
        '  surveys:\n    files: ["in/*.csv"]\n    timezone: America/Denver\n',
    )
    assert query(db, "SELECT response_id, responded_at::VARCHAR FROM surveys ORDER BY 1") == [
        ("R1", "2026-03-02 00:00:00"),
        ("R2", "2026-03-02 08:00:00"),
    ]


def test_from_list_first_non_empty_wins_and_null_values(tmp_path: Path) -> None:
    body = (
        "VBELN;POSNR;LFART;LFIMG;WADAT;PODAT;WADAT_IST\n"
        "0080001;000010;X;5;20260301;00000000;20260304\n"
        "0080002;000010;X;5;20260301;20260305;20260304\n"
        "0080003;000010;X;5;20260301;#;\n"
    )
    mapping = (
        '  shipments:\n    files: ["in/*.txt"]\n    date_format: ["%Y%m%d", "%d.%m.%Y"]\n'
        '    null_values: ["00000000", "#"]\n    columns:\n'
        "      shipment_id: {from: VBELN, strip_zeros: true}\n"
        "      order_id: {expr: \"'SO' || ltrim(VBELN, '0')\"}\n"
        "      line_id: {from: POSNR, strip_zeros: true}\n"
        "      qty_shipped: LFIMG\n      ship_date: WADAT\n"
        "      delivered_date: {from: [PODAT, WADAT_IST]}\n"
    )
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "likp.txt").write_text(body)
    (tmp_path / "orders.csv").write_text(
        "order_id,line_id,customer_id,sku,order_date,requested_date,qty_ordered\n"
        + "".join(f"SO8000{i},10,C,X,2026-02-01,2026-03-01,5\n" for i in (1, 2, 3))
    )
    yaml = tmp_path / "sources.yaml"
    yaml.write_text("max_reject_share: 1\ntables:\n" + mapping)
    db = tmp_path / "wh.duckdb"
    load_paths(db, [tmp_path / "orders.csv", folder / "likp.txt"], sources=yaml, progress=False)
    assert query(
        db,
        "SELECT shipment_id, order_id, line_id, delivered_date::VARCHAR FROM shipments ORDER BY 1",
    ) == [
        ("80001", "SO80001", "10", "2026-03-04"),
        ("80002", "SO80002", "10", "2026-03-05"),
        ("80003", "SO80003", "10", None),
    ]


def test_expr_num_reads_the_source_number_rules(tmp_path: Path) -> None:
    body = (
        "VBELN;POSNR;KUNNR;MATNR;ERDAT;VDATU;KWMENG;NETPR;KPEIN;ABGRU\n"
        "0000012001;000010;C1;M;01.03.2026;09.03.2026;1.000;1.234,50;100;\n"
        "0000012002;000010;C1;M;01.03.2026;09.03.2026;2;50,00-;0;Z1\n"
    )
    mapping = (
        '  orders_sap:\n    table: orders\n    files: ["in/*.txt"]\n    decimal: ","\n'
        '    thousands: "."\n    negative: trailing\n    date_format: "%d.%m.%Y"\n    columns:\n'
        "      order_id: {from: VBELN, strip_zeros: true}\n"
        "      line_id: {from: POSNR, strip_zeros: true}\n"
        "      customer_id: KUNNR\n      sku: MATNR\n      order_date: ERDAT\n"
        "      requested_date: VDATU\n      qty_ordered: KWMENG\n"
        '      unit_price: {expr: "num(NETPR) / nullif(num(KPEIN), 0)"}\n'
        '      status: {from: ABGRU, map: {"": open, "*": cancelled}}\n'
    )
    db = _load(tmp_path, "va05.txt", body, mapping)
    assert _orders(db, "order_id, line_id, qty_ordered, unit_price, status") == [
        ("12001", "10", 1000.0, 12.345, "open"),
        ("12002", "10", 2.0, None, "cancelled"),
    ]
    assert query(db, "SELECT source, rows_read, rows_loaded FROM loads") == [("orders_sap", 2, 2)]


def test_expr_naming_a_missing_header_refuses_the_file_with_the_closest(tmp_path: Path) -> None:
    from store.errors import StoreError

    with pytest.raises(StoreError, match=r"names header 'NETP'.*closest header: 'NETPR'"):
        _load(
            tmp_path,
            "so.csv",
            _order_rows("A;1;C;X;2026-01-05;2026-01-09;1;1").replace("unit_price", "NETPR"),
            ERP + '    columns:\n      unit_price: {expr: "num(NETP) * 2"}\n',
        )


# --------------------------------------------------------------------------- rows


def test_where_filters_rows_and_counts_them(tmp_path: Path) -> None:
    body = (
        "ResponseId,Status,RecordedDate,Q_NPS\nIgnored,x,y,z\nImport,{},{},{}\n"
        "R1,IP Address,2026-03-02 10:00:00,9\nR2,Survey Preview,2026-03-02 10:00:00,0\n"
        "R3,,2026-03-02 10:00:00,8\nR4,IP Address,2026-03-02 10:00:00,11\n"
    )
    mapping = (
        '  surveys:\n    files: ["in/*.csv"]\n    header_rows: 3\n'
        "    where: \"Status <> 'Survey Preview'\"\n"
        "    columns: {response_id: ResponseId, responded_at: RecordedDate, nps: Q_NPS}\n"
    )
    db = _load(tmp_path, "q.csv", body, mapping)
    assert query(db, "SELECT response_id FROM surveys ORDER BY 1") == [("R1",)]
    # R3: Status empty, so the condition is NULL: filtered. R4: rejected, at its line (7).
    assert _rejects(db) == [(7, "out_of_range", "nps", "11")]
    assert query(db, "SELECT rows_read, rows_loaded, rows_rejected, rows_filtered FROM loads") == [
        (4, 1, 1, 2)
    ]


@pytest.mark.parametrize("keep, qty", [("keep_first", 1.0), ("keep_last", 3.0)])
def test_duplicates_keep_first_or_last_reports_the_others_superseded(
    tmp_path: Path, keep: str, qty: float
) -> None:
    db = _load(
        tmp_path,
        "so.csv",
        _order_rows(*[f"A;1;C;X;2026-01-05;2026-01-09;{q};1" for q in (1, 2, 3)]),
        ERP + f"    duplicates: {keep}\n",
    )
    assert _orders(db, "order_id, qty_ordered") == [("A", qty)]
    rows = [2, 3] if keep == "keep_last" else [3, 4]
    assert [(r[0], r[1]) for r in _rejects(db)] == [(n, "superseded") for n in rows]


def test_duplicates_reject_by_default(tmp_path: Path) -> None:
    db = _load(
        tmp_path,
        "so.csv",
        _order_rows(*[f"A;1;C;X;2026-01-05;2026-01-09;{q};1" for q in (1, 2)]),
        ERP,
    )
    assert [r[1] for r in _rejects(db)] == ["duplicate_key"]


def test_a_mapping_with_every_step_keeps_the_file_order(tmp_path: Path) -> None:
    """Row numbers rely on a join-free check query (validate.check_file): also with rules."""
    import duckdb

    from connectors.readers import open_source
    from connectors.sources import parse_sources
    from connectors.validate import check_file, plan_is_ordered
    from metrics.schema import TABLES

    f = tmp_path / "va05.txt"
    f.write_text(
        "VBELN;POSNR;KUNNR;MATNR;ERDAT;VDATU;KWMENG;NETPR;KPEIN;ABGRU\n"
        "0000012001;000010;C1;M;01.03.2026;09.03.2026;1.000;1.234,50;100;\n"
    )
    mapping = parse_sources(
        {
            "tables": {
                "sap": {
                    "table": "orders",
                    "decimal": ",",
                    "thousands": ".",
                    "negative": "trailing",
                    "null_values": ["#"],
                    "date_format": ["%d.%m.%Y", "%Y%m%d"],
                    "where": "ABGRU IS NULL OR ABGRU IN ('A', 'B')",
                    "timezone": "UTC",
                    "columns": {
                        "order_id": {"from": ["VBELN", "KUNNR"], "strip_zeros": True},
                        "line_id": {"from": "POSNR", "pattern": "([1-9][0-9]*)"},
                        "customer_id": "KUNNR",
                        "sku": "MATNR",
                        "order_date": "ERDAT",
                        "requested_date": {"expr": "date(VDATU)"},
                        "qty_ordered": "KWMENG",
                        "unit_price": {"expr": "num(NETPR) / nullif(num(KPEIN), 0)"},
                        "status": {"from": "ABGRU", "map": {"": "open", "*": "cancelled"}},
                    },
                }
            }
        },
        tmp_path,
    ).tables["sap"]
    con = duckdb.connect()
    checked = check_file(con, TABLES["orders"], open_source(con, f, mapping), mapping, f)
    assert plan_is_ordered(con, checked)
    assert con.execute("SELECT order_id, line_id, unit_price, status, _k FROM _chk").fetchall() == [
        ("12001", "10", 12.345, "open", None)
    ]
