"""No CSV the command line writes can run as a spreadsheet formula (OWASP's CSV injection advice):
extracts full of formulas are loaded with `northstar load`, then `query`, `rows` and `rejects`
print CSV, and every text cell starting with = + - @ tab or CR arrives with a leading single
quote. Numbers stay numbers: NPS -100 in a numeric column is a value, the text "-5" is quoted.
(The Explore downloads are checked in the browser: test_browser_injection.py.)"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from present.csv_safe import FORMULA_START
from tests.conftest import run_cli
from tests.hostile_extracts import CALC, HYPERLINK, write_hostile_extracts


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "wh.duckdb"
    loaded = run_cli("load", write_hostile_extracts(folder / "extracts"), "--db", db)
    assert loaded.returncode == 0, loaded.stderr
    return db


def csv_of(db: Path, *args: str) -> list[dict[str, str]]:
    """The command's CSV output, parsed; no cell of it may start like a formula."""
    out = run_cli(*args, "--db", str(db), "--format", "csv")
    assert out.returncode == 0, out.stderr
    # bytes: decoded as text, a carriage return would turn into a newline
    rows = list(csv.reader(io.StringIO(out.stdout_bytes.decode(), newline="")))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START) or is_number(cell), (args, cell)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def column(rows: list[dict[str, str]], name: str) -> set[str]:
    return {r[name] for r in rows}


def test_rows_quote_survey_comments_that_look_like_formulas(hostile_db):
    rows = csv_of(hostile_db, "rows", "--metric", "csat", "--limit", "500")
    comments = column(rows, "comment")
    for risky in (CALC, "@SUM(1)", "-5", "\t=1+2", "\r=1+2"):
        assert "'" + risky in comments
    assert {"1", "5"} <= column(rows, "csat")  # numbers as numbers


def test_query_quotes_dimension_values_and_keeps_negative_numbers(hostile_db):
    rows = csv_of(hostile_db, "query", "--metric", "nps", "--by", "portfolio,portfolio_manager")
    assert {"'@SUM(1)"} <= column(rows, "portfolio")
    assert "'+ann" in column(rows, "portfolio_manager")
    assert "-100.0" in column(rows, "nps")  # a negative number is a value, not a formula
    rows = csv_of(hostile_db, "query", "--metric", "aht_sec", "--by", "queue,agent_id,reason")
    assert ("'@queue", "'-A1", "'=1+1") in {(r["queue"], r["agent_id"], r["reason"]) for r in rows}
    rows = csv_of(hostile_db, "query", "--metric", "otif_line", "--by", "site,carrier,segment")
    assert ("'=site", "'@carrier", "'-mid") in {
        (r["site"], r["carrier"], r["segment"]) for r in rows
    }


def test_rejects_quote_the_offending_values(hostile_db):
    rows = csv_of(hostile_db, "rejects")
    assert "'=1+2" in column(rows, "value")
    assert {"86"} == column(rows, "row")  # the row number stays a number


def test_customer_names_are_quoted_in_any_csv_frame():
    """The Explore records export adds customer names: the same neutraliser, on a frame."""
    import polars as pl

    from present.csv_safe import frame_csv

    frame = pl.DataFrame({"customer_name": [HYPERLINK, "Plain Co"], "nps": [-100.0, 20.0]})
    back = list(csv.reader(io.StringIO(frame_csv(frame))))
    assert back[1:] == [["'" + HYPERLINK, "-100.0"], ["Plain Co", "20.0"]]


def test_frames_quoted_together_equal_frames_quoted_alone():
    """Alert attachments quote many frames in one pass: each as if quoted alone."""
    import polars as pl

    from present.csv_safe import frame_csv, frames_csv

    alike = [
        pl.DataFrame({"comment": [HYPERLINK, "fine"], "nps": [-100, 20]}),
        pl.DataFrame({"comment": ["plain", CALC, "-5"], "nps": [0, -3, 10]}),
        pl.DataFrame({"comment": [], "nps": []}, schema={"comment": pl.String, "nps": pl.Int64}),
        pl.DataFrame({"comment": ["=1+1"], "nps": [5]}),
    ]
    unlike = [*alike, pl.DataFrame({"other": ["@x"]})]
    for frames in (alike, unlike, []):
        assert frames_csv(frames) == [frame_csv(f) for f in frames]
    assert "'=1+1" in frames_csv(alike)[3]
