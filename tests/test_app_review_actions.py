"""The action log and promises at risk on the pages (AppTest, sample warehouse): a decision
is drawn on the OTIF trend, listed with its status, added from the form; the worklist page
lists the lines at risk with the same numbers as the engine and offers them as CSV."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from metrics.catalog import load_catalog
from metrics.promises import promises_at_risk
from metrics.sqlgen import Query
from state.action_log import add_action, list_actions
from state.store import StateStore
from store.warehouse import Warehouse
from tests.app_support import open_page, open_sections
from tests.conftest import copy_warehouse

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")


@pytest.fixture(scope="module")
def demo_db(demo_build, tmp_path_factory) -> Path:
    return copy_warehouse(demo_build, tmp_path_factory.mktemp("wh"))


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NORTHSTAR_CONFIG", raising=False)
    monkeypatch.delenv("NORTHSTAR_STATE", raising=False)
    yield


def run(page: str | None, db: Path) -> AppTest:
    os.environ["NORTHSTAR_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=90)
    return open_page(at, page) if page else open_sections(at).run()


def test_action_is_marked_on_the_trend_and_listed(demo_db, monkeypatch):
    monkeypatch.setenv("NORTHSTAR_TODAY", "2026-11-16")
    store = StateStore.beside(demo_db)
    a = add_action(
        store,
        what="Second shift at DC-East",
        owner="Site manager",
        due=dt.date(2026, 11, 1),
        metric="otif",
        decided=dt.date(2026, 10, 14),
    )
    at = run(None, demo_db)
    assert not at.exception
    charts = at.get("vega_lite_chart")
    trend = next(c for c in charts if '"action"' in c.proto.spec)  # the OTIF trend
    spec = json.loads(trend.proto.spec)

    def flat(layers):  # a layer may hold layers of its own (the target's label)
        return [m for x in layers for m in (flat(x["layer"]) if "layer" in x else [x["mark"]])]

    marks = flat(spec["layer"])
    assert {"type": "rule", "color": "black", "strokeDash": [2, 3]} in marks
    assert any(m.get("text") == "◆" for m in marks)
    table = pa.ipc.open_stream(trend.proto.datasets[0].data.data).read_all().to_pylist()
    marked = [r for r in table if r.get("action")]
    assert len(marked) == 1 and marked[0]["action"] == a.label()
    assert marked[0]["period"] == dt.date(2026, 10, 12)  # the week holding 14 Oct
    log = next(df.value for df in at.dataframe if "what" in df.value.columns)
    row = log[log["id"] == a.id].iloc[0]
    assert row["what"] == "Second shift at DC-East" and "OVERDUE" in row["status"]


def test_action_added_from_the_form(demo_db):
    at = run(None, demo_db)
    before = len(list_actions(StateStore.beside(demo_db)))
    at.text_input[0].set_value("Expedite short-shipped lines")
    at.text_input[1].set_value("Supply planning")
    next(b for b in at.button if b.label == "Add to the log").click().run()
    assert not at.exception
    after = list_actions(StateStore.beside(demo_db))
    assert len(after) == before + 1 and after[-1].owner == "Supply planning"
    # a blank owner is refused with a message, nothing recorded
    at.text_input[0].set_value("Something")
    next(b for b in at.button if b.label == "Add to the log").click().run()
    assert len(list_actions(StateStore.beside(demo_db))) == before + 1
    assert any("owner" in e.value for e in at.error)


def test_at_risk_worklist_matches_the_engine(demo_db):
    cur = Warehouse(demo_db).engine()
    expected = promises_at_risk(cur, load_catalog(ROOT / "config" / "metrics.yaml"), Query(()))
    at = run("pages/at_risk.py", demo_db)
    assert not at.exception
    counts, lines = at.dataframe[0].value, at.dataframe[1].value
    assert counts["lines"].sum() == expected.height
    assert len(lines) == expected.height
    shown = expected["order_id"] + " / " + expected["line_id"].cast(str)
    assert sorted(lines["order"]) == sorted(shown.to_list())  # order and line, one column
    assert any(b.label == "Lines as CSV" for b in at.get("download_button"))
