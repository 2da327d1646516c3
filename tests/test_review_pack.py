"""The weekly review pack and the action log from the command line, on the bundled sample:
the PDF carries the same OTIF, target and causes as `northstar query`, a bad period gets a
plain message, and the action log survives a fresh `northstar demo`."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import pytest

from metrics.catalog import load_catalog
from metrics.details import run_details
from metrics.sqlgen import Query
from present import format as fmt
from tests.cli_support import run_cli
from tests.metric_support import CONFIG, engine

WEEK, MONDAY, SUNDAY = "2026-W45", dt.date(2026, 11, 2), dt.date(2026, 11, 8)

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")


def northstar(*args: str, db):
    return run_cli(*args, env={"NORTHSTAR_DB": str(db), "NORTHSTAR_STATE": None})


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "northstar.duckdb"
    r = northstar("demo", db=path)
    assert r.returncode == 0, r.stderr
    return path


def _pdf_text(path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    )
    return out.stdout


def test_pack_carries_the_numbers_of_query(db, tmp_path):
    pdf, page = tmp_path / "review.pdf", tmp_path / "review.html"
    r = northstar("review", "--period", WEEK, "--pdf", str(pdf), "--html", str(page), db=db)
    assert r.returncode == 0, r.stderr
    assert "Week 45" in r.stdout
    text = _pdf_text(pdf)
    span = ["--from", MONDAY.isoformat(), "--to", SUNDAY.isoformat(), "--format", "json"]
    q = northstar("query", "--metric", "otif", "--grain", "week", *span, db=db)
    otif = json.loads(q.stdout)[0]["otif"]
    # the target as the page derives it (the CLI prints values only)
    catalog = load_catalog(CONFIG)
    head = run_details(engine(db), catalog, Query(("otif",), date_from=MONDAY, date_to=SUNDAY)).row(
        0, named=True
    )
    assert head["value"] == pytest.approx(otif)
    headline = (
        f"OTIF (orders): {fmt.value(otif, 'percent')} against a target of "
        f"{fmt.value(head['target'], 'percent')}"
    )
    assert headline in text
    causes = northstar("query", "--metric", "measured_orders", "--by", "miss_reason", *span, db=db)
    counts = {r["miss_reason"]: r["measured_orders"] for r in json.loads(causes.stdout)}
    top = max((k for k in counts if k), key=counts.get)
    label = {r.name: r.label for r in catalog.miss_reasons}[top]
    section = text[text.index("Where promises broke") :]
    lines = section.splitlines()
    header = next(i for i, x in enumerate(lines) if x.split()[:2] == ["Cause", "Owner"])
    first_row = lines[header + 1]  # the biggest cause
    assert "Leading settled cause" in section or "No miss has settled yet" in section
    assert first_row.split()[: len(label.split())] == label.split()
    assert f" {counts[top]} " in first_row
    assert "Promises at risk" in text and "Old KPIs vs North Star" in text
    assert "Portfolio scoreboard" in text and "This week's alerts" in text
    assert page.read_text().startswith("<!doctype html>")


@pytest.mark.parametrize("period", ["2026-W99", "last week", "2026-11-02"])
def test_bad_period_is_a_plain_message(db, tmp_path, period):
    pdf = tmp_path / "review.pdf"
    r = northstar("review", "--period", period, "--pdf", str(pdf), db=db)
    assert r.returncode == 1
    assert r.stderr.startswith(f"error: --period '{period}' is not an ISO week; write it like")
    assert "Traceback" not in r.stderr
    assert not pdf.exists()


def test_review_needs_an_output(db):
    r = northstar("review", db=db)
    assert r.returncode == 2 and "--pdf PATH" in r.stderr


def test_action_log_survives_a_reload_and_is_in_the_pack(db, tmp_path):
    add = northstar(
        "actions", "add", "--what", "Second shift at DC-East", "--owner", "Site manager",
        "--due", "2026-11-01", "--decided", "2026-10-06", db=db,
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    action_id = add.stdout.split("#")[1].split(":")[0]
    bad = northstar("actions", "add", "--what", "x", "--owner", "y", "--due", "soon", db=db)
    assert bad.returncode == 1 and "bad date for --due" in bad.stderr
    assert northstar("demo", db=db).returncode == 0  # a fresh warehouse
    listed = json.loads(northstar("actions", "--format", "json", db=db).stdout)
    mine = next(a for a in listed if str(a["id"]) == action_id)
    assert (mine["what"], mine["status"], mine["metric"]) == (
        "Second shift at DC-East",
        "overdue",
        "otif",
    )
    pdf = tmp_path / "review.pdf"
    assert northstar("review", "--period", WEEK, "--pdf", str(pdf), db=db).returncode == 0
    log = _pdf_text(pdf)
    log = log[log.index("Action log") :]
    assert "Second shift at DC-East" in log and "OVERDUE" in log
    assert "before" in log and "after" in log  # 4 weeks on each side of 6 Oct are complete
    done = northstar("actions", "done", action_id, db=db)
    assert done.returncode == 0, done.stderr
    again = json.loads(northstar("actions", "--format", "json", db=db).stdout)
    assert next(a for a in again if str(a["id"]) == action_id)["status"] == "done"
    missing = northstar("actions", "done", "999", db=db)
    assert missing.returncode == 1 and "no action 999" in missing.stderr
