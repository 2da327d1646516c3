"""Issue 24, finding 2: the access policy and the metric owners decide who receives an alert,
never free text in an extract; the records attached are those the recipient may see; a
portfolio naming two managers is a load warning and the Portfolios page shows it.

tests/test_at_risk's five customers, with their portfolios rewritten: Key Accounts (A, C, D, E;
manager Ann Accountable, but D's row names Rita Rogue) and Retail (B, Rita Rogue). The policy
knows both, each scoped to her own portfolio, and the COO (every row: nobody's manager).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.access import load_policy
from metrics.alert_rules import evaluate
from metrics.alert_spec import load_alert_rules
from metrics.query import fetch_rows
from metrics.routing import Route, Router
from metrics.sqlgen import Query
from tests.app_support import open_page
from tests.cli_support import run_cli
from tests.conftest import query
from tests.metric_support import ROOT, build_fixture_warehouse, catalog_with, engine
from tests.test_alerts_delivery import Inbox, _project, smtp_server
from tests.test_at_risk import extracts

ANN, RITA, COO = (
    "ann.accountable@northstar.example",
    "rita.rogue@northstar.example",
    "coo@northstar.example",
)
# customer: (region, portfolio, portfolio_manager as the extract says)
CUSTOMERS = {
    "A": ("North", "Key Accounts", "Ann Accountable"),
    "B": ("North", "Retail", "Rita Rogue"),
    "C": ("South", "Key Accounts", "Ann Accountable"),
    "D": ("South", "Key Accounts", "Rita Rogue"),  # the hostile row: another manager
    "E": ("South", "Key Accounts", "Ann Accountable"),
}
POLICY = f"""
roles:
  coo: {{rows: all}}
  manager: {{pages: [review, portfolio, account]}}
  sites: {{metrics: [on_time_shipment]}}
users:
  {COO}: {{name: COO, roles: [coo]}}
  {ANN}: {{name: Ann Accountable, roles: [manager], rows: {{portfolio: [Key Accounts]}}}}
  {RITA}: {{name: Rita Rogue, roles: [manager], rows: {{portfolio: [Retail]}}}}
  dc1@northstar.example: {{name: DC1 lead, roles: [sites], rows: {{site: [DC1]}}}}
"""
BROKEN = "rules:\n  broken:\n    kind: customer\n    trigger: broken_promises\n    count: 4\n"


def write_sources(folder: Path) -> Path:
    src = extracts(folder)
    with (src / "customers.csv").open(newline="") as f:
        header, *rows = list(csv.reader(f))
    for row in rows:
        row[3:6] = CUSTOMERS[row[0]]
    with (src / "customers.csv").open("w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return src


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    return write_sources(tmp_path_factory.mktemp("routing") / "src")


@pytest.fixture(scope="module")
def db(tmp_path_factory, sources) -> Path:
    return build_fixture_warehouse(tmp_path_factory.mktemp("wh"), sources)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return catalog_with(tmp_path_factory.mktemp("cfg"), {"min_sample: 30": "min_sample: 0"})


@pytest.fixture(scope="module")
def policy(tmp_path_factory, catalog):
    path = tmp_path_factory.mktemp("policy") / "access.yaml"
    path.write_text(POLICY)
    return load_policy(path, catalog)


def _evaluate(tmp_path, db, catalog, rules: str, policy, as_of=dt.date(2026, 3, 31)):
    path = tmp_path / "alerts.yaml"
    path.write_text(rules)
    return evaluate(
        engine(db), catalog, load_alert_rules(path, catalog), as_of=as_of, policy=policy
    )


# ---- the routing rule, pure ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "value", "owner", "recipients", "expected"),
    [
        ("portfolio_manager", "Key Accounts", "COO", {}, Route("Ann Accountable", (ANN,))),
        ("portfolio_manager", "Retail", "COO", {}, Route("Rita Rogue", (RITA,))),
        ("site", "DC1", "Warehouse Manager", {}, Route("DC1 lead", ("dc1@northstar.example",))),
        # nobody's own rows name it (the COO sees every row: no manager): the metric's owner
        ("portfolio_manager", "Wholesale", "COO", {}, Route("COO", (COO,))),
        ("site", "DC9", "COO", {}, Route("COO", (COO,))),
        # an address the policy does not know is dropped; nobody left: fired, sent to no one
        ("owner", None, "Head of Logistics", {}, Route("Head of Logistics", ())),
        ("owner", None, "COO", {"COO": "boss@elsewhere.example"}, Route("COO", ())),
        (
            "owner",
            None,
            "COO",
            {"COO": ["boss@elsewhere.example", "COO@Northstar.Example"]},
            Route("COO", ("COO@Northstar.Example",)),  # known, whatever the case
        ),
    ],
)
def test_routes_come_from_the_policy_and_the_owners(
    policy, route, value, owner, recipients, expected
):
    assert Router(policy, recipients).route(route, value, owner=owner) == expected


def test_without_a_policy_every_alert_goes_to_the_metric_owner():
    router = Router(None, {"COO": "boss@elsewhere.example"})
    assert router.route("portfolio_manager", "Key Accounts", owner="Head of Sales") == Route(
        "Head of Sales", ("head.of.sales@northstar.example",)
    )
    assert router.route("owner", None, owner="COO") == Route("COO", ("boss@elsewhere.example",))


def test_the_records_are_narrowed_to_what_every_recipient_may_see(policy, catalog):
    router, q = Router(policy), Query(("otif",), where=(("region", ("North",)),))
    assert router.records(catalog, (ANN,), q).scope == (("portfolio", ("Key Accounts",)),)
    assert router.records(catalog, (COO,), q) == q  # every row
    assert router.records(catalog, ("dc1@northstar.example",), q) is None  # may not see otif
    assert router.records(catalog, ("nobody@elsewhere.example",), q) is None
    assert Router(None).records(catalog, (ANN,), q) == q


# ---- evaluation on the warehouse -------------------------------------------------------------


def test_a_customer_row_naming_another_manager_is_a_load_warning(db):
    warned = query(db, 'SELECT rule, "column", value FROM warnings WHERE "table" = \'customers\'')
    assert warned == [
        (
            "second_manager",
            "portfolio_manager",
            "Rita Rogue (most customers of Key Accounts name Ann Accountable)",
        )
    ]  # D's row: kept (rows read = loaded), listed; Rita's own Retail row is no warning
    assert query(db, "SELECT count(*) FROM customers") == [(5,)]


def test_the_extract_does_not_decide_who_receives_an_alert(tmp_path, db, catalog, policy):
    rules = BROKEN + (
        "  otif_portfolio:\n    kind: off_target\n    metric: otif\n    by: [portfolio]\n"
        "    route_to: portfolio_manager\n"
    )
    got = _evaluate(tmp_path, db, catalog, rules, policy, as_of=dt.date(2026, 3, 15))
    sent = {(a.rule, tuple(dict(a.scope).values())[0]): (a.owner, a.recipients) for a in got}
    assert sent == {
        ("broken", "B"): ("Rita Rogue", (RITA,)),  # her own portfolio
        ("broken", "C"): ("Ann Accountable", (ANN,)),
        ("broken", "D"): ("Ann Accountable", (ANN,)),  # D's row names Rita: she gets nothing
        ("otif_portfolio", "Key Accounts"): ("Ann Accountable", (ANN,)),
        ("otif_portfolio", "Retail"): ("Rita Rogue", (RITA,)),
    }


def test_without_a_policy_the_owners_receive_the_alerts(tmp_path, db, catalog):
    got = _evaluate(tmp_path, db, catalog, BROKEN, None)
    assert len(got) == 3 and {(a.owner, a.recipients) for a in got} == {("COO", (COO,))}


def test_an_owner_alert_to_a_narrower_user_carries_only_her_rows(tmp_path, db, catalog, policy):
    """The COO's by-region alert mapped to Ann (recipients:): North's failing orders are A's
    (Key Accounts) and B's (Retail); her attachment holds A's only."""
    rules = (
        f"recipients: {{COO: {ANN}}}\nrules:\n  r:\n    kind: off_target\n    metric: otif\n"
        "    by: [region]\n"
    )
    got = _evaluate(tmp_path, db, catalog, rules, policy, as_of=dt.date(2026, 3, 15))
    north = next(a for a in got if dict(a.scope) == {"region": "North"})
    assert (north.owner, north.recipients) == ("COO", (ANN,))
    rows = fetch_rows(engine(db), catalog, "otif", north.records, failing=True)
    assert set(rows["customer_id"]) == {"A"} and rows.height == 3


# ---- delivered, to a real SMTP server --------------------------------------------------------


def _mails(inbox: Inbox) -> dict[str, list[str]]:
    """Per address: the customers of the alerts it received (one digest per address)."""
    got: dict[str, list[str]] = {}
    for m in inbox.messages:
        assert m["To"] not in got, f"two messages to {m['To']} in one run"
        body = m.get_body(("plain",)).get_content()
        got[m["To"]] = sorted(re.findall(r"^- .*?\((\w)\): ", body, re.M))
    return {to: c for to, c in got.items() if c}


def _load(tmp: Path, sources: Path, alerts: str, policy: str | None, url: str):
    config = _project(tmp, alerts, policy)
    db = tmp / "wh.duckdb"
    done = run_cli("load", sources, "--db", db, "--config", config, env={"NORTHSTAR_SMTP_URL": url})
    assert done.returncode == 0, done.stderr
    return done, db


def test_key_accounts_alerts_reach_the_policys_manager_only(tmp_path, sources):
    with smtp_server(Inbox()) as (inbox, url):
        done, _ = _load(tmp_path, sources, BROKEN, POLICY, url)
    assert _mails(inbox) == {ANN: ["C", "D"], RITA: ["B"]}  # D's row names Rita: not hers
    assert "kept with a warning 1 (second_manager: 1)" in done.stdout
    mail = next(m for m in inbox.messages if m["To"] == ANN)
    attached = {x.get_filename(): x.get_content() for x in mail.iter_attachments()}
    rows = attached["broken-D-records.csv"].splitlines()
    assert len(rows) == 6 and all(",D," in r for r in rows[1:])  # D's five broken orders


def test_a_missing_policy_sends_to_the_owners_only(tmp_path, sources):
    with smtp_server(Inbox()) as (inbox, url):
        _load(tmp_path, sources, BROKEN, None, url)
    assert _mails(inbox) == {COO: ["B", "C", "D"]}


def test_a_recipient_the_policy_does_not_know_gets_nothing(tmp_path, sources):
    rules = f"recipients: {{COO: boss@elsewhere.example}}\n{BROKEN}    route_to: owner\n"
    with smtp_server(Inbox()) as (inbox, url):
        done, db = _load(tmp_path, sources, rules, POLICY, url)
    assert inbox.messages == []
    assert "alerts: 3 new, 0 ongoing, 0 recovered; 0 delivered, 3 failed" in done.stdout
    listed = json.loads(run_cli("alerts", "list", "--db", db, "--format", "json").stdout)
    assert {(e["outcome"], e["detail"], e["to"]) for e in listed} == {
        ("rejected", "no recipient address", "")
    }  # fired and recorded, sent to no one
    dry = run_cli(
        "alerts", "run", "--dry-run", "--format", "json", "--db", db,
        "--config", tmp_path / "config" / "metrics.yaml",
    )  # fmt: skip
    assert {(a["owner"], tuple(a["recipients"])) for a in json.loads(dry.stdout)} == {("COO", ())}


def test_a_broken_policy_fails_the_run_with_its_config_error(tmp_path, db):
    config = _project(tmp_path, BROKEN, "roles:\n  manager: {pages: al}\n")
    done = run_cli("alerts", "run", "--dry-run", "--db", db, "--config", config)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{tmp_path / 'config' / 'access.yaml'}:2: roles.manager.pages" in done.stderr


# ---- the Portfolios page ---------------------------------------------------------------------


def test_the_portfolios_page_shows_a_portfolio_with_two_managers(db, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NORTHSTAR_CONFIG", raising=False)
    monkeypatch.setenv("NORTHSTAR_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params["period"] = "2026-03-09"  # the week the orders were due
    open_page(at, "pages/portfolios.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    board = at.dataframe[0].value.set_index("portfolio")
    assert board.loc["Key Accounts", "portfolio_manager"] == "Ann Accountable / Rita Rogue"
    assert board.loc["Retail", "portfolio_manager"] == "Rita Rogue"
    assert board.index.is_unique
    # measured as one portfolio: A, C, D and E's 19 orders, of which C's and D's 9 and A's 3 broke
    assert board.loc["Key Accounts", "otif"] == pytest.approx(7 / 19)
    assert any("more than one manager for Key Accounts" in w.value for w in at.warning)
