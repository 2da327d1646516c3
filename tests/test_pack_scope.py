"""A review pack shows its reader only what the access policy lets them see (issue 24, findings
4 and 11): their rows, the metrics their role grants and does not hide, no money for a role
that hides revenue, and the alerts and actions within their rows. `northstar review --as` and
the scheduled packs build it the same way; a scheduled pack goes only to a person the policy
knows, and nowhere without a policy. Each sample role's pack is read back with pdftotext."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from tests.metric_support import ROOT

COO, PM = "coo@northstar.example", "helena.brandt@northstar.example"
SITE, LEAD = "site.dc.east@northstar.example", "contact.lead@northstar.example"
OTHER_PORTFOLIOS = ("Mid-Market", "Retail", "Wierzbicki", "Rahman", "Okafor", "Ferreira", "Solberg")
MONEY = ("Revenue", "Cost to serve", "Sales per contact", "€", "EUR", "still to ship", "Open value")
OTHER_SITES = ("DC-North", "DC-South", "Plant-Central")
# Actions in the log: one about another portfolio, one about revenue.
ACTIONS = (
    ("Retail South recovery plan", "otif", "portfolio=Retail South"),
    ("Price list review", "revenue", None),
)
ENV = {"NORTHSTAR_STATE": None, "NORTHSTAR_ACCESS": None, "NORTHSTAR_SMTP_URL": None}

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")

# reader -> (what their pack shows, what it must not show)
ROLES = {
    COO: (
        ("Revenue", "Cost to serve", "Retail South recovery plan", "Price list review",
         "portfolio=Key Accounts", "portfolio=Retail South", "site=DC-East"),
        (),
    ),
    PM: (
        ("portfolio: Key Accounts", "Revenue", "portfolio=Key Accounts", "Portfolio scoreboard"),
        (*OTHER_PORTFOLIOS, "Retail South recovery plan", "site=DC-East"),
    ),
    SITE: (
        ("whole company", "site: DC-East", "On-time dispatch", "site=DC-East", "Promises at risk"),
        (*MONEY, *OTHER_SITES, "CSAT", "Portfolio scoreboard", "portfolio=", "Price list review",
         "Retail South recovery plan", "The promise funnel"),
    ),
    LEAD: (
        ("CSAT", "Promises at risk", "Portfolio scoreboard", "portfolio=Key Accounts"),
        (*MONEY, "Price list review"),
    ),
}  # fmt: skip


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True)
    return " ".join(out.stdout.split())


def _cli(*args):
    return run_cli(*args, env=ENV)


@pytest.fixture(scope="module")
def wh(demo_build, tmp_path_factory) -> Path:
    """The sample warehouse with its alerts evaluated (none delivered: no mail server) and
    two actions in its log."""
    db = Path(shutil.copy(demo_build, tmp_path_factory.mktemp("pack-scope") / "wh.duckdb"))
    assert _cli("alerts", "run", "--db", db).returncode == 0
    for what, metric, where in ACTIONS:
        extra = ("--where", where) if where else ()
        add = _cli(
            "actions", "--db", db, "add", "--what", what, "--owner", "COO", "--due",
            "2026-12-01", "--metric", metric, "--decided", "2026-10-06", *extra,
        )  # fmt: skip
        assert add.returncode == 0, add.stderr
    return db


@pytest.mark.parametrize("email", list(ROLES))
def test_each_role_gets_a_pack_of_what_it_may_see(wh, tmp_path, email):
    pdf = tmp_path / "pack.pdf"
    done = _cli("review", "--as", email, "--pdf", pdf, "--db", wh)
    assert done.returncode == 0, done.stderr
    text = _text(pdf)
    shows, hides = ROLES[email]
    assert [h for h in hides if h in text] == []
    assert [s for s in shows if s not in text] == []


def _an_hour_ago() -> str:
    t = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    return f"{t.minute} {t.hour} * * *"


def _config(tmp: Path, subscriptions: dict[str, str], *, policy: bool) -> Path:
    """A project folder with the sample metrics (and policy) and these folder subscriptions."""
    config = tmp / "config"
    config.mkdir()
    for name in ("metrics.yaml", *(("access.yaml",) if policy else ())):
        shutil.copy(ROOT / "config" / name, config / name)
    subs = "".join(
        f"  {name}:\n    email: {email}\n    cron: '{_an_hour_ago()}'\n"
        f"    channel: folder\n    folder: {tmp / name}\n"
        for name, email in subscriptions.items()
    )
    (config / "subscriptions.yaml").write_text(
        f"settings: {{timezone: UTC}}\nsubscriptions:\n{subs}"
    )
    return config / "metrics.yaml"


def test_a_subscription_without_scope_gets_its_readers_rows_and_alerts(wh, tmp_path):
    config = _config(
        tmp_path, {"helena_all": PM, "stranger": "stranger@northstar.example"}, policy=True
    )
    done = _cli("schedule", "run", "--db", wh, "--config", config)
    assert done.returncode == 0, done.stderr
    (pdf,) = (tmp_path / "helena_all").glob("*.pdf")
    text = _text(pdf)
    assert [h for h in ROLES[PM][1] if h in text] == []
    assert "portfolio: Key Accounts" in text and "portfolio=Key Accounts" in text
    assert "schedule: 2 pack(s) due, 1 delivered" in done.stdout
    assert "FAILED: no pack for stranger@northstar.example: the access policy" in done.stdout
    assert not (tmp_path / "stranger").exists()


def test_without_an_access_policy_no_pack_is_sent(wh, tmp_path):
    config = _config(tmp_path, {"coo_nopolicy": COO}, policy=False)
    done = _cli("schedule", "run", "--db", wh, "--config", config)
    assert done.returncode == 0, done.stderr
    assert "schedule: 1 pack(s) due, 0 delivered" in done.stdout
    assert "FAILED: no pack for coo@northstar.example: there is no access policy at" in done.stdout
    assert not (tmp_path / "coo_nopolicy").exists()
