"""The as-of date is never later than today: a stray future date in the warehouse (a call
stamped 9999-12-31) neither becomes the as-of nor breaks a query or a page."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from metrics.catalog import load_catalog
from metrics.details import run_details
from metrics.query import default_as_of, run_query
from metrics.sqlgen import Query
from tests.app_support import open_page
from tests.metric_support import CONFIG, build_fixture_warehouse, engine
from tests.test_freshness import PAGES

CATALOG = load_catalog(CONFIG)
ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 3, 20)  # the fixture's latest real date is a call on 16 Mar 2026


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """The metric fixture plus a call dated 9999-12-31, written straight into the warehouse
    (the loader would reject it as implausible)."""
    path = build_fixture_warehouse(tmp_path_factory.mktemp("future"))
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO calls (call_id, customer_id, queue, agent_id, started_at, abandoned)"
        " VALUES ('K99', 'C1', 'orders', 'A1', TIMESTAMP '9999-12-31 23:00:00', false)"
    )
    con.close()
    return path


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("NORTHSTAR_TODAY", TODAY.isoformat())


def test_a_future_date_does_not_become_the_as_of(db):
    assert default_as_of(engine(db)) == dt.date(2026, 3, 16)
    assert default_as_of(engine(db), dt.date(2026, 3, 15)) == dt.date(2026, 3, 15)  # a past today
    assert default_as_of(engine(db), dt.date(2020, 1, 1)) == dt.date(2020, 1, 1)  # all in future


def test_queries_ignore_what_is_dated_after_as_of(db):
    total = run_query(engine(db), CATALOG, Query(metrics=("contacts",))).values()
    assert total["contacts"].to_list() == [9]  # K1-K9, not K99
    weekly = run_details(engine(db), CATALOG, Query(metrics=("contacts", "aht_sec"), grain="week"))
    assert weekly["period"].max() == dt.date(2026, 3, 16)
    years = run_query(engine(db), CATALOG, Query(metrics=("contacts",), grain="year", as_of=None))
    assert years.values()["period"].to_list() == [dt.date(2026, 1, 1)]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_a_future_date_in_the_warehouse(page, db, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NORTHSTAR_DB", str(shutil.copy(db, tmp_path / "wh.duckdb")))
    monkeypatch.delenv("NORTHSTAR_CONFIG", raising=False)
    at = open_page(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60), page)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    shown = "\n".join(str(c.value) for c in at.caption)
    assert "9999" not in shown
    if page != "pages/customer.py":
        assert "Mon 16 Mar 2026" in shown  # the as-of the page states
