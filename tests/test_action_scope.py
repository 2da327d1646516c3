"""Action-log writes are audited and scoped: a viewer records decisions within their rows, and
closes only an action whose scope lies within them (a portfolio manager closed the COO's
company-wide action); each write is an "action add" or "action done" entry in the audit."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.access import AccessError
from state import audit
from state.action_log import Action, add_action, list_actions
from state.store import StateStore
from tests.conftest import copy_warehouse
from tests.test_roles_usable import COO, LEAD, PM, open_as, sign_in_on  # noqa: F401 (a fixture)
from ui.actions import new_scope

KA = (("portfolio", ("Key Accounts",)),)
SOUTH = (("region", ("South",)),)


def action(scope) -> Action:
    day = dt.date(2026, 11, 2)
    return Action(1, "x", "y", day, "otif", scope, day)


# (case, the action's scope, the viewer's rows, within?)
WITHIN = [
    ("company-wide, every row", (), (), True),
    ("company-wide, one portfolio", (), KA, False),
    ("own portfolio", KA, KA, True),
    ("own portfolio and a region", KA + SOUTH, KA, True),
    ("a region only: other portfolios too", SOUTH, KA, False),
    ("another portfolio", (("portfolio", ("Retail South",)),), KA, False),
    ("own and another portfolio", (("portfolio", ("Key Accounts", "Retail South")),), KA, False),
    ("two portfolios, rows of both", KA, (("portfolio", ("Key Accounts", "Retail South")),), True),
    ("a site's rows", KA, (("site", ("DC-South",)),), False),
]


@pytest.mark.parametrize(
    ("scope", "rows", "within"), [w[1:] for w in WITHIN], ids=[w[0] for w in WITHIN]
)
def test_an_action_lies_within_rows_only_when_its_scope_does(scope, rows, within):
    assert action(scope).within(rows) is within


# (case, the filters, the viewer's rows, the new action's scope; None: refused)
NEW = [
    ("every row, no filter", (), (), ()),
    ("every row, a filter", SOUTH, (), SOUTH),
    ("a portfolio, no filter", (), KA, KA),
    ("a portfolio, a region", SOUTH, KA, SOUTH + KA),
    ("a portfolio, its own filter", KA, KA, KA),
    ("a portfolio, another one", (("portfolio", ("Retail South",)),), KA, None),
    (
        "a portfolio, it and another",
        (("portfolio", ("Key Accounts", "Retail South")),),
        KA,
        KA,
    ),
]


@pytest.mark.parametrize(("where", "rows", "scope"), [n[1:] for n in NEW], ids=[n[0] for n in NEW])
def test_a_new_action_is_scoped_to_the_writers_rows(where, rows, scope):
    if scope is None:
        with pytest.raises(AccessError, match="outside your rows"):
            new_scope(where, rows)
    else:
        assert new_scope(where, rows) == scope
        assert action(new_scope(where, rows)).within(rows)


# ---- on the review page, signed in ------------------------------------------------------------


@pytest.fixture
def logged(demo_build, tmp_path) -> tuple[Path, dict[str, int]]:
    """A warehouse of this test's own, with the COO's company-wide action, one of Key Accounts
    and one of another portfolio."""
    db = copy_warehouse(demo_build, tmp_path / "wh")
    store, day = StateStore.beside(db), dt.date(2026, 11, 2)
    ids = {}
    for name, scope in [
        ("company", ()),
        ("own", KA),
        ("other", (("portfolio", ("Retail South",)),)),
    ]:
        a = add_action(
            store,
            what=f"{name} action",
            owner="o",
            due=day,
            metric="otif",
            decided=day,
            scope=scope,
        )
        ids[name] = a.id
    return db, ids


def _done_options(at: AppTest) -> list[int]:
    return list(next(s for s in at.selectbox if s.label == "Action").options)


def _entries(db: Path, email: str, event: str) -> list[dict]:
    found = audit.entries(StateStore.beside(db), email=email, event=event)
    return [{**e, "detail": json.loads(e["detail"])} for e in found]


@pytest.mark.usefixtures("sign_in_on")
def test_a_portfolio_manager_closes_only_actions_of_her_portfolio(logged):
    db, ids = logged
    at = open_as(PM, db)
    assert not at.exception
    labels = {a.id: a.label() for a in list_actions(StateStore.beside(db))}
    assert _done_options(at) == [labels[ids["own"]]]  # not the company's, not another's
    next(b for b in at.button if b.label == "Mark done").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    done = {a.id: a.done for a in list_actions(StateStore.beside(db))}
    assert done[ids["own"]] and not done[ids["company"]] and not done[ids["other"]]
    [entry] = _entries(db, PM, "action done")
    assert entry["page"] == "review" and entry["detail"]["action"] == ids["own"]


@pytest.mark.usefixtures("sign_in_on")
def test_a_viewer_of_every_row_closes_the_company_wide_action(logged):
    db, ids = logged
    at = open_as(LEAD, db)
    labels = {a.id: a.label() for a in list_actions(StateStore.beside(db))}
    assert labels[ids["company"]] in _done_options(at)


@pytest.mark.usefixtures("sign_in_on")
def test_an_action_added_by_a_portfolio_manager_is_hers_and_audited(logged):
    db, _ = logged
    at = open_as(PM, db)
    at.text_input[0].set_value("Call the three late customers")
    at.text_input[1].set_value("Helena Brandt")
    next(b for b in at.button if b.label == "Add to the log").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    added = list_actions(StateStore.beside(db))[-1]
    assert added.what == "Call the three late customers" and added.scope == KA
    [entry] = _entries(db, PM, "action add")
    assert entry["detail"]["action"] == added.id and entry["page"] == "review"


def _close_as(email: str, action_id: int) -> None:
    """An app script: ``email`` asks to close ``action_id`` (what a forged form would send)."""
    import streamlit as st

    from metrics.access import AccessError, load_policy, policy_path
    from ui import actions, config, data

    found = load_policy(policy_path(), config.catalog()).viewer(email)
    st.session_state["_northstar_viewer"] = found
    try:
        actions.close(data.source(), action_id)
    except AccessError as exc:
        st.text(f"refused: {exc}")


@pytest.mark.usefixtures("sign_in_on")
def test_closing_an_action_beyond_ones_rows_is_refused_on_the_server(logged):
    db, ids = logged
    os.environ["NORTHSTAR_DB"] = str(db)
    at = AppTest.from_function(_close_as, args=(PM, ids["company"]), default_timeout=60).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.text if t.value.startswith("refused")], at.text
    assert not next(a for a in list_actions(StateStore.beside(db)) if a.id == ids["company"]).done
    assert not _entries(db, PM, "action done")
    at = AppTest.from_function(_close_as, args=(COO, ids["company"]), default_timeout=60).run()
    assert (
        not at.text
        and next(a for a in list_actions(StateStore.beside(db)) if a.id == ids["company"]).done
    )
    assert [e["detail"]["action"] for e in _entries(db, COO, "action done")] == [ids["company"]]
