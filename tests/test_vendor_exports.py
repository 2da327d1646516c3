"""Real exports load right through the shipped mappings: SAP SD, Genesys Cloud, Zendesk,
Qualtrics, Salesforce and a finance workbook (config/examples/<system>.yaml).

Each test writes its system's files in the vendor's layout (tests/vendor_files.py), loads
them with the example mapping, unedited, and compares every loaded value with hand-written
canonical rows: ids, quantities, prices, dates, times in business time, durations,
statuses, currencies.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from connectors.load import LoadReport, load_paths
from connectors.sources import check_sources, load_sources
from tests import vendor_files as vf
from tests.conftest import query

SYSTEMS = ("sap_sd", "genesys_cloud", "zendesk", "qualtrics", "salesforce", "finance_workbook")

ORDER_COLS = (
    "order_id, line_id, customer_id, sku, site, channel, order_date, requested_date, "
    "promised_date, planned_ship_date, qty_ordered, round(unit_price, 6), status, currency"
)
SHIPMENT_COLS = (
    "shipment_id, order_id, line_id, carrier, ship_date, delivered_date, qty_shipped, "
    "qty_damaged, freight_cost, currency"
)
CALL_COLS = (
    "call_id, customer_id, order_id, queue, agent_id, started_at, wait_sec, talk_sec, "
    "hold_sec, acw_sec, abandoned, resolved, reason, sale_amount"
)
SURVEY_COLS = (
    "response_id, customer_id, order_id, call_id, responded_at, touchpoint, csat, nps, ces, comment"
)
CUSTOMER_COLS = "customer_id, name, segment, region, portfolio, portfolio_manager"


def _example(system: str, folder: Path) -> Path:
    """The shipped mapping, copied beside the exports/ folder its globs expect."""
    return Path(shutil.copy(vf.EXAMPLES / f"{system}.yaml", folder / f"{system}.yaml"))


def _load(db: Path, sources: Path, files: list[Path]) -> LoadReport:
    return load_paths(db, files, sources=sources, progress=False)


def _counts(report: LoadReport, file: Path) -> tuple[int, int, int, int]:
    """Rows read, loaded, rejected and filtered of one file of the load."""
    (f,) = [f for f in report.files if Path(f.file).name == file.name]
    return f.rows_read, f.rows_loaded, f.rows_rejected, getattr(f, "rows_filtered", 0)


def _rejects(db: Path, file: Path) -> list[tuple]:
    return query(
        db, 'SELECT rule, "column" FROM rejects WHERE file LIKE ? ORDER BY "row"', [f"%{file.name}"]
    )


@pytest.mark.parametrize("system", SYSTEMS)
def test_example_mapping_is_valid(system: str) -> None:
    path = vf.EXAMPLES / f"{system}.yaml"
    assert check_sources(path) == []
    assert load_sources(path).tables


# --------------------------------------------------------------------------- SAP SD


def test_sap_sd_orders_and_deliveries(tmp_path: Path, db: Path) -> None:
    sources = _example("sap_sd", tmp_path)
    orders = vf.write_sap_orders(tmp_path)
    deliveries = vf.write_sap_deliveries(tmp_path)
    refs = vf.write_reference_data(tmp_path, fx=True)  # CHF lines need a rate
    report = _load(db, sources, [*refs, orders, deliveries])

    assert query(db, f"SELECT {ORDER_COLS} FROM orders ORDER BY 1, 2") == [
        # net price 1.234,56 per 100 units; the second schedule line (ETENR 0002) is not kept
        ("12193", "10", "100234", "4711", "1000", "sales-rep", date(2026, 11, 2),
         date(2026, 11, 20), date(2026, 11, 18), date(2026, 11, 16), 1200.0, 12.3456, "open",
         "EUR"),
        # 00000000 = no confirmed date; 30.11.2026 typed in the GUI; 845,00 per 1,000 KG
        ("12193", "20", "100234", "DICHTUNG-ÄR7", "1000", "sales-rep", date(2026, 11, 2),
         date(2026, 11, 20), None, date(2026, 11, 30), 2.5, 0.845, "open", "EUR"),
        ("12546", "10", "100877", "815", "2000", "web", date(2026, 11, 5), date(2026, 11, 30),
         date(2026, 11, 27), date(2026, 11, 25), 50.0, 12.5, "open", "CHF"),
        # ABGRU 02: cancelled
        ("12546", "20", "100877", "816", "2000", "web", date(2026, 11, 5), date(2026, 11, 30),
         date(2026, 11, 27), date(2026, 11, 25), 10.0, 99.9, "cancelled", "CHF"),
    ]  # fmt: skip
    assert query(db, f"SELECT {SHIPMENT_COLS} FROM shipments ORDER BY 1") == [
        ("80001234", "12193", "10", "300123", date(2026, 11, 16), date(2026, 11, 19), 1200.0,
         None, None, None),
        # no proof of delivery (PODAT 00000000): the goods issue date
        ("80001235", "12193", "20", "300123", date(2026, 12, 1), date(2026, 12, 1), 2.5,
         None, None, None),
        ("80001240", "12546", "10", "300456", date(2026, 11, 25), date(2026, 11, 28), 50.0,
         None, None, None),
    ]  # fmt: skip
    # the second schedule line is superseded, the returns line (AUART RE, "3,000-") filtered;
    # the title lines and the totals line are not rows
    assert {r for r, _ in _rejects(db, orders)} <= {"superseded"}
    read, loaded, _, filtered = _counts(report, orders)
    assert (read, loaded, filtered) == (6, 4, 1)
    assert _counts(report, deliveries) == (3, 3, 0, 0)
    assert _rejects(db, deliveries) == []


# --------------------------------------------------------------------------- Genesys Cloud


def test_genesys_cloud_interactions(tmp_path: Path, db: Path) -> None:
    sources = _example("genesys_cloud", tmp_path)
    view = vf.write_genesys_view(tmp_path)
    api = vf.write_genesys_api(tmp_path)
    refs = [*vf.write_reference_data(tmp_path), vf.write_reference_orders(tmp_path)]
    report = _load(db, sources, [*refs, view, api])

    assert query(db, f"SELECT {CALL_COLS} FROM calls ORDER BY started_at") == [
        # API export: UTC 13:00 is 14:00 in Berlin; milliseconds to seconds
        ("9c1d7e44-1b2a-4f3e-8d5c-6a7b8c9d0e11", None, None, "Orders DE",
         "0f1e2d3c-1111-4222-8333-444455556666", datetime(2026, 11, 29, 14, 0, 0), 30.5, 480.0,
         15.0, 45.25, False, None, "Order status", None),
        # abandoned (tAbandon set): no talk, hold or ACW, which stay empty, not 0
        ("9c1d7e44-1b2a-4f3e-8d5c-6a7b8c9d0e12", None, None, "Returns", None,
         datetime(2026, 11, 29, 16, 10, 0), 61.0, None, None, None, True, None, None, None),
        # Interactions view: 00:11:52 talk is 712 s; 09:15:03.120Z is 10:15:03.120 in Berlin
        ("3f2b8c1e-7d4a-4c9e-9a51-0b6f2e8d1c01", "100234", None, "Orders DE", "Anna Schmidt",
         datetime(2026, 11, 30, 10, 15, 3, 120000), 42.0, 712.0, 66.0, 60.0, False, None,
         "Late delivery", None),
        ("3f2b8c1e-7d4a-4c9e-9a51-0b6f2e8d1c02", "100877", None, "Orders DE", None,
         datetime(2026, 11, 30, 17, 58, 10), 125.0, None, None, None, True, None, None, None),
        # 23:30 UTC is 00:30 the next day in Berlin; 01:02:03 is 3723 s
        ("3f2b8c1e-7d4a-4c9e-9a51-0b6f2e8d1c03", None, None, "Returns", "Jonas Weber",
         datetime(2026, 12, 1, 0, 30, 0), 15.0, 3723.0, 0.0, 132.0, False, None,
         "Return label sent", None),
    ]  # fmt: skip
    assert _counts(report, view) == (3, 3, 0, 0)
    assert _counts(report, api) == (2, 2, 0, 0)


# --------------------------------------------------------------------------- Zendesk


def test_zendesk_tickets(tmp_path: Path, db: Path) -> None:
    sources = _example("zendesk", tmp_path)
    tickets = vf.write_zendesk(tmp_path)
    refs = [*vf.write_reference_data(tmp_path), vf.write_reference_orders(tmp_path)]
    report = _load(db, sources, [*refs, tickets])

    assert query(db, f"SELECT {CALL_COLS} FROM calls ORDER BY 1") == [
        # "SO 12193" in the subject; 08:02:11Z is 09:02:11 in Berlin; solved = resolved
        ("48213", "100234", "12193", "orders", "9011", datetime(2026, 11, 30, 9, 2, 11), None,
         None, None, None, False, True, "late_delivery", None),
        # "0000012546" in the subject; 22:45Z is 23:45 the same day in Berlin
        ("48214", "100877", "12546", "returns", None, datetime(2026, 11, 30, 23, 45, 0), None,
         None, None, None, False, False, "return_request", None),
        # the Order Number field wins over the subject's "2026/4411"
        ("48215", "100234", "12193", "billing", "9012", datetime(2026, 12, 1, 7, 30, 0), None,
         None, None, None, False, False, "invoice_copy", None),
    ]  # fmt: skip
    assert _counts(report, tickets) == (3, 3, 0, 0)


# --------------------------------------------------------------------------- Qualtrics


def test_qualtrics_responses(tmp_path: Path, db: Path) -> None:
    sources = _example("qualtrics", tmp_path)
    responses = vf.write_qualtrics(tmp_path)
    report = _load(db, sources, [*vf.write_reference_data(tmp_path), responses])

    assert query(db, f"SELECT {SURVEY_COLS} FROM surveys ORDER BY responded_at") == [
        # recorded 14:05:12 in Denver (UTC-7) is 22:05:12 in Berlin
        ("R_1a2B3c4D5e6F7g8", "100234", None, None, datetime(2026, 11, 28, 22, 5, 12),
         "delivery", 5, 9, None, "Pünktlich geliefert, danke!"),
        # 17:30 in Denver is 01:30 the next day in Berlin; "0 - Not at all likely" is 0
        ("R_2b3C4d5E6f7G8h9", "100877", None, None, datetime(2026, 11, 29, 1, 30, 0), "call",
         2, 0, None, "Lieferung kam zu spät.\nUnd unvollständig."),
        # partial response: NPS only
        ("R_4d5E6f7G8h9I0j1", None, None, None, datetime(2026, 12, 1, 16, 11, 0), "web", None,
         10, None, None),
    ]  # fmt: skip
    # the preview ("test test", NPS 0) is filtered: counted, never a customer's answer
    assert _counts(report, responses) == (4, 3, 0, 1)
    assert _rejects(db, responses) == []


# --------------------------------------------------------------------------- Salesforce


def test_salesforce_dataloader_and_report(tmp_path: Path, db: Path) -> None:
    sources = _example("salesforce", tmp_path)
    extract = vf.write_salesforce_dataloader(tmp_path)
    report_file = vf.write_salesforce_report(tmp_path)
    report = _load(db, sources, [extract, report_file])

    assert query(db, f"SELECT {CUSTOMER_COLS} FROM customers ORDER BY 1") == [
        ("100234", "Müller Maschinenbau GmbH", "Customer - Direct", "Germany",
         "DACH Key Accounts", "Jana Wolf"),
        ("100877", "Café Zürich AG", "Customer - Channel", "Switzerland", "DACH Mid-Market",
         "Jana Wolf"),
        ("200311", "Brown, Hill & Co. Ltd", "Customer - Direct", "United Kingdom",
         "UK Key Accounts", "Tom Baker"),
        ("200412", "Østergaard A/S", "Customer - Channel", "Denmark", "Nordics", "Tom Baker"),
    ]  # fmt: skip
    assert _counts(report, extract) == (3, 2, 0, 1)  # the prospect is filtered
    assert _counts(report, report_file) == (2, 2, 0, 0)  # the footer lines are not rows
    assert _rejects(db, report_file) == []


# --------------------------------------------------------------------------- finance workbook


def test_finance_workbook_orders(tmp_path: Path, db: Path) -> None:
    sources = _example("finance_workbook", tmp_path)
    book = vf.write_finance_workbook(tmp_path)
    report = _load(db, sources, [*vf.write_reference_data(tmp_path, fx=True), book])

    assert query(db, f"SELECT {ORDER_COLS} FROM orders ORDER BY 1, 2") == [
        # numbers typed as numbers; a requested date typed as text "30.11.2026"
        ("CH-5001", "10", "100877", "4711", None, None, date(2026, 11, 3), date(2026, 11, 30),
         date(2026, 11, 27), None, 1200.0, 12.5, "open", "CHF"),
        # pasted as text: "1.200" is 1200 and "1.234,50" is 1234.5 (not 1.2 / 1.2345)
        ("CH-5002", "10", "100877", "815", None, None, date(2026, 11, 10), date(2026, 12, 15),
         None, None, 1200.0, 1234.5, "open", "CHF"),
        # numeric cells keep their value: 2.5 and 269.145 (not 25 / 269145)
        ("CH-5002", "20", "100234", "816", None, None, date(2026, 11, 10), date(2026, 12, 15),
         date(2026, 12, 11), None, 2.5, 269.145, "open", "EUR"),
    ]  # fmt: skip
    # the title rows, the merged group header and the totals row are not rows
    assert _counts(report, book) == (3, 3, 0, 0)
