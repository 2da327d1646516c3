"""Each role of the sample policy can use every page it is given (AppTest, signed in through
``AppTest.user``): the review without the at-risk page, without money for a role that hides
revenue, Explore's records for a site manager, a site's kiosk wall, the audit of a picked
customer, and policy errors without server paths."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.runtime.secrets import secrets_singleton
from streamlit.testing.v1 import AppTest

from metrics.access import load_policy
from metrics.catalog import load_catalog
from metrics.policy_file import PAGES
from state import audit, kiosk
from state.store import StateStore
from tests.app_support import open_page, open_sections
from tests.conftest import copy_warehouse
from ui.guard import without_paths

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard.py")
CONFIG = ROOT / "config" / "metrics.yaml"
AUTH = """[auth]
redirect_uri = "http://localhost:8501/oauth2callback"
cookie_secret = "a-long-random-string-for-the-tests-only"
client_id = "northstar-dashboard"
client_secret = "not-a-real-secret"
server_metadata_url = "https://login.example.com/.well-known/openid-configuration"
"""
SCRIPTS = {  # the policy's page names and their scripts, as dashboard.py lists them
    "review": "pages/north_star.py",
    "pairs": "pages/old_vs_north_star.py",
    "explore": "pages/explore_view.py",
    "data": "pages/data_and_definitions.py",
    "portfolio": "pages/portfolios.py",
    "at-risk": "pages/at_risk.py",
    "contact-center": "pages/contact_center.py",
    "sop-wall": "pages/wall.py",
    "account": "pages/customer.py",
}
COO, PM, SITE, LEAD = (
    "coo@northstar.example",
    "helena.brandt@northstar.example",
    "site.dc.south@northstar.example",
    "contact.lead@northstar.example",
)
ROLES = {"coo": COO, "portfolio_manager": PM, "site_manager": SITE, "contact_center_lead": LEAD}


@pytest.fixture(scope="module")
def signed_db(demo_build, tmp_path_factory) -> Path:
    """A warehouse of this module's own: signed-in views write the audit trail beside it."""
    return copy_warehouse(demo_build, tmp_path_factory.mktemp("roles"))


@pytest.fixture
def sign_in_on(monkeypatch, tmp_path) -> Iterator[None]:
    """Sign-in configured (a complete ``[auth]``), the sample policy, for one test."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NORTHSTAR_DB", "")  # open_as sets it; monkeypatch restores it
    monkeypatch.delenv("NORTHSTAR_ACCESS", raising=False)
    monkeypatch.delenv("NORTHSTAR_CONFIG", raising=False)
    monkeypatch.delenv("NORTHSTAR_STATE", raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(AUTH)
    old, where = st_config.get_option("secrets.files"), st_config.get_where_defined("secrets.files")
    st_config.set_option("secrets.files", [str(secrets)])
    secrets_singleton._reset()
    yield
    st_config.set_option("secrets.files", old, where_defined=where)
    secrets_singleton._reset()


def open_as(
    email: str, db: Path, page: str | None = None, params: dict[str, str] | None = None
) -> AppTest:
    """The app as ``email`` signed in (a verified email claim) sees it: the home page, or
    ``page`` (a script of SCRIPTS) opened by its address."""
    os.environ["NORTHSTAR_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=90)
    at.user = {"is_logged_in": True, "email": email, "sub": email, "iss": "https://idp.example"}
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return open_page(at, page) if page else open_sections(at).run()


def problems(at: AppTest) -> list[str]:
    """What a usable page must not show: an exception, an error, a refusal of its own data."""
    found = [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]
    found += [str(w.value) for w in at.warning if "Not in your access" in str(w.value)]
    found += [str(t.value) for t in at.text if "not part of what your access grants" in t.value]
    return found


def htmls(at: AppTest) -> str:
    return "\n".join(str(h.proto.body) for h in at.get("html"))


# ---- every role, every page it is given ------------------------------------------------------


def test_the_page_names_are_the_policys():
    assert set(SCRIPTS) == set(PAGES)


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_uses_every_page_it_is_given(role, sign_in_on, signed_db):
    """A test per role: each page its role is given opens without an exception, an error or
    a refusal (the review failed for roles without the at-risk page; Explore's records and
    the filters failed for site managers)."""
    viewer = load_policy(ROOT / "config" / "access.yaml", load_catalog(CONFIG)).viewer(ROLES[role])
    given = [p for p in SCRIPTS if viewer.sees_page(p)]
    assert given, role
    at = open_as(ROLES[role], signed_db)
    failed = {}
    for name in given:
        at.switch_page(SCRIPTS[name]).run()
        if found := problems(at):
            failed[name] = found
    assert not failed, failed


# ---- (finding 11) the review page for roles without at-risk, and without money -------------


def test_the_review_links_the_worklist_only_for_roles_that_may_open_it(sign_in_on, signed_db):
    lead = open_as(LEAD, signed_db)
    assert not problems(lead), problems(lead)
    assert [m for m in lead.metric if m.label == "Lines at risk"]
    assert not lead.get("page_link")
    manager = open_as(PM, signed_db)
    assert [p.proto.label for p in manager.get("page_link")] == ["Worklist per portfolio and site"]


def test_the_review_shows_no_money_to_a_role_that_hides_revenue(sign_in_on, signed_db):
    lead = open_as(LEAD, signed_db)
    labels = [m.label for m in lead.metric]
    assert "Lines at risk" in labels and "Still to ship" not in labels
    at_risk = [df.value for df in lead.dataframe if "lines" in df.value.columns]
    assert at_risk and all("open_value" not in df.columns for df in at_risk)
    coo = open_as(COO, signed_db)
    assert "Still to ship" in [m.label for m in coo.metric]
    assert any("open_value" in df.value.columns for df in coo.dataframe)


# ---- (finding 11) site managers in Explore, a site's kiosk wall -------------------------------


def test_a_site_manager_gets_the_records_of_their_site_in_explore(sign_in_on, signed_db):
    at = open_as(SITE, signed_db)  # Explore is their only page, so their home
    assert not problems(at), problems(at)
    assert [t.value for t in at.title] == ["Explore"]
    records = next(df.value for df in at.dataframe if "line_id" in df.value.columns)
    assert len(records) > 0 and set(records["site"]) == {"DC-South"}
    assert records["customer_name"].notna().all()  # named, as for everyone
    assert not records["customer_id"].str.contains("customer_id=").any()  # no page to link to
    options = {m.label: m.options for m in at.sidebar.multiselect}
    assert options["Portfolio"] and options["Region"]  # the filters of their rows
    assert any("Data as of" in str(c.value) for c in at.sidebar.caption)


def test_a_site_scoped_kiosk_link_shows_its_wall(sign_in_on, signed_db):
    _, token = kiosk.create(
        StateStore.beside(signed_db), scope=(("site", ("DC-South",)),), label="Dock"
    )
    at = open_as("nobody@northstar.example", signed_db, params={"kiosk": token})
    assert not problems(at), problems(at)
    shown = htmls(at)
    assert "site DC-South only" in shown
    assert re.search(r'data-metric="otif_line" data-value="\d+\.\d%"', shown), shown[:2000]
    assert 'data-metric="otif"' not in shown and 'data-metric="csat"' not in shown
    assert "counted per order" in shown  # the causes tile says why it has none
    assert at.get("vega_lite_chart")  # the small multiples, split by site


# ---- (finding 7) a customer picked in the selectbox is audited --------------------------------


def test_a_customer_picked_in_the_box_is_in_the_audit(sign_in_on, signed_db):
    at = open_as(PM, signed_db, page=SCRIPTS["account"])
    box = at.selectbox(key="customer_pick")
    picked = box.options[0].rsplit("(", 1)[1].rstrip(")")
    box.select(picked).run()
    assert not problems(at), problems(at)
    assert at.query_params["customer_id"] == picked
    views = audit.entries(StateStore.beside(signed_db), email=PM, event="view")
    assert views[0]["page"] == "account"
    assert views[0]["detail"] == f'{{"customer_id": "{picked}"}}'


# ---- (finding 11) policy errors without server paths ------------------------------------------


PATHS = [  # (a message, the files the caller reads, as shown)
    (f"{ROOT}/config/access.yaml:12: roles.pm: x", [], "config/access.yaml:12: roles.pm: x"),
    ("/srv/northstar/access.yaml:3: y", [], "access.yaml:3: y"),
    ("/srv/north star/access.yaml:3: y", ["/srv/north star/access.yaml"], "access.yaml:3: y"),
    ("no warehouse at /var/lib/ns/demo.duckdb.", [], "no warehouse at demo.duckdb."),
    ("see https://login.example.com/a/b and a/b", [], "see https://login.example.com/a/b and a/b"),
]


@pytest.mark.parametrize(("text", "known", "shown"), PATHS)
def test_absolute_paths_are_written_relative_to_the_project(text, known, shown, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert without_paths(text, known) == shown


def test_a_broken_policy_shows_its_file_by_name_and_logs_the_path(
    sign_in_on, signed_db, tmp_path, monkeypatch, caplog
):
    caplog.set_level(logging.WARNING, logger="northstar.ui")
    policy = tmp_path / "secret-place" / "access.yaml"
    policy.parent.mkdir()
    text = (ROOT / "config" / "access.yaml").read_text()
    policy.write_text(text.replace("pages: [explore]", "pages: [explor]"))
    monkeypatch.setenv("NORTHSTAR_ACCESS", str(policy))
    at = open_as(COO, signed_db)
    shown = "\n".join(str(e.value) for e in [*at.error, *at.markdown])
    assert "access.yaml:" in shown and "unknown page 'explor'" in shown, shown
    assert str(tmp_path) not in shown and "secret-place" not in shown, shown
    assert str(policy) in caplog.text  # the full path, for whoever runs the server
    policy.unlink()  # no policy at all: the same, by name
    shown = "\n".join(str(e.value) for e in [*open_as(COO, signed_db).markdown])
    assert "access.yaml: no access policy" in shown and str(tmp_path) not in shown, shown
