"""Compiled SQL against golden files. Regenerate with: UPDATE_GOLDEN=1 python -m pytest tests/test_sql_golden.py"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from metrics.catalog import load_catalog
from metrics.sqlgen import Query, compile_query, compile_rows
from tests.metric_support import CONFIG

GOLDEN = Path(__file__).parent / "golden"
AS_OF = dt.date(2026, 3, 15)
CASES = {
    "otif_total": Query(metrics=("otif",)),
    "otif_fill_rate_by_region_week": Query(
        metrics=("otif", "fill_rate"),
        by=("region",),
        grain="week",
        date_from=dt.date(2026, 1, 1),
        where=(("segment", ("retail", "key account")),),
    ),
    "contacts_per_100_orders_by_portfolio": Query(
        metrics=("contacts_per_100_orders",), by=("portfolio",), grain="month"
    ),
}


def _check(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.sql"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden file {path.name}: run with UPDATE_GOLDEN=1"
    assert text == path.read_text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_query_sql_matches_golden(name):
    compiled = compile_query(load_catalog(CONFIG), CASES[name], AS_OF)
    params = json.dumps(compiled.params, default=str, sort_keys=True)
    _check(name, f"-- params: {params}\n{compiled.sql}\n")


def test_rows_sql_matches_golden():
    q = Query(metrics=(), where=(("region", ("North",)),))
    compiled = compile_rows(load_catalog(CONFIG), "otif", q, AS_OF, failing=True, limit=50)
    _check(
        "otif_failing_rows",
        f"-- params: {json.dumps(compiled.params, default=str, sort_keys=True)}\n{compiled.sql}\n",
    )


def test_user_values_never_appear_in_sql():
    q = Query(metrics=("otif",), where=(("region", ("North'; DROP TABLE orders; --",)),))
    compiled = compile_query(load_catalog(CONFIG), q, AS_OF)
    assert "DROP TABLE" not in compiled.sql
    assert compiled.params["w0_0"] == "North'; DROP TABLE orders; --"
