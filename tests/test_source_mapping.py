"""sources.yaml as config: every key of the real-exports mapping parsed and resolved, and every
misuse reported at once with file:line, key path and a suggestion (a hostile-config table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.sources import ColumnRule, check_sources, load_sources
from connectors.sql_expr import parse_expression

VALID = """\
timezone: Europe/Berlin
max_reject_share: 0.1
references: warn
quote: "'"
exclude: ["**/*_backup.csv"]
plausible_dates: {earliest: 2010-01-01}
tables:
  orders:
    files: ["erp/*.csv"]
    columns: {order_id: "Sales Order"}
    date_format: "%d.%m.%Y"
    decimal: ","
  calls:
    - name: genesys
      files: ["genesys/*.csv"]
      timezone: UTC
      max_reject_share: 0.2
      columns:
        call_id: conversationId
        talk_sec: {from: "Talk Time", duration: "hh:mm:ss"}
        hold_sec: {from: "Hold", unit: ms}
        order_id: {from: Subject, pattern: "(\\\\d{5,})", strip_zeros: true}
    - name: zendesk
      files: ["zendesk/*.csv"]
      quote: '"'
      plausible_dates: {events_within_days: 3}
  orders_sap:
    table: orders
    files: ["sap/VA05_*.txt"]
    encoding: cp1252
    skip_rows: 2
    header_rows: 1
    skip_footer: 1
    delimiter: ";"
    decimal: ","
    thousands: "."
    negative: trailing
    null_values: ["00000000", "#", 0]
    date_format: ["%Y%m%d", "%d.%m.%Y"]
    duplicates: keep_last
    where: "ABGRU IS NULL OR ABGRU <> 'Z9'"
    recency: {file_name: "_(\\\\d{8})", format: "%Y%m%d"}
    columns:
      unit_price: {expr: "num(NETPR) / nullif(num(KPEIN), 0)"}
      status: {from: ABGRU, map: {"": open, "*": cancelled}}
      requested_date: {from: [VDATU, EDATU]}
"""


def test_every_key_is_parsed_and_the_nearer_setting_wins(tmp_path: Path) -> None:
    f = tmp_path / "sources.yaml"
    f.write_text(VALID)
    assert check_sources(f) == []
    s = load_sources(f)
    assert set(s.tables) == {"orders", "genesys", "zendesk", "orders_sap"}
    genesys, zendesk, sap = s.tables["genesys"], s.tables["zendesk"], s.tables["orders_sap"]
    assert (genesys.table, genesys.name, genesys.timezone) == ("calls", "genesys", "UTC")
    assert genesys.max_reject_share == 0.2 and zendesk.max_reject_share == 0.1
    assert genesys.quote == "'" and zendesk.quote == '"'
    assert genesys.references == "warn"
    assert zendesk.policy.events_within_days == 3 and zendesk.policy.earliest.year == 2010
    assert genesys.policy.events_within_days == 1
    assert genesys.rules["talk_sec"] == ColumnRule(("Talk Time",), duration="hh:mm:ss")
    assert genesys.rules["order_id"].pattern == r"(\d{5,})"
    assert genesys.columns["call_id"] == "conversationId"
    assert sap.table == "orders" and sap.encoding == "cp1252"
    assert (sap.skip_rows, sap.header_rows, sap.skip_footer) == (2, 1, 1)
    assert (sap.decimal, sap.thousands, sap.negative) == (",", ".", "trailing")
    assert sap.null_values == ("00000000", "#", "0")
    assert sap.date_formats == ("%Y%m%d", "%d.%m.%Y")
    assert sap.duplicates == "keep_last" and sap.where.startswith("ABGRU")
    assert sap.rules["status"].map == (("", "open"), ("*", "cancelled"))
    assert sap.rules["requested_date"].headers == ("VDATU", "EDATU")
    assert sap.rules["unit_price"].expr and "unit_price" not in sap.columns
    assert sap.recency.file_name == r"_(\d{8})"
    assert s.exclude == ("**/*_backup.csv",)
    assert s.tables["orders"].max_reject_share == 0.1
    assert s.for_table("surveys").max_reject_share == 0.1


def test_defaults_without_a_mapping() -> None:
    from connectors.sources import TableSource

    ts = TableSource("orders")
    assert (ts.name, ts.max_reject_share, ts.duplicates, ts.header_rows) == (
        "orders", 0.05, "reject", 1,
    )  # fmt: skip
    assert ts.date_formats == () and not ts.number_rules


# (yaml under "tables:\n  orders:\n", line of the problem, the words expected)
# fmt: off
HOSTILE = [
    ("    decimal: ';'\n", 3, "tables.orders.decimal: Input should be '.' or ','"),
    ("    thousands: ','\n    decimal: ','\n", 3, "thousands ',' is also the decimal separator"),
    ("    thousands: '_'\n", 3, "tables.orders.thousands: Input should be"),
    ("    negative: leading\n", 3, "tables.orders.negative: Input should be 'trailing'"),
    ("    encoding: cp9999\n", 3, "tables.orders.encoding: unknown encoding 'cp9999'"),
    ("    skip_rows: -1\n", 3, "tables.orders.skip_rows: Input should be greater than or equal to 0"),
    ("    header_rows: 0\n", 3, "tables.orders.header_rows: Input should be greater than or equal to 1"),
    ("    skip_footer: x\n", 3, "tables.orders.skip_footer: Input should be a valid integer"),
    ("    null_values: '#'\n", 3, "tables.orders.null_values: Input should be a valid list"),
    ("    timezone: Europe/Berln\n", 3, "unknown time zone 'Europe/Berln'"),
    ("    where: select 1\n", 3, "tables.orders.where: 'select 1' reads a query or a table"),
    ("    where: \"a = 1; drop table x\"\n", 3, "must be exactly one SQL expression"),
    ("    where: \"getenv('HOME') = 'x'\"\n", 3, "uses getenv(), which is not allowed"),
    ("    duplicates: keep_latest\n", 3, "Input should be 'reject', 'keep_first' or 'keep_last'; did you mean 'keep_last'?"),
    ("    max_reject_share: 5\n", 3, "tables.orders.max_reject_share: Input should be less than or equal to 1"),
    ("    date_format: ['%d.%m.%Y', 'dd.mm']\n", 3, "date_format 'dd.mm' has no %-directive"),
    ("    delimter: ';'\n", 3, "tables.orders.delimter: unknown key 'delimter'; did you mean 'delimiter'?"),
    ("    delimiter: ';;'\n", 3, "tables.orders.delimiter: String should have at most 1 character"),
    ("    skip_row: 2\n", 3, "unknown key 'skip_row'; did you mean 'skip_rows'?"),
    ("    plausible_dates: {due_within: 3}\n", 3, "tables.orders.plausible_dates.due_within: unknown key 'due_within'; did you mean 'due_within_days'?"),
    ("    recency: {file_name: '(x)', column: y}\n", 3, "give either file_name or column, not both"),
    ("    columns:\n      order_no: X\n", 4, "tables.orders.columns.order_no: 'order_no' is not a column of orders; did you mean 'order_id'?"),
    ("    columns:\n      order_id: {from: A, strip_zero: true}\n", 4, "tables.orders.columns.order_id.strip_zero: unknown key 'strip_zero'; did you mean 'strip_zeros'?"),
    ("    columns:\n      order_id: {frm: A}\n", 4, "unknown key 'frm'; did you mean 'from'?"),
    ("    columns:\n      line_id: {from: []}\n", 4, "tables.orders.columns.line_id.from: from needs at least one header"),
    ("    columns:\n      line_id: {from: A, pattern: '(\\d'}\n", 4, "pattern '(\\\\d' is not a regular expression"),
    ("    columns:\n      line_id: {from: A, pattern: '\\d+'}\n", 4, "needs a (group) around the part to keep"),
    ("    columns:\n      qty_ordered: {from: A, duration: 'mm:ss'}\n", 4, "tables.orders.columns.qty_ordered.duration: Input should be 'hh:mm:ss'"),
    ("    columns:\n      qty_ordered: {from: A, unit: mins}\n", 4, "Input should be 'ms', 's', 'min' or 'h'; did you mean 'min'?"),
    ("    columns:\n      qty_ordered: {from: A, unit: ms, duration: 'hh:mm:ss'}\n", 4, "give duration or unit, not both"),
    ("    columns:\n      sku: {from: A, unit: ms}\n", 4, "tables.orders.columns.sku.unit: unit makes seconds, for a number column; this column is a str"),
    ("    columns:\n      sku: {from: A, expr: B}\n", 4, "give from: (a header, or a list of headers) or expr: (a SQL expression), not both"),
    ("    columns:\n      sku: {strip_zeros: true}\n", 4, "give from: (a header, or a list of headers) or expr: (a SQL expression), one of them"),
    ("    columns:\n      sku: {expr: 'num(A)', pattern: '(x)'}\n", 4, "tables.orders.columns.sku.pattern: pattern reads a header given by from:"),
    ("    columns:\n      unit_price: {expr: \"read_csv('x')\"}\n", 4, "uses READCSV, which is not allowed"),
    ("    columns:\n      unit_price: {expr: '(select 1)'}\n", 4, "reads a query or a table"),
    ("    columns:\n      unit_price: {expr: 't.NETPR'}\n", 4, "names a table (t.NETPR); use the header alone"),
    ("    columns:\n      unit_price: {expr: 'num(NETPR * 2)'}\n", 4, "num() and date() take one header"),
    ("    columns:\n      unit_price: {expr: 'current_date'}\n", 4, "uses CURRENTDATE, which is not allowed"),
    ("    columns:\n      status: {from: A, map: [a, b]}\n", 4, "tables.orders.columns.status.map: Input should be a valid dictionary"),
    ("    columns:\n      site: 12\n", 4, "tables.orders.columns.site: expected a header name or an object"),
]
# fmt: on


@pytest.mark.parametrize("body, line, words", HOSTILE, ids=[h[2][:40] for h in HOSTILE])
def test_each_misuse_is_reported_with_file_line_key_and_hint(
    tmp_path: Path, body: str, line: int, words: str
) -> None:
    f = tmp_path / "sources.yaml"
    f.write_text("tables:\n  orders:\n" + body)
    problems = check_sources(f)
    assert any(p.startswith(f"{f}:{line}: ") and words in p for p in problems), problems


# fmt: off
SHAPES = [
    ("tables:\n  calls:\n    - files: []\n", 3, "tables.calls.0: each source of a list needs a name"),
    ("tables:\n  calls:\n    - name: a\n    - name: a\n", 4, "source name 'a' is given twice"),
    ("tables:\n  orders: {}\n  x:\n    name: orders\n    table: orders\n", 3, "source name 'orders' is given twice"),
    ("tables:\n  orders_sap:\n    files: []\n", 2, "tables.orders_sap: unknown table 'orders_sap'; did you mean 'orders'?"),
    ("tables:\n  sap:\n    table: ordrs\n", 3, "tables.sap.table: unknown table 'ordrs'; did you mean 'orders'?"),
    ("tables:\n  shipments: []\n", 2, "tables.shipments: an empty list of sources"),
    ("tables:\n  calls:\n    - 12\n", 3, "tables.calls.0: expected a mapping"),
    ("exclude: x\n", 1, "exclude: Input should be a valid list"),
    ("max_reject_share: -0.1\n", 1, "max_reject_share: Input should be greater than or equal to 0"),
    ("quote: '<>'\n", 1, "quote: String should have at most 1 character"),
    ("tables:\n  calls:\n    - name: g\n      skip_rows: x\n      columns: {calss: y}\n", 4, "tables.calls.0.skip_rows"),
]
# fmt: on


@pytest.mark.parametrize("text, line, words", SHAPES, ids=[s[2][:40] for s in SHAPES])
def test_each_misshapen_table_is_reported(tmp_path: Path, text: str, line: int, words: str) -> None:
    f = tmp_path / "sources.yaml"
    f.write_text(text)
    problems = check_sources(f)
    assert any(p.startswith(f"{f}:{line}: ") and words in p for p in problems), problems


def test_every_problem_at_once_in_line_order(tmp_path: Path) -> None:
    f = tmp_path / "sources.yaml"
    f.write_text(
        "tables:\n  calls:\n    - name: g\n      skip_rows: x\n"
        "      columns: {cal_id: y, talk_sec: {from: T, unit: hours}}\n"
    )
    problems = check_sources(f)
    assert len(problems) == 3, problems
    assert "skip_rows" in problems[0]
    assert any("'cal_id' is not a column of calls; did you mean 'call_id'?" in p for p in problems)
    assert any("tables.calls.0.columns.talk_sec.unit" in p for p in problems)


@pytest.mark.parametrize(
    "text, headers",
    [
        ("num(NETPR) / nullif(num(KPEIN), 0)", ["NETPR", "KPEIN"]),
        ("\"Sales Doc.\" || '-' || lower(Item)", ["Sales Doc.", "Item"]),
        ("CASE WHEN Status IN ('a', 'b') THEN 1 ELSE 0 END", ["Status"]),
        ("coalesce(date(ERDAT), date(AUDAT))", ["ERDAT", "AUDAT"]),
    ],
)
def test_allowed_expressions_name_their_headers(text: str, headers: list[str]) -> None:
    assert parse_expression(text).headers == headers
