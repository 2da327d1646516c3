"""Reading real exports: encoding, skip_rows, header_rows, skip_footer, blank and title lines,
.txt/.tsv, null_values, delimiter, and the where: counts (read = loaded + rejected + filtered).

Each test writes a tiny file in tmp_path and loads it in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.load import load_paths
from store.errors import StoreError
from tests.conftest import query

CALLS = "call_id;started_at;wait_sec;reason\n"


def _load(tmp_path: Path, name: str, body: bytes, mapping: str = "") -> Path:
    folder = tmp_path / "in"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(body)
    yaml = tmp_path / "sources.yaml"
    yaml.write_text("max_reject_share: 1\ntables:\n" + (mapping or "  {}\n"))
    db = tmp_path / "wh.duckdb"
    load_paths(db, [folder / name], sources=yaml, progress=False)
    return db


def _calls(db: Path) -> list[tuple]:
    return query(db, "SELECT call_id, wait_sec, reason FROM calls ORDER BY 1")


WINDOWS_1252 = (CALLS + "C1;2026-03-02 10:00:00;5;Réclamation €\n").encode("cp1252")


@pytest.mark.parametrize("codec, reason", [("cp1252", "Réclamation €"), ("windows-1252", None)])
def test_windows_1252_loads_with_its_codec(tmp_path: Path, codec: str, reason: str | None) -> None:
    mapping = f'  calls:\n    files: ["in/*.csv"]\n    encoding: {codec}\n'
    db = _load(tmp_path, "calls.csv", WINDOWS_1252, mapping)
    assert _calls(db) == [("C1", 5.0, "Réclamation €")]


def test_following_the_latin_1_advice_loads(tmp_path: Path) -> None:
    """The old advice (encoding: latin-1) ended in a raw reader error on Windows-1252 bytes."""
    with pytest.raises(StoreError) as err:
        _load(tmp_path, "calls.csv", WINDOWS_1252)
    msg = str(err.value)
    assert "not UTF-8 (byte 0xe9 on line 2)" in msg and "set encoding: cp1252" in msg
    mapping = '  calls:\n    files: ["in/*.csv"]\n    encoding: latin-1\n'
    db = _load(tmp_path, "calls.csv", WINDOWS_1252, mapping)
    assert _calls(db) == [("C1", 5.0, "Réclamation \x80")]


def test_encoding_error_names_byte_line_and_a_codec_that_reads_it(tmp_path: Path) -> None:
    body = (CALLS + "C1;2026-03-02 10:00:00;5;ok\n").encode() + b"C2;2026-03-02;5;\x81\x8d\n"
    mapping = '  calls:\n    files: ["in/*.csv"]\n    encoding: cp1252\n'
    with pytest.raises(StoreError, match=r"not cp1252 \(byte 0x81 on line 3\); latin-1 reads it"):
        _load(tmp_path, "calls.csv", body, mapping)


def test_an_unknown_encoding_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"tables.calls.encoding: unknown encoding 'cp9999'"):
        _load(tmp_path, "calls.csv", b"x", "  calls:\n    encoding: cp9999\n")


SAP = (
    "Sales documents list\n"
    "\n"
    "call_id;started_at;wait_sec;reason\n"
    "C1;2026-03-02 10:00:00;5;a\n"
    "C2;2026-03-02 10:00:00;x;b\n"
    "C3;2026-03-02 10:00:00;7;#\n"
    "Total;;12;\n"
)


def test_skip_rows_and_skip_footer_count_physical_lines(tmp_path: Path) -> None:
    mapping = (
        '  calls:\n    files: ["in/*.txt"]\n    skip_rows: 2\n    skip_footer: 1\n'
        '    null_values: ["#"]\n'
    )
    db = _load(tmp_path, "calls.txt", SAP.encode(), mapping)
    assert _calls(db) == [("C1", 5.0, "a"), ("C3", 7.0, None)]
    # the row number is the file's line (title, blank and header above it)
    assert query(db, 'SELECT "row", rule, value FROM rejects') == [(5, "bad_number", "x")]
    assert query(db, "SELECT rows_read, rows_loaded, rows_rejected FROM loads") == [(3, 2, 1)]


def test_a_title_line_says_where_the_header_looks_to_be(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as err:
        _load(tmp_path, "calls.txt", SAP.encode(), '  calls:\n    files: ["in/*.txt"]\n')
    msg = str(err.value)
    assert "line 1 ('Sales documents list') looks like a title" in msg
    assert "the header looks like line 3: set skip_rows: 2" in msg
    assert "map them" not in msg  # no mapping suggested for columns that exist


def test_a_title_line_with_empty_cells_is_recognised(tmp_path: Path) -> None:
    body = "Sales documents;;;\n" + SAP.split("\n", 1)[1]
    with pytest.raises(StoreError, match="the header looks like line 3: set skip_rows: 2"):
        _load(tmp_path, "calls.txt", body.encode(), '  calls:\n    files: ["in/*.txt"]\n')


def test_a_blank_first_line_is_skipped(tmp_path: Path) -> None:
    """Old code: a Python traceback (StopIteration)."""
    db = _load(
        tmp_path, "calls.csv", ("\n" + CALLS + "C1;2026-03-02 10:00:00;5;a\nC2;x;1;b\n").encode()
    )
    assert _calls(db) == [("C1", 5.0, "a")]
    assert query(db, 'SELECT "row", rule FROM rejects') == [(4, "bad_timestamp")]


def test_a_file_of_blank_lines_is_an_empty_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "calls.csv").write_text("\n\n\n")
    report = load_paths(tmp_path / "wh.duckdb", [folder], progress=False)
    assert report.files[0].note and "empty" in report.files[0].note


def test_header_rows_skip_the_records_under_the_header(tmp_path: Path) -> None:
    body = (
        'call_id,started_at,wait_sec,reason\n"Call ID","Start\n(UTC)",Wait,Reason\n'
        '{"ImportId":"x"},{},{},{}\nC1,2026-03-02 10:00:00,5,a\n'
    )
    db = _load(
        tmp_path,
        "calls.csv",
        body.encode(),
        '  calls:\n    files: ["in/*.csv"]\n    header_rows: 3\n',
    )
    assert _calls(db) == [("C1", 5.0, "a")]


def test_tsv_and_an_explicit_delimiter_and_quote(tmp_path: Path) -> None:
    db = _load(tmp_path, "calls.tsv", b"call_id\tstarted_at\twait_sec\nC1\t2026-03-02\t5\n")
    assert query(db, "SELECT call_id, wait_sec FROM calls") == [("C1", 5.0)]
    body = b"call_id|started_at|reason\nC1|2026-03-02|'a|b'\n"
    mapping = '  calls:\n    files: ["in/*.txt"]\n    delimiter: "|"\n    quote: "\'"\n'
    db = _load(tmp_path / "b", "calls.txt", body, mapping)
    assert query(db, "SELECT call_id, reason FROM calls") == [("C1", "a|b")]


def test_where_rows_are_counted_as_filtered_in_the_report(tmp_path: Path) -> None:
    body = CALLS + "C1;2026-03-02 10:00:00;5;a\nC2;2026-03-02 10:00:00;5;test\nC3;x;5;a\n"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "calls.csv").write_text(body)
    yaml = tmp_path / "sources.yaml"
    yaml.write_text(
        "max_reject_share: 1\ntables:\n  calls:\n    - name: genesys\n"
        '      files: ["in/*.csv"]\n      where: "reason <> \'test\'"\n'
    )
    report = load_paths(tmp_path / "wh.duckdb", [folder], sources=yaml, progress=False)
    (f,) = report.files
    assert (f.source, f.rows_read, f.rows_loaded, f.rows_rejected, f.rows_filtered) == (
        "genesys", 3, 1, 1, 1,
    )  # fmt: skip
    assert f.rows_read == f.rows_loaded + f.rows_rejected + f.filtered


def test_an_old_loads_log_gains_the_new_columns(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        'CREATE TABLE loads (file VARCHAR, "table" VARCHAR, sha256 VARCHAR, rows_read BIGINT, '
        "rows_loaded BIGINT, rows_rejected BIGINT, loaded_at TIMESTAMP, file_mtime TIMESTAMP)"
    )
    con.close()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "calls.csv").write_text(CALLS + "C1;2026-03-02 10:00:00;5;a\n")
    load_paths(db, [folder], progress=False)
    assert query(db, "SELECT rows_read, rows_filtered, source FROM loads") == [(1, 0, "calls")]


def test_the_data_page_log_reads_old_and_new_warehouses(tmp_path: Path) -> None:
    import duckdb

    from store import health
    from store.warehouse import DuckDBEngine

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE loads AS SELECT 'a.csv' AS file, 'calls' AS \"table\", 'x' AS sha256, "
        "3 AS rows_read, 2 AS rows_loaded, 1 AS rows_rejected, now()::TIMESTAMP AS loaded_at, "
        "now()::TIMESTAMP AS file_mtime"
    )
    old = health.load_log(DuckDBEngine(con.cursor()))
    assert old.select("source", "rows_read", "rows_filtered").rows() == [("calls", 3, 0)]
    con.execute("ALTER TABLE loads ADD COLUMN rows_filtered BIGINT DEFAULT 4")
    con.execute("ALTER TABLE loads ADD COLUMN source VARCHAR DEFAULT 'genesys'")
    new = health.load_log(DuckDBEngine(con.cursor()))
    assert new.select("source", "rows_filtered").rows() == [("genesys", 4)]


def test_workbook_skip_rows_footer_and_title_row(tmp_path: Path) -> None:
    import xlsxwriter

    folder = tmp_path / "in"
    folder.mkdir()
    book = xlsxwriter.Workbook(folder / "calls.xlsx")
    sheet = book.add_worksheet("Data")
    sheet.write(0, 0, "Contact report March")
    sheet.write_row(2, 0, ["call_id", "started_at", "wait_sec"])
    sheet.write_row(3, 0, ["C1", "2026-03-02 10:00:00", 5])
    sheet.write_row(4, 0, ["C2", "2026-03-02 10:00:00", "x"])
    sheet.write_row(5, 0, ["Total", None, 5])
    book.close()
    yaml = tmp_path / "sources.yaml"
    yaml.write_text('max_reject_share: 1\ntables:\n  calls:\n    files: ["in/*.xlsx"]\n')
    with pytest.raises(StoreError, match="the header looks like row 3: set skip_rows: 2"):
        load_paths(tmp_path / "wh.duckdb", [folder], sources=yaml, progress=False)
    yaml.write_text(
        'max_reject_share: 1\ntables:\n  calls:\n    files: ["in/*.xlsx"]\n'
        "    skip_rows: 2\n    skip_footer: 1\n"
    )
    db = tmp_path / "wh.duckdb"
    load_paths(db, [folder], sources=yaml, progress=False)
    assert query(db, "SELECT call_id, wait_sec FROM calls") == [("C1", 5.0)]
    assert query(db, 'SELECT "row", rule FROM rejects') == [(5, "bad_number")]


def test_exclude_globs_skip_files_of_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "calls.csv").write_text(CALLS + "C1;2026-03-02 10:00:00;5;a\n")
    (folder / "calls_backup.csv").write_text("garbage\n")
    (folder / "notes.txt").write_text("not an extract\n")  # .txt in a folder: only when mapped
    yaml = tmp_path / "sources.yaml"
    yaml.write_text('exclude: ["*_backup.csv"]\ntables: {}\n')
    report = load_paths(tmp_path / "wh.duckdb", [folder], sources=yaml, progress=False)
    assert [Path(f.file).name for f in report.files] == ["calls.csv"]


def test_utf_16_with_its_encoding(tmp_path: Path) -> None:
    body = (CALLS + "C1;2026-03-02 10:00:00;5;Grüße\n").encode("utf-16")
    with pytest.raises(StoreError, match="UTF-16 encoded"):
        _load(tmp_path, "calls.csv", body)
    db = _load(
        tmp_path, "calls.csv", body, '  calls:\n    files: ["in/*.csv"]\n    encoding: utf-16\n'
    )
    assert _calls(db) == [("C1", 5.0, "Grüße")]
