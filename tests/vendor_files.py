"""Small export files in the layouts real systems write, for the mappings in config/examples/.

Each ``write_*`` function writes one file under ``folder`` at the path the matching
``config/examples/<system>.yaml`` globs expect (``exports/<system>/...``) and returns it.
The rows are few but carry what breaks a naive reader: title lines, Windows-1252 text,
``1.234,56`` and ``12,50-`` numbers, ``00000000`` for "no date", leading zeros, prices per
100 or 1,000 units, cancelled lines, several currencies, timestamps with offsets or in
another zone, ``hh:mm:ss`` and millisecond durations, preview responses, footer lines.

Layouts and column names follow what each vendor documents where we could find it; every
place where we could not confirm a detail says so in a comment ("unconfirmed").
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "config" / "examples"


def _write(path: Path, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def _csv_line(cells: list[str], sep: str = ",") -> str:
    """Every cell quoted, quotes doubled (how Data Loader, Qualtrics and Salesforce write)."""
    return sep.join('"' + c.replace('"', '""') + '"' for c in cells)


# --------------------------------------------------------------------------- SAP SD

# VA05 (List of sales orders) saved as a text file from the ALV list with the technical
# field names as column headings (layout setting). Fields: VBAK-VBELN/AUART/AUDAT/VDATU/
# KUNNR/VTWEG/WAERK, VBAP-POSNR/MATNR/ARKTX/WERKS/KWMENG/VRKME/NETPR/KPEIN/KMEIN/NETWR/ABGRU,
# VBEP-ETENR/EDATU/WADAT. The "spreadsheet" download of an ALV list is Windows-1252,
# semicolon-separated with German number and date formats in a German-locale SAP GUI;
# title lines above the header and a totals line (marked "*") below the data are what the
# list shows on screen. The exact title text differs by release and layout (unconfirmed).
SAP_ORDERS_HEADER = (
    "VBELN;POSNR;ETENR;AUART;KUNNR;NAME1;MATNR;ARKTX;WERKS;VTWEG;AUDAT;VDATU;EDATU;WADAT;"
    "KWMENG;VRKME;NETPR;KPEIN;KMEIN;NETWR;WAERK;ABGRU"
)
SAP_ORDERS_TITLE = [
    "Kundenaufträge – Liste (VA05), Werte in Belegwährung (€ / CHF)",
    "Verkaufsorg. 1000 · Stand 01.12.2026 · Benutzer MÜLLER",
    "",
]
SAP_ORDERS_ROWS = [
    # item 10 has two schedule lines (ETENR 0001, 0002): one row each, the first is kept
    "0000012193;000010;0001;TA;0000100234;Müller Maschinenbau GmbH;000000000000004711;"
    "Pumpe Ø40 mm;1000;10;20261102;20261120;20261118;20261116;1.200,000;ST;1.234,56;100;ST;"
    "14.814,72;EUR;",
    "0000012193;000010;0002;TA;0000100234;Müller Maschinenbau GmbH;000000000000004711;"
    "Pumpe Ø40 mm;1000;10;20261102;20261120;20261125;20261123;1.200,000;ST;1.234,56;100;ST;"
    "14.814,72;EUR;",
    # no confirmed date yet (00000000); planned GI typed as 30.11.2026; price per 1,000 KG
    "0000012193;000020;0001;TA;0000100234;Müller Maschinenbau GmbH;DICHTUNG-ÄR7;"
    "Dichtungsring Ä-Reihe;1000;10;20261102;20261120;00000000;30.11.2026;2,500;KG;845,00;1000;"
    "KG;2,11;EUR;",
    "0000012546;000010;0001;TA;0000100877;Café Zürich AG;000000000000000815;Filter 815;2000;12;"
    "20261105;20261130;20261127;20261125;50,000;ST;12,50;1;ST;625,00;CHF;",
    # rejected for reason 02: a cancelled line
    "0000012546;000020;0001;TA;0000100877;Café Zürich AG;000000000000000816;Filter 816;2000;12;"
    "20261105;20261130;20261127;20261125;10,000;ST;99,90;1;ST;999,00;CHF;02",
    # a returns order (AUART RE), quantity with the minus sign behind: filtered by `where:`
    "0000012600;000010;0001;RE;0000100234;Müller Maschinenbau GmbH;000000000000004711;"
    "Pumpe Ø40 mm;1000;10;20261120;20261120;00000000;00000000;3,000-;ST;1.234,56;100;ST;"
    "37,04-;EUR;",
]
SAP_ORDERS_FOOTER = [";;;;;;;;;;;;;;;;;;;16.477,87;*;"]


def write_sap_orders(folder: Path) -> Path:
    lines = SAP_ORDERS_TITLE + [SAP_ORDERS_HEADER] + SAP_ORDERS_ROWS + SAP_ORDERS_FOOTER
    return _write(folder / "exports/sap/VA05_2026-12-01.txt", "\r\n".join(lines) + "\r\n", "cp1252")


# Deliveries: LIKP (header: VBELN, LFDAT, WADAT_IST, PODAT) joined with LIPS (item: POSNR,
# VGBEL/VGPOS = the order item it delivers, MATNR, LFIMG, VRKME), e.g. in an SQVI quick
# view, downloaded the same way. TDLNR (forwarding agent) comes from the shipment header
# VTTK joined in the same view; LIKP itself holds the carrier only as partner "SP"
# (unconfirmed which one a given company exports).
SAP_DELIVERIES_TITLE = ["Lieferungen LIKP/LIPS – Auswertung 01.12.2026", ""]
SAP_DELIVERIES_HEADER = "VBELN;POSNR;VGBEL;VGPOS;MATNR;LFIMG;VRKME;LFDAT;WADAT_IST;PODAT;TDLNR"
SAP_DELIVERIES_ROWS = [
    "0080001234;000010;0000012193;000010;000000000000004711;1.200,000;ST;20261116;20261116;"
    "20261119;0000300123",
    # no proof of delivery yet (PODAT 00000000): delivered_date falls back to WADAT_IST
    "0080001235;000010;0000012193;000020;DICHTUNG-ÄR7;2,500;KG;20261130;20261201;00000000;"
    "0000300123",
    "0080001240;000010;0000012546;000010;000000000000000815;50,000;ST;20261125;20261125;"
    "20261128;0000300456",
]


def write_sap_deliveries(folder: Path) -> Path:
    lines = SAP_DELIVERIES_TITLE + [SAP_DELIVERIES_HEADER] + SAP_DELIVERIES_ROWS
    return _write(
        folder / "exports/sap/LIKP_LIPS_2026-12-01.txt", "\r\n".join(lines) + "\r\n", "cp1252"
    )


# --------------------------------------------------------------------------- Genesys Cloud

# Performance > Workspace > Interactions view, "Export" (CSV to the inbox). Confirmed column
# names (seen in exports handled by public tools): "Conversation ID", "Date", "Users",
# "Queue", "Direction", "Duration", "Wrap-up". The metric columns "Total Queue",
# "Total Talk", "Total Hold", "Total ACW", "Abandoned", "ANI", "Media Type" and
# "External Org" follow the view's column picker names as best we could find
# (unconfirmed), as is the exact text of "Date" (we write ISO 8601 with Z or an offset;
# the mapping reads any offset) and of "Abandoned" (YES/NO; any bool spelling loads).
GENESYS_VIEW_HEADER = [
    "Conversation ID",
    "Date",
    "Users",
    "Queue",
    "Direction",
    "Media Type",
    "ANI",
    "External Org",
    "Duration",
    "Total Queue",
    "Total Talk",
    "Total Hold",
    "Total ACW",
    "Abandoned",
    "Wrap-up",
]
GENESYS_VIEW_ROWS = [
    [
        "3f2b8c1e-7d4a-4c9e-9a51-0b6f2e8d1c01",
        "2026-11-30T09:15:03.120Z",
        "Anna Schmidt",
        "Orders DE",
        "inbound",
        "voice",
        "tel:+4930123456",
        "0000100234",
        "00:14:40",
        "00:00:42",
        "00:11:52",
        "00:01:06",
        "00:01:00",
        "NO",
        "Late delivery",
    ],
    [  # abandoned in queue: no agent, no talk (empty, not 00:00:00)
        "3f2b8c1e-7d4a-4c9e-9a51-0b6f2e8d1c02",
        "2026-11-30T17:58:10.000+01:00",
        "",
        "Orders DE",
        "inbound",
        "voice",
        "tel:+41441234567",
        "0000100877",
        "00:02:05",
        "00:02:05",
        "",
        "",
        "",
        "YES",
        "",
    ],
    [  # after 23:00 UTC: the next day in Berlin; talk over an hour
        "3f2b8c1e-7d4a-4c9e-9a51-0b6f2e8d1c03",
        "2026-11-30T23:30:00.000Z",
        "Jonas Weber",
        "Returns",
        "inbound",
        "voice",
        "tel:+4989765432",
        "",
        "01:04:30",
        "00:00:15",
        "01:02:03",
        "00:00:00",
        "00:02:12",
        "NO",
        "Return label sent",
    ],
]


def write_genesys_view(folder: Path) -> Path:
    lines = [_csv_line(GENESYS_VIEW_HEADER)] + [_csv_line(r) for r in GENESYS_VIEW_ROWS]
    return _write(
        folder / "exports/genesys/Interactions_2026-12-01.csv", "\r\n".join(lines) + "\r\n"
    )


# Analytics API conversation details (POST /api/v2/analytics/conversations/details/query or
# the async jobs), flattened to one row per conversation. conversationId, conversationStart,
# conversationEnd and originatingDirection are documented conversation fields (ISO 8601,
# UTC "Z"); tAcd, tTalk, tHeld, tAcw, tAbandon are documented session metrics in
# milliseconds. The flattening (one column per metric, summed over the sessions; queueId and
# userId of the answering agent; wrapUpCode as the code's name) is the exporting tool's
# choice, not Genesys' (unconfirmed as a Genesys layout).
GENESYS_API_HEADER = [
    "conversationId",
    "conversationStart",
    "conversationEnd",
    "originatingDirection",
    "mediaType",
    "queueId",
    "userId",
    "tAcd",
    "tTalk",
    "tHeld",
    "tAcw",
    "tAbandon",
    "wrapUpCode",
]
GENESYS_API_ROWS = [
    [
        "9c1d7e44-1b2a-4f3e-8d5c-6a7b8c9d0e11",
        "2026-11-29T13:00:00.000Z",
        "2026-11-29T13:09:30.500Z",
        "inbound",
        "voice",
        "6b0e2f1a-aaaa-4bbb-8ccc-000000000001",
        "0f1e2d3c-1111-4222-8333-444455556666",
        "30500",
        "480000",
        "15000",
        "45250",
        "",
        "Order status",
    ],
    [
        "9c1d7e44-1b2a-4f3e-8d5c-6a7b8c9d0e12",
        "2026-11-29T15:10:00.000Z",
        "2026-11-29T15:11:01.000Z",
        "inbound",
        "voice",
        "6b0e2f1a-aaaa-4bbb-8ccc-000000000002",
        "",
        "61000",
        "",
        "",
        "",
        "61000",
        "",
    ],
]


def write_genesys_api(folder: Path) -> Path:
    lines = [",".join(GENESYS_API_HEADER)] + [",".join(r) for r in GENESYS_API_ROWS]
    return _write(
        folder / "exports/genesys/conversation_details_2026-12-01.csv", "\n".join(lines) + "\n"
    )


# --------------------------------------------------------------------------- Zendesk

# Tickets as the Zendesk API names them (id, created_at, updated_at, subject, status,
# priority, requester_id, organization_id, group_id, assignee_id, tags; timestamps ISO 8601
# in UTC with "Z"), flattened to CSV by an export tool: via.channel becomes "via_channel",
# tags are space-separated, and each custom field is a column named by its title
# ("Customer Number", "Order Number", "Contact Reason"). The flattening and the custom field
# titles are the account's and the tool's (unconfirmed as a Zendesk layout).
ZENDESK_HEADER = [
    "id",
    "created_at",
    "updated_at",
    "subject",
    "status",
    "priority",
    "via_channel",
    "requester_id",
    "organization_id",
    "group_id",
    "assignee_id",
    "tags",
    "Customer Number",
    "Order Number",
    "Contact Reason",
]
ZENDESK_ROWS = [
    [
        "48213",
        "2026-11-30T08:02:11Z",
        "2026-11-30T10:40:00Z",
        "Lieferung SO 12193 fehlt",
        "solved",
        "normal",
        "email",
        "381234567891",
        "360045678901",
        "360001",
        "9011",
        "late_delivery de",
        "0000100234",
        "",
        "late_delivery",
    ],
    [
        "48214",
        "2026-11-30T22:45:00Z",
        "2026-12-01T07:00:00Z",
        "Rückfrage zu Auftrag 0000012546",
        "open",
        "high",
        "web",
        "381234567892",
        "360045678902",
        "360002",
        "",
        "return",
        "100877",
        "",
        "return_request",
    ],
    [
        "48215",
        "2026-12-01T06:30:00Z",
        "2026-12-01T06:31:00Z",
        "Rechnung 2026/4411, bitte Kopie",
        "pending",
        "low",
        "email",
        "381234567891",
        "360045678901",
        "360003",
        "9012",
        "",
        "0000100234",
        "0000012193",
        "invoice_copy",
    ],
]


def write_zendesk(folder: Path) -> Path:
    lines = [_csv_line(ZENDESK_HEADER)] + [_csv_line(r) for r in ZENDESK_ROWS]
    return _write(folder / "exports/zendesk/tickets_2026-12-01.csv", "\n".join(lines) + "\n")


# --------------------------------------------------------------------------- Qualtrics

# Data & Analysis > Export data > CSV, "Use choice text". Documented: three header rows (the
# field ids such as StartDate, Q1; the question text; the ImportId JSON, which names the
# time zone of the date columns), the metadata columns StartDate, EndDate, Status, IPAddress,
# Progress, "Duration (in seconds)", Finished, RecordedDate, ResponseId, Recipient*,
# ExternalReference, Location*, DistributionChannel, UserLanguage; Status "IP Address" for a
# normal response and "Survey Preview" for a preview. The NPS question's Q1_NPS_GROUP column
# is documented; the exact choice text of the NPS end points ("0 - Not at all likely") and the
# second-row texts are as best we could find (unconfirmed). CustomerID and Touchpoint are
# embedded data fields of this survey.
QUALTRICS_FIELDS = [
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "LocationLatitude",
    "LocationLongitude",
    "DistributionChannel",
    "UserLanguage",
    "Q1",
    "Q1_NPS_GROUP",
    "Q2",
    "Q3",
    "CustomerID",
    "Touchpoint",
]
QUALTRICS_TEXTS = [
    "Start Date",
    "End Date",
    "Response Type",
    "IP Address",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "Recorded Date",
    "Response ID",
    "Recipient Last Name",
    "Recipient First Name",
    "Recipient Email",
    "External Data Reference",
    "Location Latitude",
    "Location Longitude",
    "Distribution Channel",
    "User Language",
    "How likely are you to recommend Northstar to a friend or colleague?",
    "How likely are you to recommend Northstar to a friend or colleague? - Group",
    "How satisfied were you with your delivery?",
    "What could we do better?",
    "CustomerID",
    "Touchpoint",
]
_ZONE = "America/Denver"  # the account's time zone, as the third header row says
QUALTRICS_IMPORT_IDS = [
    {"ImportId": "startDate", "timeZone": _ZONE},
    {"ImportId": "endDate", "timeZone": _ZONE},
    {"ImportId": "status"},
    {"ImportId": "ipAddress"},
    {"ImportId": "progress"},
    {"ImportId": "duration"},
    {"ImportId": "finished"},
    {"ImportId": "recordedDate", "timeZone": _ZONE},
    {"ImportId": "_recordId"},
    {"ImportId": "recipientLastName"},
    {"ImportId": "recipientFirstName"},
    {"ImportId": "recipientEmail"},
    {"ImportId": "externalDataReference"},
    {"ImportId": "locationLatitude"},
    {"ImportId": "locationLongitude"},
    {"ImportId": "distributionChannel"},
    {"ImportId": "userLanguage"},
    {"ImportId": "QID1"},
    {"ImportId": "QID1_NPS_GROUP"},
    {"ImportId": "QID2"},
    {"ImportId": "QID3_TEXT"},
    {"ImportId": "CustomerID"},
    {"ImportId": "Touchpoint"},
]
_META = ["", "", "", "", "", "", "anonymous", "EN"]  # Recipient* .. UserLanguage
QUALTRICS_ROWS = [
    ["2026-11-28 14:01:10", "2026-11-28 14:05:11", "IP Address", "203.0.113.7", "100", "241",
     "True", "2026-11-28 14:05:12", "R_1a2B3c4D5e6F7g8", *_META, "9", "Promoter",
     "Extremely satisfied", "Pünktlich geliefert, danke!", "0000100234", "delivery"],
    # recorded 17:30 in Denver = 01:30 the next day in Berlin; a comment over two lines
    ["2026-11-28 17:20:00", "2026-11-28 17:29:59", "IP Address", "198.51.100.23", "100", "599",
     "True", "2026-11-28 17:30:00", "R_2b3C4d5E6f7G8h9", *_META, "0 - Not at all likely",
     "Detractor", "Somewhat dissatisfied", "Lieferung kam zu spät.\nUnd unvollständig.",
     "100877", "call"],
    # the survey builder's own test: filtered, never a customer
    ["2026-11-29 09:00:00", "2026-11-29 09:00:40", "Survey Preview", "", "100", "40", "True",
     "2026-11-29 09:00:41", "R_3c4D5e6F7g8H9i0", *_META, "0 - Not at all likely", "Detractor",
     "Extremely dissatisfied", "test test", "", "delivery"],
    # a partial response closed by the session timeout: NPS only
    ["2026-11-30 08:10:00", "2026-11-30 08:11:00", "IP Address", "192.0.2.44", "50", "60",
     "False", "2026-12-01 08:11:00", "R_4d5E6f7G8h9I0j1", *_META, "10 - Extremely likely",
     "Promoter", "", "", "", "web"],
]  # fmt: skip


def write_qualtrics(folder: Path) -> Path:
    lines = [
        _csv_line(QUALTRICS_FIELDS),
        _csv_line(QUALTRICS_TEXTS),
        _csv_line([json.dumps(i, separators=(",", ":")) for i in QUALTRICS_IMPORT_IDS]),
    ] + [_csv_line(r) for r in QUALTRICS_ROWS]
    return _write(
        folder / "exports/qualtrics/Customer Feedback_December 1, 2026_09.15.csv",
        "\n".join(lines) + "\n",
        bom=True,
    )


# --------------------------------------------------------------------------- Salesforce

# Data Loader "Export" of Account: the SOQL field names as headers in upper case, every value
# quoted, UTF-8. Id, Name, AccountNumber, Type, Industry, BillingCountry and OwnerId are
# standard Account fields; Portfolio__c and Portfolio_Manager__c are this org's custom fields
# (any org names its own). The upper-case headers are as Data Loader writes them as best we
# know (unconfirmed); the mapping names them as written.
SF_DATALOADER_HEADER = [
    "ID",
    "NAME",
    "ACCOUNTNUMBER",
    "TYPE",
    "INDUSTRY",
    "BILLINGCOUNTRY",
    "OWNERID",
    "PORTFOLIO__C",
    "PORTFOLIO_MANAGER__C",
]
SF_DATALOADER_ROWS = [
    ["0015g00000AbCdEAAV", "Müller Maschinenbau GmbH", "100234", "Customer - Direct",
     "Machinery", "Germany", "0055g00000XyZ12AAB", "DACH Key Accounts", "Jana Wolf"],
    ["0015g00000AbCdFAAV", "Café Zürich AG", "100877", "Customer - Channel", "Hospitality",
     "Switzerland", "0055g00000XyZ12AAB", "DACH Mid-Market", "Jana Wolf"],
    # a prospect: no ERP account number yet, so not a customer (filtered)
    ["0015g00000AbCdGAAV", "Nordic Pumps AB", "", "Prospect", "Machinery", "Sweden",
     "0055g00000XyZ34AAB", "", ""],
]  # fmt: skip


def write_salesforce_dataloader(folder: Path) -> Path:
    lines = [_csv_line(SF_DATALOADER_HEADER)] + [_csv_line(r) for r in SF_DATALOADER_ROWS]
    return _write(
        folder / "exports/salesforce/extract_Account_2026-12-01.csv", "\n".join(lines) + "\n"
    )


# Report export (Reports > Export > "Details Only", CSV, UTF-8): field labels as headers;
# below the data the report adds footer lines (a blank record, "Grand Totals (n records)",
# the report title, the copyright, "Confidential Information - Do Not Distribute",
# "Generated By:" with the user and time, the company name). The exact footer set depends on
# the report format and release (unconfirmed); this file has 7 footer lines, the
# skip_footer: 7 in config/examples/salesforce.yaml.
SF_REPORT_HEADER = [
    "Account Name",
    "Account Number",
    "Type",
    "Billing Country",
    "Account Owner",
    "Portfolio",
]
SF_REPORT_ROWS = [
    ["Brown, Hill & Co. Ltd", "200311", "Customer - Direct", "United Kingdom", "Tom Baker",
     "UK Key Accounts"],
    ["Østergaard A/S", "200412", "Customer - Channel", "Denmark", "Tom Baker", "Nordics"],
]  # fmt: skip
SF_REPORT_FOOTER = [
    '""',
    '"Grand Totals (2 records)"',
    '"Accounts by Portfolio"',
    '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."',
    '"Confidential Information - Do Not Distribute"',
    '"Generated By:  Jana Wolf  01.12.2026 09:15"',
    '"Northstar GmbH"',
]


def write_salesforce_report(folder: Path) -> Path:
    assert len(SF_REPORT_FOOTER) == 7  # skip_footer in the example mapping
    lines = (
        [_csv_line(SF_REPORT_HEADER)] + [_csv_line(r) for r in SF_REPORT_ROWS] + SF_REPORT_FOOTER
    )
    return _write(
        folder / "exports/salesforce/report1764578100000.csv", "\n".join(lines) + "\n", bom=True
    )


# --------------------------------------------------------------------------- finance workbook

# A finance team's order book of the Swiss subsidiary (not a vendor format): a title and a
# "Stand" line, a blank row, a merged group header ("Auftrag", "Termine", "Menge & Preis")
# above the real column names, the data (numbers typed as numbers, and some pasted as text
# in German notation), and a totals row with a SUM formula (its value saved, as Excel does).
FINANCE_HEADER = [
    "Auftrag",
    "Pos.",
    "Kunde",
    "Artikel",
    "Auftragsdatum",
    "Wunschtermin",
    "Bestätigt",
    "Menge",
    "Preis",
    "Währung",
]


def write_finance_workbook(folder: Path) -> Path:
    import xlsxwriter

    path = folder / "exports/finance/Auftragsbuch CH 2026-11.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(path)
    ws = book.add_worksheet("Aufträge")
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    money = book.add_format({"num_format": "#,##0.00"})
    ws.merge_range(0, 0, 0, 9, "Northstar Schweiz AG – Auftragsbuch November 2026", bold)
    ws.write(1, 0, "Stand: 01.12.2026, Beträge in Belegwährung")
    # row 3 (index 2) stays empty
    ws.merge_range(3, 0, 3, 3, "Auftrag", bold)
    ws.merge_range(3, 4, 3, 6, "Termine", bold)
    ws.merge_range(3, 7, 3, 9, "Menge & Preis", bold)
    ws.write_row(4, 0, FINANCE_HEADER, bold)
    # order CH-5001 line 10: every cell typed as Excel would keep it, except a pasted date
    ws.write_string(5, 0, "CH-5001")
    ws.write_number(5, 1, 10)
    ws.write_string(5, 2, "100877")
    ws.write_string(5, 3, "4711")
    ws.write_datetime(5, 4, dt.datetime(2026, 11, 3), day)
    ws.write_string(5, 5, "30.11.2026")
    ws.write_datetime(5, 6, dt.datetime(2026, 11, 27), day)
    ws.write_number(5, 7, 1200)
    ws.write_number(5, 8, 12.5, money)
    ws.write_string(5, 9, "CHF")
    # CH-5002 line 10: quantity and price pasted as text in German notation; not confirmed
    ws.write_string(6, 0, "CH-5002")
    ws.write_number(6, 1, 10)
    ws.write_string(6, 2, "100877")
    ws.write_string(6, 3, "815")
    ws.write_datetime(6, 4, dt.datetime(2026, 11, 10), day)
    ws.write_datetime(6, 5, dt.datetime(2026, 12, 15), day)
    ws.write_string(6, 7, "1.200")
    ws.write_string(6, 8, "1.234,50")
    ws.write_string(6, 9, "CHF")
    # CH-5002 line 20: numeric cells with a fraction keep their value (2.5, 269.145)
    ws.write_string(7, 0, "CH-5002")
    ws.write_number(7, 1, 20)
    ws.write_string(7, 2, "100234")
    ws.write_string(7, 3, "816")
    ws.write_datetime(7, 4, dt.datetime(2026, 11, 10), day)
    ws.write_datetime(7, 5, dt.datetime(2026, 12, 15), day)
    ws.write_datetime(7, 6, dt.datetime(2026, 12, 11), day)
    ws.write_number(7, 7, 2.5)
    ws.write_number(7, 8, 269.145, money)
    ws.write_string(7, 9, "EUR")
    # the totals row (its formula's value saved, as Excel does)
    ws.write_string(8, 0, "Summe", bold)
    ws.write_formula(8, 7, "=SUM(H6:H8)", bold, 1202.5)
    ws.write_formula(8, 8, "=SUM(I6:I8)", money, 281.645)
    notes = book.add_worksheet("Hinweise")
    notes.write(0, 0, "Menge in Verkaufseinheiten; Preise je Einheit.")
    book.close()
    return path


# --------------------------------------------------------------------------- reference data


def write_reference_data(folder: Path, *, fx: bool = False) -> list[Path]:
    """Canonical customers (and, with ``fx``, the fx_rates of CHF and USD) that the vendor rows
    refer to, loaded by file name."""
    ref = folder / "ref"
    ref.mkdir(parents=True, exist_ok=True)
    customers = ref / "customers.csv"
    customers.write_text(
        "customer_id,name,segment,region,portfolio,portfolio_manager\n"
        "100234,Müller Maschinenbau GmbH,key account,DACH,DACH Key Accounts,Jana Wolf\n"
        "100877,Café Zürich AG,mid-market,DACH,DACH Mid-Market,Jana Wolf\n",
        encoding="utf-8",
    )
    if not fx:
        return [customers]
    rates = ref / "fx_rates.csv"
    rates.write_text("currency,valid_from,rate\nCHF,2026-01-01,1.07\nUSD,2026-01-01,0.92\n")
    return [customers, rates]


def write_reference_orders(folder: Path) -> Path:
    """Canonical order lines that contacts refer to (12193 and 12546)."""
    path = folder / "ref" / "orders.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "order_id,line_id,customer_id,sku,order_date,requested_date,qty_ordered\n"
        "12193,10,100234,4711,2026-11-02,2026-11-20,1200\n"
        "12546,10,100877,815,2026-11-05,2026-11-30,50\n"
    )
    return path
