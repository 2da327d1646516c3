"""``northstar sources suggest FILE [--table T]``: a mapping proposal for each vendor export.

The proposal must parse as a sources mapping (connectors.sources.parse_sources), map the key
columns of each export right, carry the reading options the file needs (encoding, title
lines, footer, delimiter, number and date formats), and load the file when pasted as is
where the export needs nothing a sniffer cannot see.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from connectors.load import load_paths
from connectors.sources import parse_sources
from tests import vendor_files as vf
from tests.conftest import query, run_cli


def _suggest(file: Path, *args: str) -> tuple[dict, dict]:
    """The proposal as YAML data, and its one table's mapping (checked with parse_sources)."""
    run = run_cli("sources", "suggest", file, *args)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    doc = yaml.safe_load(run.stdout)
    parse_sources(doc, file.parent)  # raises on anything the contract does not allow
    ((table, mapping),) = doc["tables"].items()
    return doc, {"table": table, **mapping}


def _from(spec: object) -> object:
    """The header(s) a column spec reads."""
    return spec.get("from") if isinstance(spec, dict) else spec


def test_sap_orders(tmp_path: Path) -> None:
    _, m = _suggest(vf.write_sap_orders(tmp_path))
    assert m["table"] == "orders"
    assert (m["encoding"], m["skip_rows"], m["skip_footer"]) == ("cp1252", 3, 1)
    assert (m["delimiter"], m["decimal"], m["thousands"], m["negative"]) == (
        ";",
        ",",
        ".",
        "trailing",
    )
    assert m["null_values"] == ["00000000"]
    assert set(m["date_format"]) == {"%Y%m%d", "%d.%m.%Y"}
    c = m["columns"]
    for col, header in [("order_id", "VBELN"), ("line_id", "POSNR"), ("customer_id", "KUNNR"),
                        ("sku", "MATNR")]:  # fmt: skip
        assert c[col] == {"from": header, "strip_zeros": True}
    assert {col: _from(c[col]) for col in ("site", "order_date", "requested_date", "promised_date",
            "planned_ship_date", "qty_ordered", "currency")} == {
        "site": "WERKS", "order_date": "AUDAT", "requested_date": "VDATU",
        "promised_date": "EDATU", "planned_ship_date": "WADAT", "qty_ordered": "KWMENG",
        "currency": "WAERK",
    }  # fmt: skip
    assert c["unit_price"] == {"expr": "num(NETPR) / nullif(num(KPEIN), 0)"}
    assert c["status"] == {"from": "ABGRU", "map": {"": "open", "*": "cancelled"}}


def test_sap_deliveries_by_name_and_by_columns(tmp_path: Path) -> None:
    _, m = _suggest(vf.write_sap_deliveries(tmp_path))
    assert (m["table"], m["skip_rows"], m["encoding"]) == ("shipments", 2, "cp1252")
    c = m["columns"]
    assert {k: _from(v) for k, v in c.items() if k != "carrier"} == {
        "shipment_id": "VBELN",
        "order_id": "VGBEL",
        "line_id": "VGPOS",
        "ship_date": "WADAT_IST",
        "delivered_date": "PODAT",
        "qty_shipped": "LFIMG",
    }
    # a file name that says nothing: the table is read from the columns, or named
    other = Path(shutil.copy(vf.write_sap_deliveries(tmp_path), tmp_path / "export.txt"))
    assert _suggest(other)[1]["table"] == "shipments"
    doc, m = _suggest(other, "--table", "orders")
    assert m["table"] == "orders" and _from(m["columns"]["order_id"]) == "VBELN"


def test_genesys_view(tmp_path: Path) -> None:
    _, m = _suggest(vf.write_genesys_view(tmp_path))
    c = m["columns"]
    assert m["table"] == "calls"
    assert (c["call_id"], c["started_at"], c["queue"]) == ("Conversation ID", "Date", "Queue")
    for col, header in [("wait_sec", "Total Queue"), ("talk_sec", "Total Talk"),
                        ("hold_sec", "Total Hold"), ("acw_sec", "Total ACW")]:  # fmt: skip
        assert c[col] == {"from": header, "duration": "hh:mm:ss"}
    assert c["customer_id"] == {"from": "External Org", "strip_zeros": True}


def test_genesys_api(tmp_path: Path) -> None:
    _, m = _suggest(vf.write_genesys_api(tmp_path))
    c = m["columns"]
    assert (c["call_id"], c["started_at"]) == ("conversationId", "conversationStart")
    for col, header in [("wait_sec", "tAcd"), ("talk_sec", "tTalk"), ("hold_sec", "tHeld"),
                        ("acw_sec", "tAcw")]:  # fmt: skip
        assert c[col] == {"from": header, "unit": "ms"}
    assert "tAbandon" in c["abandoned"]["expr"]


def test_zendesk(tmp_path: Path) -> None:
    _, m = _suggest(vf.write_zendesk(tmp_path))
    c = m["columns"]
    assert (m["table"], c["call_id"], c["started_at"]) == ("calls", "id", "created_at")
    assert c["order_id"] == {
        "from": ["Order Number", "subject"],
        "pattern": "(\\d{5,})",
        "strip_zeros": True,
    }
    assert c["customer_id"] == {"from": "Customer Number", "strip_zeros": True}


def test_qualtrics(tmp_path: Path) -> None:
    _, m = _suggest(vf.write_qualtrics(tmp_path))
    c = m["columns"]
    assert (m["table"], m["header_rows"], m["timezone"]) == ("surveys", 3, "America/Denver")
    assert "'Survey Preview'" in m["where"]
    assert (c["response_id"], c["responded_at"]) == ("ResponseId", "RecordedDate")
    assert c["nps"] == {"from": "Q1", "pattern": "^(\\d+)"}  # "10 - Extremely likely"
    assert _from(c["csat"]) == "Q2" and c["csat"]["map"]["Extremely satisfied"] == "5"
    assert c["comment"] == "Q3"


def test_salesforce(tmp_path: Path) -> None:
    extract = vf.write_salesforce_dataloader(tmp_path)
    _, m = _suggest(extract)
    assert (m["table"], m["columns"]["customer_id"], m["columns"]["name"]) == (
        "customers",
        "ACCOUNTNUMBER",
        "NAME",
    )
    # the prospect without an account number: a filter to consider, not applied
    run = run_cli("sources", "suggest", extract)
    assert '# where: "ACCOUNTNUMBER IS NOT NULL"' in run.stdout and "1 of 3 rows" in run.stdout
    _, m = _suggest(vf.write_salesforce_report(tmp_path))
    assert (m["table"], m["skip_footer"]) == ("customers", 7)
    assert m["columns"]["customer_id"] == "Account Number"
    assert m["columns"]["portfolio_manager"] == "Account Owner"


def test_finance_workbook(tmp_path: Path) -> None:
    _, m = _suggest(vf.write_finance_workbook(tmp_path))
    c = m["columns"]
    assert (m["table"], m["skip_rows"], m["skip_footer"], m["decimal"]) == ("orders", 4, 1, ",")
    assert (c["order_id"], c["line_id"], c["qty_ordered"], c["unit_price"]) == (
        "Auftrag",
        "Pos.",
        "Menge",
        "Preis",
    )
    assert c["currency"] == "Währung" and "%d.%m.%Y" in m["date_format"]


@pytest.mark.parametrize(
    ("write", "table", "with_customers"),
    [
        (vf.write_genesys_view, "calls", False),
        (vf.write_genesys_api, "calls", False),
        (vf.write_zendesk, "calls", False),
        (vf.write_qualtrics, "surveys", True),
        (vf.write_salesforce_report, "customers", False),
    ],
)
def test_the_proposal_loads_as_pasted(
    write: Callable[[Path], Path], table: str, with_customers: bool, tmp_path: Path
) -> None:
    file = write(tmp_path)
    run = run_cli("sources", "suggest", file)
    sources = tmp_path / "sources.yaml"
    sources.write_text("timezone: Europe/Berlin\n" + run.stdout, encoding="utf-8")
    refs = vf.write_reference_data(tmp_path) if with_customers else []
    report = load_paths(tmp_path / "wh.duckdb", [*refs, file], sources=sources, progress=False)
    (f,) = [f for f in report.files if Path(f.file).name == file.name]
    assert f.rows_rejected == 0 and f.rows_loaded > 0
    assert f.rows_read == f.rows_loaded + getattr(f, "rows_filtered", 0)
    assert query(tmp_path / "wh.duckdb", f"SELECT count(*) FROM {table}")[0][0] >= f.rows_loaded


# --------------------------------------------------------------------------- errors


def test_missing_file_is_a_plain_error(tmp_path: Path) -> None:
    run = run_cli("sources", "suggest", tmp_path / "nope.csv")
    assert run.returncode == 1
    assert "nope.csv: no such file" in run.stderr and "Traceback" not in run.stderr


def test_unknown_table_is_a_usage_error(tmp_path: Path) -> None:
    run = run_cli("sources", "suggest", vf.write_zendesk(tmp_path), "--table", "call")
    assert run.returncode == 2
    assert "unknown table 'call'; did you mean 'calls'?" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(("name", "content"), [("calls.csv", b""), ("calls.pdf", b"%PDF-1.4")])
def test_unreadable_files_are_plain_errors(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)
    run = run_cli("sources", "suggest", tmp_path / name)
    assert run.returncode == 1
    assert run.stderr.startswith("error: ") and "Traceback" not in run.stderr


def test_blank_first_line_and_utf16(tmp_path: Path) -> None:
    text = "\r\ncall_id\tstarted_at\twait_sec\r\nC1\t30.11.2026 10:15\t12,5\r\n"
    file = tmp_path / "calls_utf16.tsv"
    file.write_bytes(text.encode("utf-16"))
    _, m = _suggest(file)
    assert (m["table"], m["encoding"], m["skip_rows"], m["delimiter"]) == (
        "calls",
        "utf-16",
        1,
        "\t",
    )
    assert (m["decimal"], m["date_format"]) == (",", "%d.%m.%Y %H:%M")
    assert m["columns"] == {
        "call_id": "call_id",
        "started_at": "started_at",
        "wait_sec": "wait_sec",
    }
