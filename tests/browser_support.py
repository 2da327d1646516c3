"""Test and benchmark helpers: synthetic warehouses and a Streamlit server to drive.

``build_warehouse`` writes a warehouse with the canonical tables straight from
DuckDB SQL (deterministic, ~1 s per million lines), for tests and benchmarks
at any size. ``demo_warehouse`` prefers ``connectors.demo.build_demo``
(sample_data) and falls back to the synthetic one.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb

from metrics.schema import SQL_TYPES, TABLES

ROOT = Path(__file__).resolve().parent.parent
START = "2025-11-03"  # first order date, a Monday
DAYS = 372  # order dates span; as-of is START + DAYS + 5 (a Saturday)

LOG_TABLES = {
    "rejects": 'file VARCHAR, "row" BIGINT, "table" VARCHAR, rule VARCHAR, "column" VARCHAR,'
    " value VARCHAR, raw VARCHAR, message VARCHAR, loaded_at TIMESTAMP",
    "loads": 'file VARCHAR, "table" VARCHAR, sha256 VARCHAR, rows_read BIGINT, rows_loaded BIGINT,'
    " rows_rejected BIGINT, loaded_at TIMESTAMP, file_mtime TIMESTAMP",
}


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for t in TABLES.values():
        cols = ", ".join(f"{c.name} {SQL_TYPES[c.type]}" for c in t.columns)
        con.sql(f"CREATE OR REPLACE TABLE {t.name} ({cols})")
    for name, cols in LOG_TABLES.items():
        con.sql(f"CREATE OR REPLACE TABLE {name} ({cols})")


def _rand(key: str, salt: str) -> str:
    """A deterministic uniform number in [0, 1) from a key column."""
    return f"(hash({key}, '{salt}') % 1000000) / 1000000.0"


def build_warehouse(path: Path | str, *, lines: int = 20_000, empty: bool = False) -> Path:
    """Write a warehouse with about ``lines`` order lines (or only empty tables)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp-build")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        create_tables(con)
        if not empty:
            _fill(con, lines)
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def _fill(con: duckdb.DuckDBPyConnection, lines: int) -> None:
    con.sql(f"SET VARIABLE n_lines = {int(lines)}")
    for sql in (_CUSTOMERS, _LINES, _ORDERS, _SHIPMENTS, _CALLS, _SURVEYS, _LOG):
        con.sql(sql)
    con.sql("DROP TABLE gen_lines")


_CUSTOMERS = f"""
INSERT INTO customers
SELECT 'C' || lpad(i::VARCHAR, 4, '0'), 'Customer ' || i,
       CASE WHEN {_rand("i", "seg")} < 0.1 THEN 'key account'
            WHEN {_rand("i", "seg")} < 0.4 THEN 'mid-market' ELSE 'retail' END,
       ['North', 'South', 'East', 'West', 'Central'][1 + i % 5],
       'P-' || ['North', 'South', 'East', 'West', 'Central'][1 + i % 5] || '-' || (i % 3 + 1),
       ['Ann', 'Bob', 'Cem', 'Dora', 'Eli', 'Fay'][1 + i % 6]
FROM range(400) t(i)
"""

# One row per order line with its fate; shared by orders, shipments and surveys.
_LINES = f"""
CREATE TABLE gen_lines AS
WITH base AS (
  SELECT k, k // 3 AS o, k % 3 + 1 AS line_no,
         'C' || lpad((hash(k // 3, 'cust') % 400)::VARCHAR, 4, '0') AS customer_id,
         DATE '{START}' + CAST(floor((k // 3) * {DAYS}.0 / greatest(getvariable('n_lines') // 3, 1)) AS INTEGER)
           AS order_date,
         {_rand("k", "fate")} AS u, {_rand("k", "misc")} AS v, {_rand("k // 3", "ord")} AS w
  FROM range(getvariable('n_lines')) t(k)
)
SELECT b.*, c.region, c.segment,
       b.order_date + 3 + CAST(floor(b.w * 9) AS INTEGER) AS requested_date,
       ['BlueLine', 'Rapido Freight', 'TransAlp', 'NordCargo'][1 + CAST(floor(b.v * 4) AS INTEGER)] AS carrier,
       -- the planted story: East and TransAlp run late, and it gets worse in the last weeks
       0.03 + CASE WHEN c.region = 'East' THEN 0.06 ELSE 0 END
            + CASE WHEN floor(b.v * 4) = 2 THEN 0.05 ELSE 0 END
            + CASE WHEN b.order_date > DATE '{START}' + {DAYS - 35} THEN 0.04 ELSE 0 END AS late_p
FROM base b JOIN customers c USING (customer_id)
WHERE b.line_no < 3 OR b.w < 0.5
"""

_ORDERS = """
INSERT INTO orders
SELECT 'O' || o, line_no::VARCHAR, customer_id, 'SKU-' || (hash(k, 'sku') % 200),
       ['DC-North', 'DC-South', 'DC-East', 'Plant-Central'][1 + CAST(hash(customer_id) % 4 AS INTEGER)],
       ['web', 'edi', 'phone', 'sales-rep'][1 + CAST(floor(w * 4) AS INTEGER)],
       order_date, requested_date,
       CASE WHEN u BETWEEN 0.5 AND 0.52 THEN requested_date + 2 ELSE requested_date END,
       requested_date - 2,
       1 + CAST(floor(v * 20) AS INTEGER), round(5 + w * 95, 2),
       CASE WHEN v > 0.995 THEN 'cancelled' ELSE 'open' END, NULL  -- currency: the reporting one
FROM gen_lines
"""

_SHIPMENTS = f"""
INSERT INTO shipments
WITH plan AS (
  SELECT *, 1 + CAST(floor(v * 20) AS INTEGER) AS qty, requested_date - 2 AS planned,
         CASE WHEN u < 0.015 THEN 'none' WHEN u < 0.04 THEN 'short'
              WHEN u < 0.04 + late_p / 2 THEN 'late_dispatch'
              WHEN u < 0.04 + late_p THEN 'late_transit' ELSE 'ok' END AS fate
  FROM gen_lines
), s AS (
  SELECT *, CASE fate WHEN 'late_dispatch' THEN planned + 2 ELSE planned - CAST(floor(w * 2) AS INTEGER) END
              AS ship_date
  FROM plan WHERE fate <> 'none'
)
SELECT 'S' || o || '-' || line_no, 'O' || o, line_no::VARCHAR, carrier, ship_date,
       CASE WHEN ship_date + CASE fate WHEN 'late_transit' THEN 4 ELSE 2 END > DATE '{START}' + {DAYS + 5}
            THEN NULL ELSE ship_date + CASE fate WHEN 'late_transit' THEN 4 ELSE 2 END END,
       CASE fate WHEN 'short' THEN greatest(qty - 1, 0) ELSE qty END,
       CASE WHEN v > 0.98 THEN 1 ELSE 0 END, round(3 + qty * 0.8, 2), NULL
FROM s WHERE ship_date <= DATE '{START}' + {DAYS + 5}
"""

_CALLS = f"""
INSERT INTO calls
SELECT 'K' || i, 'C' || lpad((hash(i, 'kc') % 400)::VARCHAR, 4, '0'), NULL,
       ['orders', 'billing', 'returns'][1 + CAST(hash(i, 'q') % 3 AS INTEGER)], 'A' || (hash(i, 'ag') % 25),
       TIMESTAMP '{START} 08:00' + to_minutes(CAST(floor({_rand("i", "t")} * {DAYS + 5} * 1440) AS BIGINT)),
       floor({_rand("i", "wt")} * 60), 120 + floor({_rand("i", "tk")} * 400), floor({_rand("i", "h")} * 60),
       floor({_rand("i", "acw")} * 90), {_rand("i", "ab")} < 0.06, {_rand("i", "rs")} < 0.86,
       ['wismo', 'damage', 'invoice', 'other'][1 + CAST(hash(i, 'r') % 4 AS INTEGER)],
       CASE WHEN {_rand("i", "s")} < 0.1 THEN round({_rand("i", "sa")} * 200, 2) ELSE 0 END
FROM range(getvariable('n_lines') // 6) t(i)
"""

_SURVEYS = f"""
INSERT INTO surveys
SELECT 'R' || k, customer_id, 'O' || o, NULL,
       CAST(requested_date + 3 AS TIMESTAMP) + INTERVAL 10 HOUR, 'delivery',
       CASE WHEN u < 0.04 + late_p THEN 1 + CAST(floor(v * 3.5) AS INTEGER)
            ELSE 3 + CAST(floor(v * 2.99) AS INTEGER) END,
       CASE WHEN u < 0.04 + late_p THEN CAST(floor(v * 8) AS INTEGER)
            ELSE 6 + CAST(floor(v * 4.99) AS INTEGER) END,
       3 + CAST(floor(w * 4.99) AS INTEGER), NULL
FROM gen_lines
WHERE line_no = 1 AND w < 0.15 AND requested_date + 3 <= DATE '{START}' + {DAYS + 5}
"""

_LOG = f"""
INSERT INTO loads VALUES
 ('orders.csv', 'orders', 'a1', 1000, 998, 2, TIMESTAMP '{START}' + INTERVAL {DAYS + 6} DAY,
  TIMESTAMP '{START}' + INTERVAL {DAYS + 5} DAY),
 ('shipments.csv', 'shipments', 'b2', 1000, 1000, 0, TIMESTAMP '{START}' + INTERVAL {DAYS + 6} DAY,
  TIMESTAMP '{START}' + INTERVAL {DAYS + 5} DAY),
 ('calls.csv', 'calls', 'c3', 500, 499, 1, TIMESTAMP '{START}' + INTERVAL {DAYS + 6} DAY,
  TIMESTAMP '{START}' + INTERVAL {DAYS + 5} DAY);
INSERT INTO rejects VALUES
 ('orders.csv', 17, 'orders', 'type', 'qty_ordered', 'ten', 'O9,1,C1,SKU-1,ten', 'qty_ordered: ''ten'' is not a number',
  TIMESTAMP '{START}' + INTERVAL {DAYS + 6} DAY),
 ('orders.csv', 40, 'orders', 'required', 'customer_id', '', 'O12,2,,SKU-9,4', 'customer_id is required',
  TIMESTAMP '{START}' + INTERVAL {DAYS + 6} DAY),
 ('calls.csv', 3, 'calls', 'range', 'wait_sec', '-5', 'K3,C1,,orders,A1,...', 'wait_sec must be >= 0',
  TIMESTAMP '{START}' + INTERVAL {DAYS + 6} DAY)
"""


def demo_warehouse(path: Path | str) -> Path:
    """The sample-data warehouse when the demo builder works, else a synthetic one."""
    path = Path(path)
    try:
        from connectors.demo import build_demo
        from store.errors import StoreError
    except ImportError:
        return build_warehouse(path)
    try:
        build_demo(path)
    except StoreError:  # sample data not (yet) loadable: fall back to the synthetic warehouse
        return build_warehouse(path)
    return path


# ---- a Streamlit server for browser tests and benchmarks -------------------------


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    db: Path, *, port: int, app: str = "dashboard.py", env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start ``streamlit run`` on the app and wait until it answers its health check."""
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        app,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    log = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])  # a file never fills up
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env={**os.environ, "NORTHSTAR_DB": str(db), **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    proc.log_path = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log.read_text()[-2000:]}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r,
        ):
            if r.status == 200:
                return proc
        time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("streamlit did not become healthy within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY = '[data-test-script-state="notRunning"]'
CONNECTED = '[data-test-connection-state="CONNECTED"]'
EXCEPTION = '[data-testid="stException"]'


TITLE = '[data-testid="stMain"] h1'


def wait_ready(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app is connected, its page has drawn a title and its script has finished."""
    page.wait_for_selector(CONNECTED, state="attached", timeout=timeout_ms)
    page.wait_for_selector(TITLE, state="attached", timeout=timeout_ms)
    page.wait_for_selector(READY, state="attached", timeout=timeout_ms)


def open_sections(page) -> None:
    """Open every closed section of the page (the review's below its first screen, the Data
    page's SQL...), as a reader does: a click on each (each asks for a rerun; the last one sent
    holds them all open), then until they are drawn open."""
    closed = page.locator('[data-testid="stExpander"] details:not([open]) > summary')
    for _ in range(3):  # a rerun's answer may close one clicked while it ran: click it again
        if not closed.count():
            break
        page.evaluate(  # each at once, as fast as a reader's clicks
            """() => document.querySelectorAll(
                '[data-testid="stExpander"] details:not([open]) > summary').forEach(s => s.click())"""
        )
        time.sleep(0.3)  # the reruns the clicks start
        wait_ready(page)
    page.wait_for_function(  # each opened to its full height (an expander slides open)
        """() => [...document.querySelectorAll('[data-testid="stExpander"] details')]
            .every(d => d.open && d.scrollHeight <= d.clientHeight + 1)"""
    )
