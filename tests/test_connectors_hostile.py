"""Hostile extracts: each case is a set of files, its expected message or row accounting.

Rows read = rows loaded + rows rejected for every file, always.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
import xlsxwriter

from connectors.load import load_paths
from connectors.sources import check_sources
from store.errors import StoreError
from store.warehouse import Warehouse
from tests.conftest import query, run_cli

TODAY = "2026-11-16"
CUST = b"customer_id,portfolio\nC1,P1\n"
CALLS = "call_id,customer_id,started_at\n"
ORDERS = "order_id,line_id,customer_id,sku,order_date,requested_date,qty_ordered\n"
SURVEYS = "response_id,customer_id,order_id,call_id,responded_at,csat\n"


def _xlsx(sheets: dict[str, list[list]], formula: bool = False) -> bytes:
    import io

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            ws.write_row(i, 0, row)
        if formula and rows:
            ws.write_formula(1, len(rows[0]) - 1, "=C2*2", None, "")
    wb.close()
    data = buf.getvalue()
    if formula:  # drop the saved result, as a generator that never computes formulas does
        import zipfile

        src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for item in src.namelist():
                body = src.read(item)
                if item.startswith("xl/worksheets/"):
                    body = body.replace(b"<v></v>", b"").replace(b"<v/>", b"")
                z.writestr(item, body)
        data = out.getvalue()
    return data


# name, files, sources.yaml (or None), expected: error regex, or {file: (read, loaded, rejected, rules)}
CASES = [
    (
        "event in year 9999",
        {"calls.csv": CALLS + "K1,C1,9999-12-31 10:00:00\nK2,C1,2026-11-16 09:00:00\n"},
        None,
        {"calls.csv": (2, 1, 1, {"implausible_date"})},
    ),
    (
        "due date 2030, year 0000, 44 BC",
        {
            "orders.csv": ORDERS
            + "O1,1,C1,S,2026-11-01,2030-01-01,1\nO2,1,C1,S,0000-01-01,2026-11-20,1\n"
            "O3,1,C1,S,0044-03-15 (BC),2026-11-20,1\nO4,1,C1,S,2026-11-01,2027-06-01,1\n"
        },
        None,
        {"orders.csv": (4, 1, 3, {"implausible_date", "bad_date"})},
    ),
    (
        "plausible bounds from sources.yaml",
        {"orders.csv": ORDERS + "O1,1,C1,S,2026-11-01,2030-01-01,1\n"},
        "plausible_dates: {due_within_days: 2000}\n",
        {"orders.csv": (1, 1, 0, set())},
    ),
    (
        "time zones converted or refused",
        {
            "calls.csv": CALLS + "K1,C1,2026-03-01 10:00:00+05:00\nK2,C1,2026-03-01 10:00:00Z\n"
            "K3,C1,2026-03-01 10:00:00-08\nK4,C1,2026-03-01 10:00:00 CET\n"
            "K5,C1,2026-03-01 10:00:00 XYZ\nK6,C1,2026-03-01 10:00:00\n"
        },
        "timezone: Europe/Berlin\n",
        {"calls.csv": (6, 5, 1, {"bad_timezone"})},
    ),
    (
        "1 MB quoted field",
        {
            "calls.csv": "call_id,customer_id,started_at,reason\n"
            'K1,C1,2026-03-01 10:00:00,"' + "x" * (1 << 20) + '"\nK2,C1,2026-03-01 10:00:00,r\n'
        },
        None,
        {"calls.csv": (2, 1, 1, {"field_too_long"})},
    ),
    (
        "1 MB date under a date format",
        {
            "orders.csv": ORDERS
            + "O1,1,C1,S,01.11.2026,"
            + "1" * (1 << 20)
            + ",1\nO2,1,C1,S,01.11.2026,20.11.2026,1\n"
        },
        'tables: {orders: {date_format: "%d.%m.%Y"}}\n',
        {"orders.csv": (2, 1, 1, {"field_too_long"})},
    ),
    (
        "empty file is skipped, the rest loads",
        {"calls.csv": b"", "calls_2.csv": CALLS + "K1,C1,2026-03-01\n"},
        None,
        {"calls.csv": "empty file", "calls_2.csv": (1, 1, 0, set())},
    ),
    (
        "UTF-16 named",
        {"calls.csv": (CALLS + "K1,C1,2026-03-01\n").encode("utf-16")},
        None,
        r"UTF-16 encoded, not UTF-8; set encoding: utf-16",
    ),
    (
        "UTF-16 configured",
        {"calls.csv": (CALLS + "K1,C1,2026-03-01\n").encode("utf-16")},
        "tables: {calls: {encoding: utf-16}}\n",
        {"calls.csv": (1, 1, 0, set())},
    ),
    (
        "latin-1 named",
        {"calls.csv": (CALLS + "K1,Café,2026-03-01\n").encode("latin-1")},
        None,
        r"not UTF-8 \(byte 0xe9 on line 2.*set encoding: latin-1",
    ),
    (
        "latin-1 configured",
        {"calls.csv": ("call_id,reason,started_at\nK1,Café,2026-03-01\n").encode("latin-1")},
        "tables: {calls: {encoding: latin-1}}\n",
        {"calls.csv": (1, 1, 0, set())},
    ),
    (
        "mixed line endings",
        {"calls.csv": b"call_id,started_at\r\nK1,2026-03-01\nK2,2026-03-02\r\nK3,2026-03-03\n"},
        None,
        {"calls.csv": (3, 3, 0, set())},
    ),
    (
        "a first line too long",
        {"calls.csv": "a" * (3 << 20) + "\n1\n"},
        None,
        r"first line is longer than 1 MiB",
    ),
    (
        "workbook data on another sheet",
        {
            "surveys.xlsx": _xlsx(
                {"Cover": [["Report"]], "Data": [["response_id", "responded_at", "csat"]]}
            )
        },
        None,
        r"this read sheet 'Cover'.*also has 'Data'.*set sheet:",
    ),
    (
        "formula without saved value",
        {
            "surveys.xlsx": _xlsx(
                {"S": [["response_id", "responded_at", "csat", "x"], ["R1", "2026-03-01", 3]]},
                formula=True,
            )
        },
        None,
        r"formulas whose results were never saved \(cells D2\)",
    ),
    (
        "Excel serial dates: converted in a workbook",
        {
            "surveys.xlsx": _xlsx(
                {"S": [["response_id", "responded_at", "csat"], ["R1", 46082.4375, 3]]}
            )
        },
        None,
        {"surveys.xlsx": (1, 1, 0, set())},
    ),
    (
        "Excel serial dates: refused in a CSV",
        {"calls.csv": CALLS + "K1,C1,46082\n"},
        None,
        {"calls.csv": (1, 0, 1, {"excel_serial_date"})},
    ),
    (
        "header twice by case and spacing",
        {"calls.csv": "call_id,started_at,Reason, reason \nK1,2026-03-01,a,b\n"},
        None,
        r"has 'Reason' and ' reason ', the same column twice",
    ),
    (
        "survey about unknown call, order, customer",
        {
            "customers.csv": CUST,
            "calls.csv": CALLS + "K1,C1,2026-03-01\n",
            "orders.csv": ORDERS
            + "O1,1,C1,S,2026-03-01,2026-03-05,1\nO2,1,C9,S,2026-03-01,2026-03-05,1\n",
            "surveys.csv": SURVEYS
            + "R1,C1,O1,K1,2026-03-02,5\nR2,C1,,K9,2026-03-02,5\nR3,C1,O9,,2026-03-02,5\n"
            "R4,C9,,,2026-03-02,5\n",
        },
        None,
        {
            "orders.csv": (2, 1, 1, {"unknown_reference"}),
            "surveys.csv": (4, 1, 3, {"unknown_reference"}),
        },
    ),
    (
        "unknown references as a warning",
        {"customers.csv": CUST, "surveys.csv": SURVEYS + "R1,C9,,,2026-03-02,5\n"},
        "tables: {surveys: {references: warn}}\n",
        {"surveys.csv": (1, 1, 0, set())},
    ),
]


def _write(tmp: Path, files: dict, sources: str | None) -> tuple[list[Path], Path | None]:
    paths = []
    for name, body in files.items():
        p = tmp / "in" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(body.encode() if isinstance(body, str) else body)
        paths.append(p)
    src = None
    if sources is not None:
        src = tmp / "sources.yaml"
        src.write_text(sources)
    return paths, src


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name,files,sources,expected", CASES, ids=[c[0] for c in CASES])
def test_hostile_file(tmp_path: Path, monkeypatch, name, files, sources, expected) -> None:
    monkeypatch.setenv("NORTHSTAR_TODAY", TODAY)
    paths, src = _write(tmp_path, files, sources)
    db = tmp_path / "wh.duckdb"
    if isinstance(expected, str):
        with pytest.raises(StoreError, match=expected):
            load_paths(db, paths, sources=src, progress=False, max_reject_share=1)
        assert not db.exists() and not list(tmp_path.glob("wh.duckdb.tmp-*"))
        return
    report = load_paths(db, paths, sources=src, progress=False, max_reject_share=1)
    by_name = {Path(f.file).name: f for f in report.files}
    for file, want in expected.items():
        got = by_name[file]
        if isinstance(want, str):
            assert want in (got.note or "") and got.rows_read == 0
            continue
        read, loaded, rejected, rules = want
        assert (got.rows_read, got.rows_loaded, got.rows_rejected) == (read, loaded, rejected)
        assert got.rows_read == got.rows_loaded + got.rows_rejected
        stored = {
            r
            for (r,) in query(
                db, "SELECT DISTINCT rule FROM rejects WHERE file LIKE ?", [f"%/{file}"]
            )
        }
        assert stored == rules


def test_time_zones_land_in_the_business_zone(tmp_path: Path) -> None:
    paths, src = _write(tmp_path, CASES[3][1], CASES[3][2])
    db = tmp_path / "wh.duckdb"
    load_paths(db, paths, sources=src, progress=False, max_reject_share=1)
    got = dict(query(db, "SELECT call_id, strftime(started_at, '%H:%M') FROM calls"))
    assert got == {"K1": "06:00", "K2": "11:00", "K3": "19:00", "K4": "10:00", "K6": "10:00"}


def test_excel_serial_date_is_converted(tmp_path: Path) -> None:
    paths, src = _write(tmp_path, CASES[15][1], None)
    load_paths(tmp_path / "wh.duckdb", paths, progress=False)
    assert query(tmp_path / "wh.duckdb", "SELECT responded_at FROM surveys") == [
        (dt.datetime(2026, 3, 1, 10, 30),)
    ]


def test_warned_references_are_kept_and_listed(tmp_path: Path) -> None:
    paths, src = _write(tmp_path, CASES[19][1], CASES[19][2])
    db = tmp_path / "wh.duckdb"
    report = load_paths(db, paths, sources=src, progress=False)
    assert dict(report.files[-1].warnings) == {"unknown_reference": 1}
    assert query(db, "SELECT rule, value FROM warnings") == [
        ("unknown_reference", "customer_id=C9")
    ]
    r = run_cli("rejects", "--warnings", "--db", db)
    assert r.returncode == 0 and "unknown_reference" in r.stdout


def _orders(path: Path, qty: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ORDERS + f"O1,1,C1,S,2026-11-01,2026-11-25,{qty}\n")
    return path


def test_an_older_extract_never_overwrites_a_newer_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NORTHSTAR_TODAY", "2026-11-21")
    db = tmp_path / "wh.duckdb"
    new = _orders(tmp_path / "orders_2026-11-20.csv", "5")
    old = _orders(tmp_path / "orders_2026-11-01.csv", "3")
    load_paths(db, [new], progress=False, max_reject_share=1)
    report = load_paths(db, [old], progress=False, max_reject_share=1)
    assert (report.files[0].rows_loaded, report.files[0].rows_rejected) == (0, 1)
    assert query(db, "SELECT rule FROM rejects") == [("superseded",)]
    assert query(db, "SELECT qty_ordered FROM orders") == [(5.0,)]
    again = load_paths(db, [new], progress=False, max_reject_share=1)
    assert again.files[0].skipped


def test_two_extracts_in_one_load_newest_wins_and_is_reported(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NORTHSTAR_TODAY", "2026-11-21")
    db = tmp_path / "wh.duckdb"
    new = _orders(tmp_path / "a" / "orders_2026-11-20.csv", "5")  # 'a' sorts first by path
    old = _orders(tmp_path / "b" / "orders_2026-11-01.csv", "3")
    report = load_paths(db, [new, old], progress=False)
    assert query(db, "SELECT qty_ordered FROM orders") == [(5.0,)]
    assert [f.replaced for f in report.files] == [0, 1]


def test_a_stale_wal_is_told_plainly_and_cleared_by_a_load(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "wh.duckdb"
    calls = tmp_path / "calls.csv"
    calls.write_text(CALLS + "K1,C1,2026-03-01\n")
    load_paths(db, [calls], progress=False)
    other = tmp_path / "other.duckdb"  # a log that belongs to another file
    code = (
        f"import duckdb,os; c=duckdb.connect({str(other)!r}); c.execute('SET checkpoint_threshold=\"1TB\"');"
        "c.execute('create table t(a int)'); c.execute('insert into t values (1)'); os._exit(9)"
    )
    subprocess.run(["python", "-c", code], check=False)
    os.replace(tmp_path / "other.duckdb.wal", tmp_path / "wh.duckdb.wal")
    with pytest.raises(StoreError, match="write-ahead log wh.duckdb.wal .* intact"):
        Warehouse(db).tables()
    r = run_cli("load", "--db", db, calls)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "stale write-ahead log" in r.stdout
    assert not (tmp_path / "wh.duckdb.wal").exists()
    assert duckdb.connect(str(db), read_only=True).execute(
        "SELECT count(*) FROM calls"
    ).fetchall() == [(1,)]


def test_db_in_a_missing_folder_is_told_plainly(tmp_path: Path) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text(CALLS + "K1,C1,2026-03-01\n")
    r = run_cli("load", "--db", tmp_path / "nope" / "wh.duckdb", calls)
    assert r.returncode == 1 and "folder" in r.stderr and "does not exist" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "nope").exists()


def _mount(args: list[str]) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def test_db_on_a_read_only_file_system_is_told_plainly(tmp_path: Path) -> None:
    src, ro = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    ro.mkdir()
    if not _mount(["--bind", str(src), str(ro)]):
        pytest.skip("cannot bind-mount here (needs root and mount rights)")
    try:
        if not _mount(["-o", "remount,bind,ro", str(ro)]):
            pytest.skip("cannot remount read-only here")
        calls = tmp_path / "calls.csv"
        calls.write_text(CALLS + "K1,C1,2026-03-01\n")
        r = run_cli("load", "--db", ro / "wh.duckdb", calls)
        assert r.returncode == 1 and "read-only" in r.stderr and "Traceback" not in r.stderr, (
            r.stderr
        )
        assert list(src.iterdir()) == []
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)


def test_disk_full_during_the_copy_is_told_plainly_and_leaves_no_litter(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount(["-t", "tmpfs", "-o", "size=12m", "tmpfs", str(disk)]):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount rights)")
    try:
        db = disk / "wh.duckdb"
        calls = tmp_path / "calls.csv"
        calls.write_text(CALLS + "".join(f"K{i},C1,2026-03-01 10:00:00\n" for i in range(20000)))
        load_paths(db, [calls], progress=False)
        (disk / "filler").write_bytes(b"\0" * (12 * 1024 * 1024 - db.stat().st_size - 200_000))
        calls2 = tmp_path / "calls_2.csv"
        calls2.write_text(CALLS + "X1,C1,2026-03-02\n")
        before = db.read_bytes()
        r = run_cli("load", "--db", db, calls2)
        assert r.returncode == 1 and "disk is full" in r.stderr and "Traceback" not in r.stderr, (
            r.stderr
        )
        assert db.read_bytes() == before
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "wh.duckdb", "wh.duckdb.lock"]
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_a_file_over_its_time_limit_is_stopped_plainly(tmp_path: Path) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text(CALLS + "".join(f"K{i},C1,2026-03-01 10:00:00\n" for i in range(300_000)))
    src = tmp_path / "sources.yaml"
    src.write_text("file_time_limit: 0.01\n")
    with pytest.raises(StoreError, match=r"stopped after 0.01 s, the time limit for one file"):
        load_paths(tmp_path / "wh.duckdb", [calls], sources=src, progress=False)
    assert not (tmp_path / "wh.duckdb").exists()


def test_sources_yaml_key_given_twice_is_an_error_with_both_lines(tmp_path: Path) -> None:
    src = tmp_path / "sources.yaml"
    src.write_text("tables:\n  calls:\n    files: [a.csv]\n    files: [b.csv]\n")
    assert check_sources(src) == [
        f"{src}:4: tables.calls.files: key given twice (first on line 3); keep one"
    ]
    r = run_cli("check", "--sources", src)
    assert r.returncode == 1 and "key given twice (first on line 3)" in r.stdout + r.stderr


def test_load_on_a_log_prints_one_plain_line_per_file(tmp_path: Path) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text(CALLS + "K1,C1,2026-03-01\n")
    r = run_cli("load", "--db", tmp_path / "wh.duckdb", calls)
    assert r.returncode == 0, r.stderr
    assert "file 1/1 calls: calls.csv: 1 rows read" in r.stderr and "\r" not in r.stderr
