"""Small samples (spec: metrics.md, "Statistics on the pages"): a value over fewer than
``settings.min_sample`` measured units is marked, never coloured on or off target, never the
reason an alert fires."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.alert_rules import _customer_fires
from metrics.alert_spec import Rule
from metrics.catalog import load_catalog
from metrics.targets import REVIEW_STATUS, judge, status
from tests.metric_support import CONFIG, catalog_with

CATALOG = load_catalog(CONFIG)


@pytest.mark.parametrize(
    ("value", "n", "expected"),
    [
        (1.00, 1, "small_sample"),  # NPS +100 on one response: not "on target"
        (0.10, 29, "small_sample"),  # nor off target, however far
        (0.95, 30, "on_target"),
        (0.90, 30, "near_target"),
        (0.50, 400, "off_target"),
        (None, 400, None),
    ],
)
def test_judge_in_the_review_vocabulary(value, n, expected):
    got = judge(value, 0.92, n=n, direction="up", min_sample=30, amber=0.03)
    assert got == expected


def test_small_sample_without_a_target_is_still_marked():
    assert judge(0.5, None, n=3, direction="up", min_sample=30) == "small_sample"
    assert judge(0.5, None, n=300, direction="up", min_sample=30) is None


def test_status_codes_carry_the_mark():
    otif = CATALOG.metric("otif")
    assert status(otif, 0.99, 0.92, n=7) == "small"
    assert status(otif, 0.99, 0.92, n=70) == "green"
    assert status(otif, 0.99, 0.92) == "green"  # no n: judged
    assert REVIEW_STATUS["small"] == "small_sample"


def test_min_sample_comes_from_the_settings(tmp_path):
    assert CATALOG.spec.settings.min_sample == 30
    assert CATALOG.metric("otif").min_sample == 30
    assert CATALOG.metric("revenue").min_sample == 0  # a sum is exact, not an estimate
    setting = {"  min_sample: 30               #": "  min_sample: 50               #"}
    (tmp_path / "own").mkdir()
    (tmp_path / "inherited").mkdir()
    own = catalog_with(tmp_path / "own", setting)
    assert own.spec.settings.min_sample == 50
    assert own.metric("otif").min_sample == 30  # its own min_sample (metrics.yaml) wins
    inherited = catalog_with(tmp_path / "inherited", {**setting, "    min_sample: 30\n": ""})
    assert inherited.metric("otif").min_sample == 50
    assert inherited.metric("revenue").min_sample == 0


def test_a_key_account_alert_never_fires_on_a_small_sample():
    rule = Rule(kind="customer", trigger="key_account_otif", days=28, min_orders=5)
    row = {
        "customer_id": "C1",
        "orders": 12,
        "otif": 0.5,
        **{d: None for d in ("segment", "region", "portfolio", "portfolio_manager")},
    }
    assert _customer_fires(CATALOG, rule, row, dt.date(2026, 3, 31)) is None
    assert _customer_fires(CATALOG, rule, row | {"orders": 40}, dt.date(2026, 3, 31))


def test_the_pack_scoreboard_never_ticks_a_small_sample():
    """ "NPS +100 ✓" resting on one response becomes "+100 (n=1)"."""
    from types import SimpleNamespace

    import polars as pl

    from reports.pack_reader import Reader
    from reports.review_scores import scoreboard

    rows = pl.DataFrame(
        {
            "portfolio": ["P1", "P1"],
            "portfolio_manager": ["Ann", "Ann"],
            "metric": ["nps", "otif"],
            "value": [100.0, 0.95],
            "n": [1, 120],
            "status": ["small", "green"],
        }
    )
    data = SimpleNamespace(scoreboard=rows, reader=Reader(CATALOG))
    section = scoreboard(data, CATALOG)
    [table] = section.blocks
    cells = dict(zip(table.headers, table.rows[0]))
    nps, otif = CATALOG.metric("nps").label, CATALOG.metric("otif").label
    assert "✓" not in cells[nps] and cells[nps].endswith("(n=1)")
    assert cells[otif].endswith("✓")
