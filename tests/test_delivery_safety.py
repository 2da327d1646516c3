"""Delivery that fails closed (issue 24, findings 3, 6, 10 and the state file of 11): one bad
message never stops the others, a channel that was down gets only what it missed, a run killed
mid-send is finished by the next once its lease expires (never twice), `northstar check`
refuses the policies that grant more than they read, the state file is its owner's only.

Alerts run on tests/test_output_safety's hostile warehouse against a real SMTP server
(aiosmtpd) and a real webhook; ``HOSTILE_POLICIES`` is the table of hostile access.yaml texts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from functools import partial
from pathlib import Path

import pytest

from metrics.access import parse_policy
from metrics.alert_lifecycle import Outcome
from metrics.alert_spec import AlertsFile, EmailChannel
from metrics.catalog import load_catalog
from metrics.errors import ConfigError
from metrics.located_yaml import parse_located
from metrics.subscription_spec import SubscriptionsFile
from notify import email, schedule
from notify.alerting import run_alerts
from notify.channels import with_retries
from state import kiosk, schedule_state
from state.store import StateStore
from store.engines import open_engine
from tests import test_alerts_delivery, test_output_safety
from tests.cli_support import run_cli
from tests.test_access_scope import CONFIG, GOOD
from tests.test_alerts_delivery import Inbox, _free_port, smtp_server
from tests.test_output_safety import NAMES, REFUSED, UNSAFE, notice_for, plain_text

smtp, hook = test_alerts_delivery.smtp, test_alerts_delivery.hook  # a mail server, a webhook
hostile_db = test_output_safety.hostile_db

RULES = """
settings: {retries: 1}
channels:
  webhooks:
    chat: {url_env: NORTHSTAR_WEBHOOK_URL, format: slack}
rules:
  broken:
    kind: customer
    trigger: broken_promises
    count: 3
    days: 30
    channels: [email, chat]
"""


class Refusing(Inbox):
    """A mail server that has no mailbox for REFUSED."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_smtp():
    with smtp_server(Refusing()) as served:
        yield served


def _alerts_run(tmp: Path, hostile_db, **env: str):
    db, config = hostile_db
    rules = tmp / "alerts.yaml"
    rules.write_text(RULES)
    env = {"NORTHSTAR_STATE": str(tmp / "state.sqlite"), **env}
    return run_cli("alerts", "run", "--alerts", rules, "--db", db, "--config", config, env=env)


def _customers(inbox) -> list[str]:
    """The customers of the alerts received, by the ids in each digest's lines."""
    return sorted(
        c
        for m in inbox.messages
        for c in re.findall(r"^- .*?\((\w)\): ", m.get_body(("plain",)).get_content(), re.M)
    )


def test_one_bad_message_never_stops_the_others(tmp_path, hostile_db, refusing_smtp, hook):
    inbox, url = refusing_smtp
    posts, hook_url = hook
    env = {"NORTHSTAR_SMTP_URL": url, "NORTHSTAR_WEBHOOK_URL": hook_url}
    done = _alerts_run(tmp_path, hostile_db, **env)
    assert done.returncode == 0, done.stderr
    # A's mail is refused (its manager has no mailbox); B's name holds CR/LF; both go on
    assert "alerts: 4 new, 0 ongoing, 0 recovered; 7 delivered, 1 failed" in done.stdout
    assert f"warning: email delivery failed for 1 alert(s): the server refused {REFUSED}" in (
        done.stderr
    )
    assert _customers(inbox) == ["B", "C", "D"] and len(posts) == 4
    mail_b = next(m for m in inbox.messages if "(B)" in m["Subject"])  # B, C, D: one manager
    assert mail_b["Subject"].startswith(f"[North Star] 3 alerts: {plain_text(NAMES['B'])} (B): ")
    assert all(m["Bcc"] is None and not UNSAFE.search(m["Subject"]) for m in inbox.messages)
    assert "<!channel>" not in str(posts) and "&lt;!channel&gt;" in str(posts)

    again = _alerts_run(tmp_path, hostile_db, **env)  # only A's mail is tried again
    assert "alerts: 0 new, 4 ongoing, 0 recovered; 0 delivered, 1 failed" in again.stdout
    assert len(inbox.messages) == 1 and len(posts) == 4  # one digest: B, C and D
    state = {"NORTHSTAR_STATE": str(tmp_path / "state.sqlite")}
    listed = run_cli("alerts", "list", "--db", hostile_db[0], "--format", "json", env=state)
    mails = {
        (e["scope"], e["outcome"]) for e in json.loads(listed.stdout) if e["channel"] == "email"
    }
    assert mails == {("customer_id=A", "rejected")} | {(f"customer_id={c}", "sent") for c in "BCD"}


def test_a_channel_that_was_down_gets_only_what_it_missed(
    tmp_path, hostile_db, refusing_smtp, hook
):
    inbox, url = refusing_smtp
    posts, hook_url = hook
    down = {"NORTHSTAR_SMTP_URL": f"smtp://127.0.0.1:{_free_port()}"}  # nothing listens
    first = _alerts_run(tmp_path, hostile_db, NORTHSTAR_WEBHOOK_URL=hook_url, **down)
    assert "alerts: 4 new, 0 ongoing, 0 recovered; 4 delivered, 4 failed" in first.stdout
    assert len(posts) == 4

    up = _alerts_run(tmp_path, hostile_db, NORTHSTAR_WEBHOOK_URL=hook_url, NORTHSTAR_SMTP_URL=url)
    assert "alerts: 0 new, 4 ongoing, 0 recovered; 3 delivered, 1 failed" in up.stdout
    assert _customers(inbox) == ["B", "C", "D"] and len(posts) == 4  # the chat is not re-posted


def test_a_message_refused_for_some_recipients_only_is_not_sent_again(refusing_smtp):
    inbox, url = refusing_smtp
    msg = email.message(notice_for("Acme"), sender="n@x.example", to=(REFUSED, "ann@x.example"))
    status, detail = with_retries(lambda: email.send(EmailChannel(smtp_url=url), msg), 3)
    assert (status, detail) == (
        "partly sent",
        f"delivered, except to {REFUSED} (550 5.1.1 no such mailbox)",
    )
    assert len(inbox.messages) == 1 and Outcome("k", "email", (), status, detail).final


def test_a_run_killed_mid_send_is_finished_by_the_next_once_its_lease_expires(
    tmp_path, hostile_db, smtp, monkeypatch
):
    inbox, url = smtp
    db, config = hostile_db
    rules = tmp_path / "alerts.yaml"
    rules.write_text(RULES.replace("[email, chat]", "[email]"))
    monkeypatch.setenv("NORTHSTAR_SMTP_URL", url)
    state = StateStore(tmp_path / "state.sqlite")
    connect = partial(open_engine, db, None, config_path=config)
    t0 = dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)

    def run(minutes: int):
        return run_alerts(connect, state, config, rules, now=t0 + dt.timedelta(minutes=minutes))

    send = email.send

    def killed_at_the_second(cfg, msg):
        if inbox.messages:
            raise KeyboardInterrupt  # kill -9 while sending the second message
        return send(cfg, msg)

    monkeypatch.setattr(email, "send", killed_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        run(0)
    assert len(inbox.messages) == 1
    monkeypatch.setattr(email, "send", send)
    assert run(5).outcomes == ()  # the killed run's lease holds: nothing is sent twice
    finished = run(11)  # the lease (10 minutes) has expired: the rest goes, once
    assert [o.ok for o in finished.outcomes] == [True] * 3
    assert _customers(inbox) == ["A", "B", "C", "D"]  # A's manager, then B, C and D's in one
    assert run(20).outcomes == () and len(inbox.messages) == 2


def test_an_interrupted_pack_is_sent_by_the_next_run_after_its_lease(tmp_path, monkeypatch):
    spec = SubscriptionsFile.model_validate(
        {"subscriptions": {"coo": {"email": "coo@northstar.example", "cron": "0 7 * * *"}}}
    )
    store = StateStore(tmp_path / "state.sqlite")
    t0 = dt.datetime(2026, 4, 1, 7, 30, tzinfo=dt.UTC)
    tries: list[str] = []

    def send(connect, config_path, sub, channels, store):
        tries.append(sub.email)
        if len(tries) == 1:
            raise KeyboardInterrupt  # killed while making or sending the pack
        return True, "sent"

    monkeypatch.setattr(schedule, "_send", send)

    def run(minutes: int):
        now = t0 + dt.timedelta(minutes=minutes)
        return schedule.run_due(None, store, CONFIG, spec, AlertsFile(), now=now)

    with pytest.raises(KeyboardInterrupt):
        run(0)
    assert run(5) == [] and len(tries) == 1  # still claimed by the killed run
    assert [s.ok for s in run(11)] == [True] and len(tries) == 2  # its lease expired
    assert run(12) == [] and len(tries) == 2
    assert [r["outcome"] for r in schedule_state.sends(store)] == ["sent"]


def test_the_state_file_is_readable_by_its_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        store = StateStore(tmp_path / "state.sqlite")
        kiosk.create(store, scope=(), label="S&OP room")  # the file holds the kiosk secret
        with store.session() as con:
            con.execute("CREATE TABLE IF NOT EXISTS t (x)")
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
        assert {"state.sqlite", "state.sqlite-wal"} <= set(modes)
        assert set(modes.values()) == {0o600}, modes
        legacy = tmp_path / "legacy.sqlite"  # made world-readable by an earlier version
        legacy.touch()
        legacy.chmod(0o644)
        StateStore(legacy).read("SELECT 1")
        assert stat.S_IMODE(legacy.stat().st_mode) == 0o600
    finally:
        os.umask(old)


# ---- policies that grant more than they read -------------------------------------------------

LEAD = "roles:\n  lead: {hide_metrics: [contacts]}\nusers:\n  l@x.example: {roles: [lead]}\n"
HOSTILE_POLICIES = {
    "rows: {} on a role": (
        GOOD.replace("rows: {portfolio: [A]}", "rows: {}"),
        "access.yaml:2: roles.pm.rows: rows: {} names no dimension, so it grants every row;"
        " write rows: all if every row is meant, or name them",
    ),
    "rows: {} on a user": (
        GOOD + "  b@x.example: {roles: [pm], rows: {}}\n",
        "access.yaml:5: users.b@x.example.rows: rows: {} names no dimension",
    ),
    "an address again in other case": (
        GOOD + "  A@X.example: {roles: [pm], rows: {portfolio: [B]}}\n",
        "access.yaml:5: users.A@X.example: 'A@X.example' is 'a@x.example' (line 4) in other"
        " case; addresses match whatever their case, so one entry would silently override the"
        " other: keep one",
    ),
    "a derived metric visible, a part hidden": (
        LEAD,
        "access.yaml:2: roles.lead.hide_metrics.0: 'contacts' is hidden, but"
        " 'contacts_per_100_orders' (100 * contacts / measured_orders) stays visible and"
        " reveals it; hide 'contacts_per_100_orders' too",
    ),
    "a derived metric granted, a part not": (
        LEAD.replace(
            "{hide_metrics: [contacts]}", "{metrics: [measured_orders, contacts_per_100_orders]}"
        ),
        "access.yaml:2: roles.lead.metrics.1: 'contacts_per_100_orders' (100 * contacts /"
        " measured_orders) reveals 'contacts', which this role does not see; add 'contacts' or"
        " remove 'contacts_per_100_orders'",
    ),
}


@pytest.mark.parametrize(("text", "message"), HOSTILE_POLICIES.values(), ids=HOSTILE_POLICIES)
def test_a_policy_that_grants_more_than_it_reads_is_refused(text, message):
    with pytest.raises(ConfigError) as err:
        parse_policy(parse_located(text, "access.yaml"), load_catalog(CONFIG))
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems


def test_hiding_a_derived_metric_with_its_parts_is_fine():
    text = LEAD.replace("[contacts]", "[contacts, contacts_per_100_orders]")
    parse_policy(parse_located(text, "access.yaml"), load_catalog(CONFIG))


def test_check_reports_a_policy_hazard_with_its_file_and_line(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "metrics.yaml").write_text(CONFIG.read_text())
    (config / "access.yaml").write_text(HOSTILE_POLICIES["rows: {} on a role"][0])
    done = run_cli("check", "--config", config / "metrics.yaml")
    assert done.returncode == 1
    assert f"{config / 'access.yaml'}:2: roles.pm.rows: rows: {{}} names no dimension" in (
        done.stderr
    )
