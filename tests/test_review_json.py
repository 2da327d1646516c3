"""`northstar review --format json` (cli.md, "The review as data"): the review the page, the
wall and the pack show, as one object; its numbers equal the metric core's, and the pack read
back with pdftotext says the same."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import pytest

from metrics.catalog import load_catalog
from metrics.details import run_details
from metrics.funnel import promise_funnel
from metrics.periods import period_end
from metrics.sqlgen import Query
from present import format as fmt
from tests.cli_support import run_cli
from tests.metric_support import CONFIG, engine

KEYS = {
    "period", "as_of", "stale_days", "metric", "value", "n", "target", "target_basis", "status",
    "signal", "causes", "settled_top", "customers_at_risk", "promises_at_risk", "alerts", "actions",
}  # fmt: skip
STATUSES = {"on_target", "near_target", "off_target", "small_sample", None}


def review(db, *args: str) -> dict:
    r = run_cli("review", "--format", "json", "--db", db, *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def data(demo_db):
    return review(demo_db)


def test_the_review_has_every_key_of_the_contract(data):
    assert KEYS <= set(data) and data["metric"] == "otif"
    assert data["status"] in STATUSES
    assert set(data["signal"]) >= {"verdict", "centre", "limits", "shifts", "periods"}
    assert data["signal"]["verdict"] in ("stable", "shift", "outside_limits", "too_few_periods")
    for s in data["signal"]["shifts"]:
        assert set(s) == {"from", "direction", "before", "after", "rule"}
        dt.date.fromisoformat(s["from"])
    froms = [s["from"] for s in data["signal"]["shifts"]]
    assert froms == sorted(froms, reverse=True)  # newest first
    assert data["signal"]["periods"][-1]["period"] == data["period"]


def test_its_numbers_are_the_metric_cores(demo_db, data):
    catalog = load_catalog(CONFIG)
    start, as_of = dt.date.fromisoformat(data["period"]), dt.date.fromisoformat(data["as_of"])
    q = Query(("otif",), date_from=start, date_to=min(period_end(start, "week"), as_of))
    head = run_details(engine(demo_db), catalog, q.replace(as_of=as_of)).row(0, named=True)
    assert (data["value"], data["n"], data["target"]) == (head["value"], head["n"], head["target"])
    assert (
        data["target_basis"] == head["target_note"] and "weighted by volume" in head["target_note"]
    )
    assert (
        data["status"]
        == {"green": "on_target", "amber": "near_target", "red": "off_target"}[head["status"]]
    )
    funnel = promise_funnel(engine(demo_db), catalog, q.replace(metrics=("measured_orders",)))
    counts = {
        r["reason"]: (r["orders"], r["open"])
        for r in funnel.iter_rows(named=True)
        if r["reason"] and r["orders"]
    }
    assert {c["reason"]: (c["orders"], c["open"]) for c in data["causes"]} == counts
    settled = {r: o - k for r, (o, k) in counts.items()}
    assert settled[data["settled_top"]] == max(settled.values()) > 0
    # lines that can no longer make it come first
    flags = [p["cannot_make_it"] for p in data["promises_at_risk"]]
    assert flags == sorted(flags, reverse=True) and any(flags)
    owners = {"past_plan": "Site (warehouse)", "plan_too_late": "Supply planning"}
    assert all(p["owner"] == owners[p["why"]] for p in data["promises_at_risk"])


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_the_pack_says_what_the_json_says(demo_db, data, tmp_path):
    pdf = tmp_path / "pack.pdf"
    done = run_cli("review", "--pdf", str(pdf), "--db", demo_db)
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert f"{fmt.value(data['value'], 'percent')} against a target of" in flat
    labels = {r.name: r.label for r in load_catalog(CONFIG).miss_reasons}
    assert f"Leading settled cause: {labels[data['settled_top']].lower()}" in flat
    assert f"{len(data['promises_at_risk']):,} lines" in flat


def test_a_reader_who_may_not_see_money_gets_none(demo_db):
    lead = review(demo_db, "--as", "contact.lead@northstar.example")
    assert all(p["value"] is None for p in lead["promises_at_risk"])
    assert all(c["revenue_at_risk"] is None for c in lead["customers_at_risk"])


def test_a_manager_gets_their_rows_only(demo_db, data):
    pm = review(demo_db, "--as", "helena.brandt@northstar.example")
    assert {c["portfolio"] for c in pm["customers_at_risk"]} <= {"Key Accounts"}
    assert len(pm["promises_at_risk"]) < len(data["promises_at_risk"])


def test_misuse_is_told_plainly(demo_db):
    bad = run_cli("review", "--format", "json", "--period", "2026-46", "--db", demo_db)
    assert bad.returncode == 1 and "not an ISO week" in bad.stderr and "Traceback" not in bad.stderr
    nothing = run_cli("review", "--db", demo_db)
    assert nothing.returncode == 2 and "--format json" in nothing.stderr
