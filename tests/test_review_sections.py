"""The review's sections below its first screen (AppTest, sample warehouse): closed at first,
their content not even drawn (the browser draws the first screen first); each opens on its own,
and an opened one shows what it holds."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import APP, REVIEW_SECTIONS, open_sections
from ui.page import section_key
from ui.review import SECTIONS

TITLES = list(SECTIONS.values())


@pytest.fixture(autouse=True)
def sample(demo_build, monkeypatch):
    monkeypatch.setenv("NORTHSTAR_DB", str(demo_build))
    monkeypatch.delenv("NORTHSTAR_CONFIG", raising=False)


def review(at: AppTest | None = None) -> AppTest:
    at = (AppTest.from_file(APP, default_timeout=90) if at is None else at).run()
    assert not at.exception, at.exception
    return at


def opened(at: AppTest) -> list[str]:
    return [e.label for e in at.expander if e.proto.expanded]


def test_the_sections_start_closed_and_hold_nothing_yet():
    at = review()
    assert [e.label for e in at.expander] == TITLES
    assert opened(at) == []
    assert len(at.get("vega_lite_chart")) == 1  # the OTIF trend of the first screen only
    assert not at.dataframe  # no causes, worklist or action log drawn
    assert "Add to the log" not in [b.label for b in at.button]


@pytest.mark.parametrize("key", REVIEW_SECTIONS)
def test_each_section_opens_on_its_own(key):
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[section_key(key)] = True
    assert opened(review(at)) == [TITLES[REVIEW_SECTIONS.index(key)]]


def test_opened_sections_show_what_they_hold():
    at = review(open_sections(AppTest.from_file(APP, default_timeout=90)))
    assert opened(at) == TITLES
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 7  # trend, funnel, reason mix and the four drivers (and the cost)
    assert any("Cause" in d.value.columns for d in at.dataframe)
    assert "Add to the log" in [b.label for b in at.button]
    assert "What customers said" in [h.value for h in at.subheader]
