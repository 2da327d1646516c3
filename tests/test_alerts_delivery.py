"""Alerts end to end: `northstar load` (a subprocess) delivers to a real SMTP server (aiosmtpd)
and a real HTTP webhook; values match `northstar query`; no repeats; recovery; a dead server."""

from __future__ import annotations

import contextlib
import email
import json
import re
import shutil
import socket
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.cli_support import run_cli
from tests.metric_support import ROOT
from tests.test_at_risk import extracts

SAMPLE = ROOT / "sample_data"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_server(handler):
    """A real SMTP server on loopback handing each message to ``handler``; yields it and its URL."""
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


@pytest.fixture
def smtp():
    with smtp_server(Inbox()) as served:
        yield served


@pytest.fixture
def hook():
    posts: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield posts, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def _project(tmp: Path, alerts_text: str, policy: str | None = None) -> Path:
    """A project folder with the shipped metrics.yaml, these alert rules and, given ``policy``
    (the access.yaml text that routes the alerts), an access policy."""
    config = tmp / "config"
    config.mkdir()
    shutil.copy(ROOT / "config" / "metrics.yaml", config / "metrics.yaml")
    (config / "alerts.yaml").write_text(alerts_text)
    if policy is not None:
        (config / "access.yaml").write_text(policy)
    return config / "metrics.yaml"


def _cli(*args, env: dict[str, str]):
    return run_cli(*args, cwd=Path.cwd(), env=env)


def _sample_alerts() -> str:
    text = (ROOT / "config" / "alerts.yaml").read_text()
    marker = "    route_to: portfolio_manager\n"
    assert marker in text
    return text.replace(marker, marker + "    channels: [email, ops_chat]\n", 1)


def _body(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_load_sends_each_recipient_one_digest_of_their_alerts(tmp_path, smtp, hook):
    inbox, url = smtp
    posts, hook_url = hook
    config = _project(tmp_path, _sample_alerts(), (ROOT / "config" / "access.yaml").read_text())
    db = tmp_path / "wh.duckdb"
    env = {
        "NORTHSTAR_SMTP_URL": url,
        "NORTHSTAR_WEBHOOK_URL": hook_url,
        "NORTHSTAR_BASE_URL": "https://ns.example",
    }
    args = ("load", SAMPLE, "--db", db, "--config", config, "--sources", SAMPLE / "sources.yaml")
    done = _cli(*args, env=env)
    assert done.returncode == 0, done.stderr
    assert "alerts: 29 new, 0 ongoing, 0 recovered; 34 delivered, 0 failed" in done.stdout
    assert len(posts) == 5
    # one e-mail per recipient, whatever their number of alerts
    to = [m["To"] for m in inbox.messages]
    assert len(to) == len(set(to)) and 1 < len(to) < 29
    assert "coo@northstar.example" in to

    listed = json.loads(_cli("alerts", "list", "--db", db, "--format", "json", env=env).stdout)
    off = [e for e in listed if e["rule"] == "otif_off_target" and e["channel"] == "email"]
    assert len(off) == 5 and {e["outcome"] for e in off} == {"sent"}
    # the values and periods sent are those `northstar query` gives for the same scope and week
    first = json.loads(
        _cli(
            "alerts",
            "run",
            "--dry-run",
            "--format",
            "json",
            "--db",
            db,
            "--config",
            config,
            env=env,
        ).stdout
    )
    week = next(a for a in first if a["rule"] == "otif_off_target")["period"]
    end = next(a for a in first if a["rule"] == "otif_off_target")["period_end"]
    q = _cli(
        "query",
        "--metric",
        "otif",
        "--by",
        "portfolio",
        "--grain",
        "week",
        "--from",
        week,
        "--to",
        end,
        "--db",
        db,
        "--config",
        config,
        "--format",
        "json",
        env=env,
    )
    truth = {r["portfolio"]: r["otif"] for r in json.loads(q.stdout)}
    managers = {"Key Accounts": "helena.brandt", "Retail East & West": "daniel.okafor"}
    for a in first:
        if a["rule"] != "otif_off_target":
            continue
        assert a["state"] == "ongoing" and a["value"] == truth[a["scope"]["portfolio"]]
        assert a["value"] < a["target"]
        if a["scope"]["portfolio"] in managers:
            who = managers[a["scope"]["portfolio"]]
            mail = next(m for m in inbox.messages if m["To"] == f"{who}@northstar.example")
            body = _body(mail)
            assert a["summary"] in body and "https://ns.example/explore?" in body
            # in the metric's unit, with the records it rests on; no rule code, no fraction
            shown = f"Value: {a['value'] * 100:.1f}% (over {a['n']:,} records)"
            assert shown in body and "Metric: OTIF" in body and "Main miss reason: " in body
            assert f"{a['value']:.4g}" not in body
            name = f"otif_off_target-{a['scope']['portfolio']}"
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
            attachment = next(
                x for x in mail.iter_attachments() if x.get_filename().startswith(safe)
            )
            rows = attachment.get_content().splitlines()
            failing = a["n"] - round(a["value"] * a["n"])
            assert rows[0].startswith("order_id,") and len(rows) - 1 == failing
    assert "Key Accounts" in json.dumps(posts) and "Open in North Star" in posts[0]["text"]
    site = next(m for m in inbox.messages if m["To"] == "site.dc.east@northstar.example")
    assert "On-time dispatch" in _body(site) and "localhost" not in _body(site)
    coo = next(m for m in inbox.messages if m["To"] == "coo@northstar.example")
    assert "Run summary" in _body(coo) and "This run: 29 new." in _body(coo)

    sent = len(inbox.messages)
    again = _cli(*args, env=env)  # the same extracts: nothing changes, nothing new is sent
    assert again.returncode == 0, again.stderr
    assert "alerts: 0 new, 29 ongoing, 0 recovered; 0 delivered" in again.stdout
    assert len(inbox.messages) == sent and len(posts) == 5


def test_a_dead_smtp_server_is_reported_and_the_load_lands(tmp_path):
    config = _project(tmp_path, (ROOT / "config" / "alerts.yaml").read_text())
    db = tmp_path / "wh.duckdb"
    env = {"NORTHSTAR_SMTP_URL": f"smtp://127.0.0.1:{_free_port()}"}  # nothing listens there
    done = _cli(
        "load",
        SAMPLE,
        "--db",
        db,
        "--config",
        config,
        "--sources",
        SAMPLE / "sources.yaml",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "loaded into" in done.stdout and "0 delivered, 29 failed" in done.stdout
    assert (
        "warning: email delivery failed for 29 alert(s): failed after 3 attempt(s)" in done.stderr
    )
    q = _cli(
        "query",
        "--metric",
        "measured_orders",
        "--db",
        db,
        "--config",
        config,
        "--format",
        "json",
        env=env,
    )
    assert q.returncode == 0 and json.loads(q.stdout)[0]["measured_orders"] > 0
    listed = json.loads(_cli("alerts", "list", "--db", db, "--format", "json", env=env).stdout)
    assert listed and {e["outcome"] for e in listed} == {"failed"}


def test_a_channel_without_its_server_is_not_attempted(tmp_path):
    """No SMTP server configured: no notice is prepared for email (its records are not read),
    each is reported as not attempted, and the load lands."""
    config = _project(tmp_path, (ROOT / "config" / "alerts.yaml").read_text())
    done = _cli(
        "load",
        SAMPLE,
        "--db",
        tmp_path / "wh.duckdb",
        "--config",
        config,
        "--sources",
        SAMPLE / "sources.yaml",
        env={"NORTHSTAR_SMTP_URL": ""},
    )
    assert done.returncode == 0, done.stderr
    assert "loaded into" in done.stdout and "0 delivered, 29 failed" in done.stdout
    assert (
        "warning: email delivery failed for 29 alert(s): not attempted: no SMTP server: "
        "set NORTHSTAR_SMTP_URL" in done.stderr
    )


ANN_MANAGES_P1 = """
roles: {manager: {pages: [portfolio]}}
users: {ann@northstar.example: {name: Ann, roles: [manager], rows: {portfolio: [P1]}}}
"""
RECOVERY_RULES = """
rules:
  broken:
    kind: customer
    trigger: broken_promises
    count: 3
    days: 30
    notify_recovery: true
"""


def test_a_recovered_alert_sends_its_note(tmp_path, smtp):
    inbox, url = smtp
    src = extracts(tmp_path / "src")
    config = _project(tmp_path, RECOVERY_RULES, ANN_MANAGES_P1)
    db = tmp_path / "wh.duckdb"
    env = {"NORTHSTAR_SMTP_URL": url}
    done = _cli("load", src, "--db", db, "--config", config, env=env)
    assert done.returncode == 0, done.stderr
    # A has 3 broken promises, B 5, C 4, D 5 (E none): four alerts to their manager Ann
    assert "alerts: 4 new" in done.stdout
    # one digest to their manager Ann, the four customers in it; no base URL set: said so
    assert [m["To"] for m in inbox.messages] == ["ann@northstar.example"]
    body = _body(inbox.messages[0])
    assert sorted(re.findall(r"\((\w)\): (\d) broken promises", body)) == [
        ("A", "3"),
        ("B", "5"),
        ("C", "4"),
        ("D", "5"),
    ]
    assert "Value: 3 (over " in body and "Scope: Customer A" in body
    assert "4 alerts: " in inbox.messages[0]["Subject"] and "set settings.base_url" in body
    # a later extract: B's five orders were delivered in full before their due dates after all
    later = tmp_path / "later"
    later.mkdir()
    header = "shipment_id,order_id,line_id,carrier,ship_date,delivered_date,qty_shipped,qty_damaged,freight_cost"
    lines = [f"SLATE{i},OB{i},1,Swift,2026-03-05,2026-03-08,10,0,5" for i in range(5)]
    (later / "shipments.csv").write_text("\n".join([header, *lines]) + "\n")
    done = _cli("load", later, "--db", db, "--config", config, env=env)
    assert done.returncode == 0, done.stderr
    assert "alerts: 0 new, 3 ongoing, 1 recovered; 1 delivered" in done.stdout
    assert len(inbox.messages) == 2
    note = _body(inbox.messages[1])
    assert "This alert no longer fires: " in note and "(B)" in note and "(recovered)" in note
    listed = json.loads(_cli("alerts", "list", "--db", db, "--format", "json", env=env).stdout)
    assert listed[0]["state"] == "recovered" and listed[0]["to"] == "ann@northstar.example"
