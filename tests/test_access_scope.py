"""Access scope in the query API: a scoped viewer's numbers equal the unscoped query filtered
to their scope, for every metric; nothing a viewer asks for widens it; the policy file is
validated with file:line messages; kiosk links and the audit trail (the command line's --as,
the packs, downloads and alerts: tests/test_access_channels.py)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.access import AccessError, load_policy, parse_policy
from metrics.catalog import load_catalog
from metrics.customers import customer_dimension_values, customer_signals, customer_timeline
from metrics.errors import ConfigError, MetricsError
from metrics.located_yaml import parse_located
from metrics.query import fetch_rows, run_query
from metrics.satisfaction import satisfaction_by_otif
from metrics.sqlgen import Query
from state import audit, kiosk
from state.store import StateStore
from tests.conftest import run_cli
from tests.metric_support import CONFIG, engine

POLICY = CONFIG.with_name("access.yaml")
PM = "helena.brandt@northstar.example"
PORTFOLIO = "Key Accounts"
SITE_MANAGER = "site.dc.south@northstar.example"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONFIG)


@pytest.fixture(scope="module")
def policy(catalog):
    return load_policy(POLICY, catalog)


@pytest.fixture(scope="module")
def cur(warehouse):
    return engine(warehouse)


def _values(cur, catalog, q: Query) -> pl.DataFrame:
    return run_query(cur, catalog, q).values()


@pytest.mark.slow
@pytest.mark.alone  # module fixtures cheap to build again: the long one runs on any worker
@pytest.mark.parametrize(
    ("email", "dim", "value"),
    [(PM, "portfolio", PORTFOLIO), (SITE_MANAGER, "site", "DC-South")],
)
def test_every_visible_metric_equals_the_unscoped_query_filtered_to_the_scope(
    cur, catalog, policy, email, dim, value
):
    viewer = policy.viewer(email)
    shown = viewer.visible_metrics(catalog)
    assert shown, "the sample policy grants this viewer some metrics"
    by_region_week = dict(by=("region",), grain="week", date_from=None)
    for name in shown:
        for shape in ({}, by_region_week):
            q = Query(metrics=(name,), **shape)
            scoped = _values(cur, catalog, viewer.scoped(catalog, q))
            filtered = _values(cur, catalog, q.replace(where=((dim, (value,)),)))
            assert_frame_equal(scoped, filtered, check_exact=False, rel_tol=1e-12)
            if not shape and name in ("contacts", "measured_orders", "revenue"):
                whole = _values(cur, catalog, q)[name][0]  # counts and sums: a true part
                assert scoped[name][0] < whole


def test_metrics_that_cannot_carry_the_scope_are_not_visible(catalog, policy):
    site = policy.viewer(SITE_MANAGER)
    assert "csat" not in site.visible_metrics(catalog)  # responses have no site
    with pytest.raises(AccessError, match="may not see the metric 'csat'"):
        site.scoped(catalog, Query(metrics=("csat",)))
    lead = policy.viewer("contact.lead@northstar.example")
    assert "revenue" not in lead.visible_metrics(catalog)
    with pytest.raises(AccessError, match="revenue"):
        lead.scoped(catalog, Query(metrics=("otif", "revenue")))


def test_a_filter_outside_the_scope_narrows_to_nothing(cur, catalog, policy):
    viewer = policy.viewer(PM)
    q = Query(metrics=("measured_orders",), where=(("portfolio", ("Retail South",)),))
    got = _values(cur, catalog, viewer.scoped(catalog, q))
    assert got["measured_orders"].to_list() in ([None], [0])
    rows = fetch_rows(cur, catalog, "otif", viewer.scoped(catalog, q.replace(metrics=("otif",))))
    assert rows.is_empty()


def test_records_stay_in_scope(cur, catalog, policy, warehouse):
    viewer = policy.viewer(PM)
    q = viewer.scoped(catalog, Query(metrics=("otif",)))
    rows = fetch_rows(cur, catalog, "otif", q, limit=None)
    ours = set(
        customer_signals(cur, catalog, scope=viewer.customer_scope())["customer_id"].to_list()
    )
    assert rows.height > 0
    assert set(rows["customer_id"].to_list()) <= ours
    unscoped = fetch_rows(cur, catalog, "otif", Query(metrics=("otif",)), limit=None)
    assert rows.height == unscoped.filter(pl.col("customer_id").is_in(list(ours))).height


def test_the_company_wide_total_needs_asking_and_takes_no_split_or_filter(cur, catalog, policy):
    viewer = policy.viewer(PM)
    q = Query(metrics=("otif",), grain="week")
    company = _values(cur, catalog, viewer.scoped(catalog, q, company=True))
    assert_frame_equal(company, _values(cur, catalog, q))
    assert not company.equals(_values(cur, catalog, viewer.scoped(catalog, q)))
    for bad in (q.replace(by=("portfolio",)), q.replace(where=(("region", ("North",)),))):
        with pytest.raises(AccessError, match="company-level"):
            viewer.scoped(catalog, bad, company=True)
    with pytest.raises(AccessError, match="company-level"):
        viewer.scoped(catalog, Query(metrics=("revenue",)), company=True)


def test_customer_views_are_scoped(cur, catalog, policy):
    scope = policy.viewer(PM).customer_scope()
    mine = customer_signals(cur, catalog, scope=scope)
    assert set(mine["portfolio"].to_list()) == {PORTFOLIO}
    assert customer_dimension_values(cur, "portfolio", scope=scope) == [PORTFOLIO]
    everyone = customer_signals(cur, catalog)
    other = everyone.filter(pl.col("portfolio") != PORTFOLIO)["customer_id"][0]
    assert not customer_timeline(cur, catalog, mine["customer_id"][0], scope=scope).is_empty()
    with pytest.raises(MetricsError, match="no customer"):
        customer_timeline(cur, catalog, other, scope=scope)
    with pytest.raises(AccessError, match="site"):
        policy.viewer(SITE_MANAGER).customer_scope()


def test_satisfaction_by_otif_is_scoped(cur, catalog, policy):
    viewer = policy.viewer(PM)
    q = Query(metrics=("csat",))
    as_of = run_query(cur, catalog, q).as_of
    scoped = satisfaction_by_otif(cur, catalog, viewer.scoped(catalog, q), as_of)
    filtered = satisfaction_by_otif(
        cur, catalog, q.replace(where=(("portfolio", (PORTFOLIO,)),)), as_of
    )
    assert_frame_equal(scoped, filtered)
    with pytest.raises(MetricsError, match="site"):
        satisfaction_by_otif(cur, catalog, q.replace(scope=(("site", ("DC-South",)),)), as_of)


# ---- the policy file ------------------------------------------------------------------------

GOOD = """\
roles:
  pm: {pages: [review], rows: {portfolio: [A]}}
users:
  a@x.example: {roles: [pm]}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("[review]", "[reveiw]"),
            "2: roles.pm.pages.0: unknown page 'reveiw'; did you mean 'review'?",
        ),
        (
            GOOD.replace("roles: [pm]", "roles: [pn]"),
            "4: users.a@x.example.roles.0: unknown role 'pn' (known: pm)",
        ),
        (
            GOOD.replace("portfolio:", "portfolo:"),
            "2: roles.pm.rows.portfolo: unknown dimension 'portfolo'; did you mean 'portfolio'?",
        ),
        (
            GOOD.replace("pages:", "pagez:"),
            "2: roles.pm.pagez: unknown key 'pagez'; did you mean 'pages'?",
        ),
        (
            GOOD.replace("a@x.example", "not-an-email"),
            "4: users.not-an-email: 'not-an-email' is not an email address",
        ),
        (GOOD + "  a@x.example: {roles: [pm]}\n", "5: users.a@x.example: key given twice"),
        (
            GOOD.replace("{pages: [review],", "{metrics: [otf], pages: [review],"),
            "unknown metric 'otf'; did you mean 'otif'?",
        ),
        (
            GOOD.replace("rows: {portfolio: [A]}", "rows: {portfolio: [A], site: [S]}")
            + "  b@x.example: {roles: [pm, pm2]}\n  pm2: {roles: [pm]}\n",
            "unknown role 'pm2'",
        ),
    ],
)
def test_a_bad_policy_is_refused_with_file_line_and_key(catalog, text, message):
    with pytest.raises(ConfigError) as err:
        parse_policy(parse_located(text, "access.yaml"), catalog)
    assert any(message in p for p in err.value.problems), err.value.problems
    assert all(p.startswith("access.yaml") for p in err.value.problems)


def test_grants_whose_scopes_could_widen_each_other_are_refused(catalog):
    text = """\
roles:
  north: {rows: {region: [North], site: [DC-North]}}
  south: {rows: {region: [South], site: [DC-South]}}
users:
  a@x.example: {roles: [north, south]}
"""
    with pytest.raises(ConfigError, match="cannot be combined safely"):
        parse_policy(parse_located(text, "access.yaml"), catalog)


def test_grants_on_one_dimension_add_up(catalog):
    text = """\
roles:
  pm: {pages: [review]}
users:
  a@x.example: {roles: [pm], rows: {portfolio: [A]}}
groups:
  team-b: {roles: [pm], rows: {portfolio: [B]}}
"""
    policy = parse_policy(parse_located(text, "access.yaml"), catalog)
    assert policy.viewer("A@X.example", ("team-b",)).scope == (("portfolio", ("A", "B")),)
    assert policy.viewer("a@x.example").scope == (("portfolio", ("A",)),)
    assert policy.viewer("someone@x.example") is None
    assert policy.viewer("someone@x.example", ("team-b",)).pages == frozenset({"review"})


# ---- kiosk links and the audit trail -------------------------------------------------------


def test_kiosk_links_open_only_while_unrevoked_and_untampered(tmp_path: Path):
    store = StateStore(tmp_path / "s.sqlite")
    link_id, token = kiosk.create(store, scope=(("portfolio", ("A",)),), label="Room 1")
    opened = kiosk.verify(store, token)
    assert opened is not None and opened.scope == (("portfolio", ("A",)),)
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert kiosk.verify(store, tampered) is None
    assert kiosk.verify(store, link_id) is None
    other_id, _ = kiosk.create(store, scope=(), label="Room 2")
    assert (
        kiosk.verify(store, f"{other_id}.{token.split('.')[1]}") is None
    )  # another link's signature
    assert kiosk.revoke(store, link_id)
    assert kiosk.verify(store, token) is None
    assert not kiosk.revoke(store, link_id)


def test_the_audit_trail_survives_a_new_load(tmp_path: Path, warehouse):
    db = tmp_path / "wh.duckdb"
    store = StateStore.beside(db)
    audit.record(
        store, email="a@x.example", event="view", page="explore", detail={"metric": "otif"}
    )
    out = run_cli("demo", "--db", db)
    assert out.returncode == 0, out.stderr
    entries = audit.entries(store)
    assert [(e["email"], e["event"], json.loads(e["detail"])) for e in entries] == [
        ("a@x.example", "view", {"metric": "otif"})
    ]
    listed = run_cli("audit", "--db", db, "--format", "json")
    assert json.loads(listed.stdout)[0]["page"] == "explore"
