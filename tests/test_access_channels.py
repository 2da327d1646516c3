"""Access scope in every channel besides the pages: the command line's --as answers as the
query filtered to the user's scope, access and kiosk commands, `check`, review packs and
scheduled packs as their reader sees them, every download audited, alerts routed by the policy."""

# ruff: noqa: F811  (pytest fixtures imported from the access scope tests)
from __future__ import annotations

import json
from pathlib import Path

import pytest

from metrics.access import AccessError, viewer_as
from metrics.errors import MetricsError
from state import kiosk
from state.store import StateStore
from tests.conftest import run_cli
from tests.metric_support import CONFIG
from tests.test_access_scope import (  # noqa: F401 (catalog, policy: fixtures)
    GOOD,
    PM,
    PORTFOLIO,
    SITE_MANAGER,
    catalog,
    policy,
)

# ---- the command line's --as --------------------------------------------------------------


def test_query_as_a_user_equals_the_query_filtered_to_their_scope(warehouse):
    args = (
        "query",
        "--metric",
        "otif,contacts,csat",
        "--by",
        "region",
        "--grain",
        "month",
        "--db",
        warehouse,
        "--format",
        "json",
    )
    scoped = run_cli(*args, "--as", PM)
    filtered = run_cli(*args, "--where", f"portfolio={PORTFOLIO}")
    assert scoped.returncode == 0, scoped.stderr
    assert json.loads(scoped.stdout) == json.loads(filtered.stdout)
    widened = run_cli(*args, "--as", PM, "--where", "portfolio=Retail South")
    assert all(r["contacts"] in (None, 0) for r in json.loads(widened.stdout))
    assert "portfolio=Retail South lies outside what" in widened.stderr


def test_rows_as_a_user_list_only_their_records(warehouse):
    out = run_cli(
        "rows",
        "--metric",
        "otif_line",
        "--limit",
        "0",
        "--db",
        warehouse,
        "--as",
        SITE_MANAGER,
        "--format",
        "json",
        "--limit",
        "500",
    )
    assert out.returncode == 0, out.stderr
    sites = {r["site"] for r in json.loads(out.stdout)}
    assert sites == {"DC-South"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("query", "--metric", "otif", "--as", "nobody@northstar.example"),
            "does not know 'nobody@northstar.example'",
        ),
        (
            ("query", "--metric", "revenue", "--as", "contact.lead@northstar.example"),
            "may not see the metric 'revenue'",
        ),
        (("rows", "--metric", "otif", "--as", SITE_MANAGER), "may not see the metric 'otif'"),
        (("rejects", "--as", PM), "may not see rejected rows"),
    ],
)
def test_as_refusals_are_plain_and_exit_1(warehouse, args, message):
    out = run_cli(*args, "--db", warehouse)
    assert out.returncode == 1
    assert message in out.stderr and "Traceback" not in out.stderr


def test_access_prints_what_a_user_may_see(warehouse):
    out = run_cli("access", PM, "--format", "json")
    assert out.returncode == 0, out.stderr
    facts = json.loads(out.stdout)
    assert facts["rows"] == f"portfolio = {PORTFOLIO}"
    assert "explore" in facts["pages"] and "data" not in facts["pages"]
    assert run_cli("access", "nobody@x.example").returncode == 1


def test_kiosk_commands_create_list_and_revoke(tmp_path: Path):
    db = tmp_path / "wh.duckdb"
    made = run_cli(
        "kiosk", "create", "--scope", f"portfolio={PORTFOLIO}", "--label", "S&OP", "--db", db
    )
    assert made.returncode == 0, made.stderr
    link_id = made.stdout.split()[2]
    token = made.stdout.split("kiosk=")[1].split("&")[0]
    assert kiosk.verify(StateStore.beside(db), token).scope == (("portfolio", (PORTFOLIO,)),)
    listed = json.loads(run_cli("kiosk", "list", "--db", db, "--format", "json").stdout)
    assert [(r["id"], r["revoked_at"]) for r in listed] == [(link_id, None)]
    assert run_cli("kiosk", "revoke", link_id, "--db", db).returncode == 0
    assert kiosk.verify(StateStore.beside(db), token) is None
    again = run_cli("kiosk", "revoke", link_id, "--db", db)
    assert again.returncode == 1 and "no open kiosk link" in again.stderr
    bad = run_cli("kiosk", "create", "--scope", "portfolo=A", "--db", db)
    assert bad.returncode == 1 and "unknown dimension 'portfolo'" in bad.stderr


def test_check_covers_the_access_policy(tmp_path: Path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "metrics.yaml").write_text(CONFIG.read_text())
    (config / "access.yaml").write_text(GOOD.replace("[review]", "[reveiw]"))
    out = run_cli("check", "--config", config / "metrics.yaml")
    assert out.returncode == 1
    assert f"{config / 'access.yaml'}:2: roles.pm.pages.0: unknown page 'reveiw'" in out.stderr


def test_viewer_as_needs_a_policy(tmp_path: Path, catalog):
    with pytest.raises(MetricsError, match="needs an access policy"):
        viewer_as(tmp_path / "access.yaml", catalog, PM)


def test_the_review_pack_as_a_user_shows_their_rows_only(warehouse, tmp_path: Path):
    pdf = tmp_path / "pack.pdf"
    out = run_cli("review", "--pdf", pdf, "--as", PM, "--db", warehouse)
    assert out.returncode == 0, out.stderr
    import subprocess

    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert f"portfolio: {PORTFOLIO}" in text
    refused = run_cli("review", "--pdf", pdf, "--as", "nobody@northstar.example", "--db", warehouse)
    assert refused.returncode == 1 and "does not know" in refused.stderr


def test_a_scheduled_pack_takes_its_recipients_scope_from_the_policy(catalog):
    from notify.schedule import recipient_scope

    assert recipient_scope(CONFIG, catalog, PM) == (("portfolio", (PORTFOLIO,)),)
    assert recipient_scope(CONFIG, catalog, "coo@northstar.example") == ()
    with pytest.raises(AccessError, match="does not know"):
        recipient_scope(CONFIG, catalog, "stranger@elsewhere.example")


def test_every_download_on_the_pages_is_written_to_the_audit_trail():
    import ast

    from tests.metric_support import ROOT

    found = 0
    for path in sorted((ROOT / "pages").glob("*.py")) + sorted((ROOT / "ui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button":
                found += 1
                data = ast.unparse(node.args[1])  # made on the click, audited then
                assert data.startswith("access.audited_download("), (
                    f"{path.name}:{node.lineno}: a download without an audit entry"
                )
    assert found >= 3


def test_alerts_go_to_people_the_access_policy_lets_see_them(warehouse, policy, catalog):
    """The directory alerts route through is the access policy's: a portfolio's or a site's
    alert reaches a user the policy knows, whose rows include what the alert is about."""
    out = run_cli("alerts", "run", "--dry-run", "--format", "json", "--db", warehouse)
    assert out.returncode == 0, out.stderr
    alerts = json.loads(out.stdout)
    routed = [a for a in alerts if {"portfolio", "site"} & set(a["scope"])]
    assert routed, "the sample fires portfolio and site alerts"
    for alert in routed:
        for email in alert["recipients"]:
            viewer = policy.viewer(email)
            assert viewer is not None, f"{email} gets an alert but is unknown to the policy"
            allowed = dict(viewer.scope)
            for dim, value in alert["scope"].items():
                assert dim not in allowed or value in allowed[dim], (email, alert["scope"])
