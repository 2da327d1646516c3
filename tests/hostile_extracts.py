"""Extract files whose values attack the reader: spreadsheet formulas for the CSV exports, and
markdown links, images and HTML pointing at evil.example for the pages. Small, in canonical
columns, dated in the four weeks before today so every page has something to show; customer C1
misses every order and answers NPS 0, so it is also on the at-risk list."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

LINK = "[Sign in again](https://evil.example/login) ![px](https://evil.example/px.png)"
IMG = "<img src=https://evil.example/x.png>"
BARE = "see https://evil.example/a or www.evil.example or boss@evil.example"
HYPERLINK = '=HYPERLINK("https://evil.example","x")'
CALC = "+cmd|' /C calc'!A0"

# id, name, segment, region, portfolio, portfolio_manager
CUSTOMERS = [
    ("C1", LINK, "key account", IMG, LINK, "[m](https://evil.example/m)"),
    ("C2", HYPERLINK, "-mid", "North", "@SUM(1)", "+ann"),
    ("C3", IMG, BARE, "South", IMG, "Bob"),
]
SITE = {"C1": "<img src=https://evil.example/site.png>", "C2": "=site", "C3": "DC-North"}
CARRIER = {"C1": "[c](https://evil.example/c)", "C2": "@carrier", "C3": "BlueLine"}
QUEUE = {"C1": "[q](https://evil.example/q)", "C2": "@queue", "C3": "orders"}
AGENT = {"C1": "<img src=https://evil.example/a.png>", "C2": "-A1", "C3": "A2"}
REASON = {"C1": "![r](https://evil.example/r.png)", "C2": "=1+1", "C3": BARE}
COMMENT = {"C1": [f"{LINK} {IMG}"], "C2": [CALC, "@SUM(1)"], "C3": ["-5", "\t=1+2", "\r=1+2"]}
DAYS = 28


def _write(path: Path, header: list[str], rows: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_hostile_extracts(folder: Path, today: dt.date | None = None) -> Path:
    """Write customers, orders, shipments, calls and surveys CSVs into ``folder``; one order row
    and one survey row break a rule and land in the rejects with their hostile values."""
    today = today or dt.date.today()
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "customers.csv",
        ["customer_id", "name", "segment", "region", "portfolio", "portfolio_manager"],
        CUSTOMERS,
    )
    orders, shipments, calls, surveys = [], [], [], []
    for d in range(1, DAYS + 1):
        for cid, *_ in CUSTOMERS:
            oid, placed = f"O{cid}-{d}", today - dt.timedelta(days=d + 5)
            due = placed + dt.timedelta(days=3)
            late = cid == "C1"
            delivered = due + dt.timedelta(days=3 if late else 0)
            orders.append(
                (
                    oid,
                    "1",
                    cid,
                    f"SKU-{cid}",
                    SITE[cid],
                    "web",
                    placed,
                    due,
                    "",
                    due,
                    10,
                    12.5,
                    "open",
                )
            )
            shipments.append(
                (f"S{oid}", oid, "1", CARRIER[cid], delivered - dt.timedelta(days=1), delivered,
                 10, 0, 5)
            )  # fmt: skip
            started = dt.datetime.combine(today - dt.timedelta(days=d), dt.time(10))
            calls.append(
                (f"K{cid}-{d}", cid, oid, QUEUE[cid], AGENT[cid], started, 30, 200, 0, 20,
                 "false", "true", REASON[cid], 0)
            )  # fmt: skip
            answered = min(delivered + dt.timedelta(days=1), today)
            surveys.append(
                (f"R{cid}-{d}", cid, oid, "", answered, "delivery", 1 if late else 5,
                 0 if late else 10, 4, COMMENT[cid][d % len(COMMENT[cid])])
            )  # fmt: skip
    orders.append(("=cmd", "1", "C2", "SKU", "x", "web", today, today, "", "", "=1+2", 1, "open"))
    surveys.append(("R-bad", "C3", "", "", today, "web", LINK, "", "", IMG))
    _write(
        folder / "orders.csv",
        ["order_id", "line_id", "customer_id", "sku", "site", "channel", "order_date",
         "requested_date", "promised_date", "planned_ship_date", "qty_ordered", "unit_price",
         "status"],
        orders,
    )  # fmt: skip
    _write(
        folder / "shipments.csv",
        ["shipment_id", "order_id", "line_id", "carrier", "ship_date", "delivered_date",
         "qty_shipped", "qty_damaged", "freight_cost"],
        shipments,
    )  # fmt: skip
    _write(
        folder / "calls.csv",
        ["call_id", "customer_id", "order_id", "queue", "agent_id", "started_at", "wait_sec",
         "talk_sec", "hold_sec", "acw_sec", "abandoned", "resolved", "reason", "sale_amount"],
        calls,
    )  # fmt: skip
    _write(
        folder / "surveys.csv",
        ["response_id", "customer_id", "order_id", "call_id", "responded_at", "touchpoint",
         "csat", "nps", "ces", "comment"],
        surveys,
    )  # fmt: skip
    return folder
