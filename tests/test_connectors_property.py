"""Property: for random rows with random faults, rows read = loaded + rejected, and each fault is caught."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.load import load_paths
from tests.conftest import query, write_csv

COLS = ["call_id", "started_at", "wait_sec", "abandoned", "queue"]
# fault -> (column, bad value, rule)
FAULTS = {
    "missing_value": ("call_id", "", "missing_value"),
    "bad_timestamp": ("started_at", "2026-02-30 10:00:00", "bad_timestamp"),
    "bad_number": ("wait_sec", "12 s", "bad_number"),
    "out_of_range": ("wait_sec", "-1", "out_of_range"),
    "bad_bool": ("abandoned", "maybe", "bad_bool"),
    "malformed_row": ("queue", "a,b", "malformed_row"),
}

rows = st.lists(
    st.tuples(
        st.sampled_from([None, *FAULTS]),
        st.integers(0, 10**6),
        st.sampled_from(["", "yes", "N", "t", "0"]),
    ),
    max_size=60,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows)
def test_rows_read_equal_loaded_plus_rejected_and_faults_are_found(tmp_path_factory, rows) -> None:
    folder = tmp_path_factory.mktemp("prop")
    lines, expected, seen = [], [], set()
    for i, (fault, wait, flag) in enumerate(rows):
        cid = f"CL{i % 40}"  # repeats: later rows with a seen id are duplicates
        row = {
            "call_id": cid,
            "started_at": "2026-01-05 10:00:00",
            "wait_sec": str(wait),
            "abandoned": flag,
            "queue": "orders",
        }
        rule = None
        if fault:
            col, value, rule = FAULTS[fault]
            row[col] = value
        elif cid in seen:
            rule = "duplicate_key"
        if rule is None:
            seen.add(cid)
        lines.append([row[c] for c in COLS])
        if rule:
            expected.append((i + 2, rule))
    f = write_csv(folder / "calls.csv", COLS, lines)
    report = load_paths(folder / "wh.duckdb", [f], progress=False, max_reject_share=1)
    (fr,) = report.files
    assert fr.rows_read == len(lines) == fr.rows_loaded + fr.rows_rejected
    assert query(folder / "wh.duckdb", 'SELECT "row", rule FROM rejects ORDER BY 1') == expected
    assert query(folder / "wh.duckdb", "SELECT count(*) FROM calls") == [(fr.rows_loaded,)]
