"""Freshness against today: every page warns when the newest data is older than
settings.stale_after_days, with the data's as-of date and how many days behind today it is."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.catalog import parse_catalog
from metrics.errors import ConfigError
from metrics.located_yaml import parse_located
from metrics.query import default_as_of
from store.health import Staleness, staleness
from store.warehouse import Warehouse
from tests.app_support import open_page
from tests.metric_support import CONFIG

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
PAGES = [
    "pages/north_star.py",
    "pages/old_vs_north_star.py",
    "pages/explore_view.py",
    "pages/data_and_definitions.py",
    "pages/portfolios.py",
    "pages/contact_center.py",
    "pages/customer.py",
    "pages/at_risk.py",
]


def test_staleness_counts_days_behind_today_against_the_limit():
    as_of = dt.date(2026, 11, 15)
    assert staleness(as_of, dt.date(2026, 11, 18), 3) == Staleness(
        as_of, dt.date(2026, 11, 18), 3, 3
    )
    assert not staleness(as_of, dt.date(2026, 11, 18), 3).stale  # exactly the limit: still fresh
    late = staleness(as_of, dt.date(2026, 11, 19), 3)
    assert late.stale and late.days_behind == 4
    assert "Sun 15 Nov 2026, 4 days behind today (Thu 19 Nov 2026)" in late.message()
    assert staleness(as_of, dt.date(2026, 11, 16), 0).message().count("1 day behind") == 1
    assert staleness(as_of, as_of, 0).days_behind == 0 and not staleness(as_of, as_of, 0).stale


@pytest.mark.parametrize(
    "value, says", [("-2", "greater than or equal to 0"), ("soon", "valid integer")]
)
def test_a_bad_stale_after_days_is_reported_with_its_line(value, says):
    text = CONFIG.read_text()
    old = "  stale_after_days: 3 "
    assert old in text
    with pytest.raises(ConfigError) as err:
        parse_catalog(
            parse_located(text.replace(old, f"  stale_after_days: {value} "), "metrics.yaml")
        )
    line = 1 + text[: text.index(old)].count("\n")
    assert f"metrics.yaml:{line}: settings.stale_after_days" in str(err.value) and says in str(
        err.value
    )


# ---- every page, in AppTest --------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NORTHSTAR_CONFIG", raising=False)
    yield


def run_page(page: str, db: Path, monkeypatch, today: dt.date, params=None) -> AppTest:
    monkeypatch.setenv("NORTHSTAR_DB", str(db))
    monkeypatch.setenv("NORTHSTAR_TODAY", today.isoformat())
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return open_page(at, page)


def warnings(at: AppTest) -> str:
    return "\n".join(str(w.value) for w in at.warning)


def captions(at: AppTest) -> str:
    """The captions' text as read (markdown escapes removed)."""
    return "\n".join(str(c.value) for c in at.caption).replace("\\", "")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_warns_about_stale_data(page, demo_db, monkeypatch):
    as_of = default_as_of(Warehouse(demo_db).engine(), dt.date(2026, 11, 29))
    today = as_of + dt.timedelta(days=14)
    at = run_page(page, demo_db, monkeypatch, today)
    assert not at.exception, at.exception
    shown = warnings(at)
    assert (
        f"newest data is from {as_of:%a %d %b %Y}, 14 days behind today ({today:%a %d %b %Y})"
        in shown
    )


def test_fresh_data_gets_no_warning_and_the_limit_comes_from_settings(
    demo_db, monkeypatch, tmp_path
):
    as_of = default_as_of(Warehouse(demo_db).engine(), dt.date(2026, 11, 29))
    at = run_page(PAGES[0], demo_db, monkeypatch, as_of + dt.timedelta(days=3))
    assert not at.exception and "behind today" not in warnings(at)
    assert "Latest complete week (Week" in captions(at)
    relaxed = tmp_path / "metrics.yaml"
    relaxed.write_text(
        CONFIG.read_text().replace("  stale_after_days: 3 ", "  stale_after_days: 30 ")
    )
    monkeypatch.setenv("NORTHSTAR_CONFIG", str(relaxed))
    at = run_page(PAGES[0], demo_db, monkeypatch, as_of + dt.timedelta(days=14))
    assert not at.exception and "behind today" not in warnings(at)


def test_a_stale_latest_period_says_it_is_the_latest_in_the_data(demo_db, monkeypatch):
    as_of = default_as_of(Warehouse(demo_db).engine(), dt.date(2026, 11, 29))
    at = run_page(PAGES[0], demo_db, monkeypatch, as_of + dt.timedelta(days=14))
    assert "Latest complete week in the data (Week" in captions(at)
    assert os.environ["NORTHSTAR_TODAY"] == (as_of + dt.timedelta(days=14)).isoformat()
