"""The view in the URL: the period under review is in a shared link whenever it was chosen
('latest' is a choice of its own), and values from the URL or the data are shown as plain text."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from present.format import escape_markdown as plain
from tests.app_support import open_sections
from tests.conftest import write_csv
from tests.metric_support import FIXTURE, build_fixture_warehouse

ROOT = Path(__file__).resolve().parent.parent
EVIL = "[x](https://evil.example)"
TODAY = "2026-03-17"  # the fixture's data ends on Mon 16 Mar 2026


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """The metric fixture with a region whose name is a markdown link."""
    tmp = tmp_path_factory.mktemp("links")
    source = tmp / "source"
    shutil.copytree(FIXTURE, source)
    header = ["customer_id", "name", "segment", "region", "portfolio", "portfolio_manager"]
    write_csv(
        source / "customers.csv",
        header,
        [
            ["C1", "Acme", "key account", f'"{EVIL}"', "P1", "Ann Lee"],
            ["C2", "Bolt", "retail", "South", "P2", "Bob Ray"],
            ["C3", "Cove", "mid-market", "North", "P1", "Ann Lee"],
        ],
    )
    return build_fixture_warehouse(tmp, source)


@pytest.fixture(autouse=True)
def app_env(db, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NORTHSTAR_DB", str(db))
    monkeypatch.setenv("NORTHSTAR_TODAY", TODAY)
    monkeypatch.delenv("NORTHSTAR_CONFIG", raising=False)
    yield


def open_app(**params) -> AppTest:
    """The review with ``params`` in its link, every section of it open (all it would show)."""
    at = open_sections(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60))
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def stamp(at: AppTest) -> str:
    return next(str(c.value) for c in at.caption if "data as of" in str(c.value))


def test_no_period_in_the_link_means_the_latest_complete_one():
    at = open_app()
    assert not at.exception
    assert at.session_state["period"] == "latest"
    assert "Latest complete week \\(Week 11 · 9–15 Mar 2026\\)" in stamp(at)
    assert "period" not in at.query_params


def test_a_link_with_a_period_shows_that_period():
    """(Choosing a period writes it into the URL: tests/test_browser_links.py, in a browser.)"""
    pasted = open_app(period="2026-03-02")
    assert not pasted.exception
    assert "Week 10 · 2–8 Mar 2026" in stamp(pasted) and "Latest" not in stamp(pasted)
    latest = open_app(period="latest")  # 'latest' may also be written out
    assert "Latest complete week" in stamp(latest)


def test_a_new_period_type_reviews_its_latest_complete_period():
    at = open_app(period="2026-03-02")
    at.segmented_control(key="grain").set_value("month").run()
    assert not at.exception
    assert at.session_state["period"] == "latest"
    assert "Latest complete month \\(February 2026\\)" in stamp(at)


def test_values_from_the_url_and_the_data_are_plain_text():
    at = open_app(region=[EVIL], period="[y](https://evil.example)")
    assert not at.exception
    shown = [str(e.value) for e in [*at.caption, *at.warning, *at.markdown]]
    assert plain(EVIL) in stamp(at)  # the region, escaped: shown, never a link
    assert not [s for s in shown if "](https://evil.example)" in s]
    assert any(plain("'[y](https://evil.example)'") in s for s in shown)  # the URL note


def test_plain_escapes_markdown_links_directives_and_html():
    zw = "\u2060"  # breaks a bare URL or e-mail address, which Markdown would link
    assert plain(EVIL) == rf"\[x\]\(https\:{zw}//evil\.example\)"
    assert plain(":red[alarm] **bold** <b>x</b> $x$ &amp;\nnext") == (
        r"\:red\[alarm\] \*\*bold\*\* \<b\>x\</b\> \$x\$ \&amp; next"
    )
    assert plain("www.evil.example or bob@evil.example") == (
        rf"www{zw}\.evil\.example or bob{zw}@evil\.example"
    )
    assert plain("- item") == r"\- item" and plain("1. first") == r"1\. first"
    assert plain("1) first") == r"1\) first" and plain("# title\n===") == r"\# title \=\=\="
    assert plain(dt.date(2026, 3, 2)) == r"2026\-03\-02"
