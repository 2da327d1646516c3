"""Average handle time never reads an unmapped or unreadable duration as 0 (metrics.md,
aht_sec): a handled contact with none of talk, hold and after-call work known is not measured;
a missing part of a known one counts as 0."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.load import load_paths
from metrics.catalog import load_catalog
from metrics.query import run_query
from metrics.sqlgen import Query
from tests.conftest import write_csv
from tests.metric_support import CONFIG, engine

HEADER = ["call_id", "started_at", "talk_sec", "hold_sec", "acw_sec", "abandoned"]
ROWS = [
    ["K1", "2026-03-02 09:00:00", "300", "60", "40", "false"],  # 400 s
    ["K2", "2026-03-02 10:00:00", "200", "", "", "false"],  # 200 s: missing parts count as 0
    ["K3", "2026-03-02 11:00:00", "", "", "", "false"],  # nothing known: not measured
    ["K4", "2026-03-02 12:00:00", "", "", "", "true"],  # abandoned: not handled
]


@pytest.mark.parametrize("unknown", [1, 3])
def test_a_contact_without_any_known_duration_is_not_measured(tmp_path, unknown):
    rows = ROWS + [[f"U{i}", "2026-03-03 09:00:00", "", "", "", "false"] for i in range(unknown)]
    write_csv(tmp_path / "x" / "calls.csv", HEADER, rows)
    db = tmp_path / "wh.duckdb"
    load_paths(db, [tmp_path / "x"], progress=False)
    q = Query(("aht_sec",), as_of=dt.date(2026, 3, 20))
    result = run_query(engine(db), load_catalog(CONFIG), q).frame.row(0, named=True)
    assert result["aht_sec"] == pytest.approx((400 + 200) / 2)  # not (400 + 200) / (2 + unknown)
    assert result["aht_sec__n"] == 2
