"""Did OTIF move after an action? Pinned on tests/fixtures/action_effect (one line per order,
due on Wednesdays): before the decision of Wed 4 Mar 2026 (week of 2 Mar, left out of both
sides), the 4 weeks 2 Feb - 1 Mar hold O1 on time and O2-O4 late: OTIF 1/4 = 0.25. After it,
as of Sun 22 Mar, the complete weeks of 9 and 16 Mar hold O6 and O7, both on time: 2/2 = 1.0.
As of Sun 15 Mar only the week of 9 Mar is complete: too early to tell."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.action_effect import action_effect
from metrics.catalog import load_catalog
from tests.metric_support import CONFIG, FIXTURE, build_fixture_warehouse, engine

DECIDED = dt.date(2026, 3, 4)


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    db = build_fixture_warehouse(
        tmp_path_factory.mktemp("effect"), FIXTURE.parent / "action_effect"
    )
    c = engine(db)
    yield c
    c.close()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONFIG)


def test_better_after_the_action(cur, catalog):
    e = action_effect(cur, catalog, metric="otif", decided=DECIDED, as_of=dt.date(2026, 3, 22))
    assert (e.before, e.after, e.periods_after, e.verdict) == (0.25, 1.0, 2, "better")
    assert e.text(lambda v: f"{v:.0%}") == "better: 25% before, 100% after"


def test_too_early_to_tell(cur, catalog):
    e = action_effect(cur, catalog, metric="otif", decided=DECIDED, as_of=dt.date(2026, 3, 15))
    assert (e.verdict, e.periods_after) == ("too early", 1)
    assert e.text(str).startswith("too early to tell: 1 complete week(s) since the decision")


def test_scope_without_data(cur, catalog):
    e = action_effect(
        cur, catalog, metric="otif", decided=DECIDED, as_of=dt.date(2026, 3, 22),
        where=(("portfolio", ("P2",)),),
    )  # fmt: skip
    assert e.verdict == "no data"
