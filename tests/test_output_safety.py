"""Hostile values reach every output as the text they are and do nothing else (issue 24,
findings 3, 8 and 9): e-mail headers, Slack and Teams messages, rich tables on the terminal.

``HOSTILE`` is the table of values the red team used (customer names, agent ids, audit
entries); ``hostile_db`` is a small warehouse whose customers and agents carry them.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import html
import io
import json
import re
import shutil
from email import policy
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console

from cli.output import emit
from notify import webhook
from notify.email import message
from notify.messages import Notice
from present.safe_text import (
    header_value,
    plain_text,
    slack_text,
    teams_text,
    terminal_text,
)
from state import audit, kiosk
from state.action_log import add_action
from state.store import StateStore
from tests.cli_support import run_cli
from tests.metric_support import ROOT
from tests.test_at_risk import extracts

HOSTILE = {
    "header injection": "Acme\r\nBcc: victim@evil.example",
    "bare line feed": "Acme\nX-Priority: 1",
    "slack broadcast, phishing link": "<!channel> <https://evil.example/login|Open in North Star>",
    "teams markdown link": "**Urgent** [Open in North Star](https://evil.example/login)",
    "teams mention, entity": "<at>General</at> &amp; ~~x~~ `code`",
    "rich closing tag": "[/x]",
    "rich link": "[link=https://evil.example]Acme[/link]",
    "terminal escapes": "\x1b[2J\x1b[31mAcme\x1b[0m\x1bc",
    "terminal hyperlink": "\x1b]8;;https://evil.example\x07Acme\x1b]8;;\x07",
    "c0 and c1 controls": "Ac\x00me\x07\x08\x7f\x9b31m\x85",
    "bidi override": "Acme \u202e(A)\u202c \u2066x\u2069\u200f",
    "trailing backslash": "Acme \\",
}
# What may never reach an output: line breaks, escapes, other control and bidi characters.
UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# The hostile warehouse: who carries which value. Customer A's manager has an address the
# mail server refuses (tests/test_delivery_safety.py: one bad message).
NAMES = {
    "A": HOSTILE["rich link"] + " " + HOSTILE["rich closing tag"],
    "B": HOSTILE["header injection"],
    "C": HOSTILE["slack broadcast, phishing link"],
    "D": HOSTILE["teams markdown link"],
    "E": HOSTILE["terminal hyperlink"] + HOSTILE["bidi override"],
}
AGENTS = {
    "B": HOSTILE["rich closing tag"],
    "C": HOSTILE["terminal escapes"],
    "D": HOSTILE["bidi override"],
}
REFUSED = "refused.person@northstar.example"
ACCESS = f"""
roles:
  manager: {{pages: [portfolio]}}
users:
  {REFUSED}: {{roles: [manager], rows: {{portfolio: [P2]}}}}
  ann@northstar.example: {{roles: [manager], rows: {{portfolio: [P1]}}}}
"""


def _rewrite(path: Path, change) -> None:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([rows[0], *(change(r) for r in rows[1:])])


def _customer(row: list[str]) -> list[str]:
    cid = row[0]
    row[1] = NAMES[cid]
    if cid == "A":
        row[4:6] = ["P2", "Refused Person"]
    return row


def _call(row: list[str]) -> list[str]:
    row[4] = AGENTS.get(row[1], row[4])
    return row


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> tuple[Path, Path]:
    """(warehouse, metrics.yaml) of tests/test_at_risk's customers with hostile names and
    agents: four alerts of a broken-promises rule (A to D), A's going to REFUSED."""
    tmp = tmp_path_factory.mktemp("hostile")
    src = extracts(tmp / "src")
    _rewrite(src / "customers.csv", _customer)
    _rewrite(src / "calls.csv", _call)
    config = tmp / "config"
    config.mkdir()
    shutil.copy(ROOT / "config" / "metrics.yaml", config / "metrics.yaml")
    (config / "access.yaml").write_text(ACCESS)  # who the alerts go to: P2's is REFUSED
    db = tmp / "wh.duckdb"
    done = run_cli("load", src, "--db", db, "--config", config / "metrics.yaml", env={})
    assert done.returncode == 0 and "rejected 0" in done.stdout, done.stdout + done.stderr
    return db, config / "metrics.yaml"


# ---- one neutraliser per channel ---------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE)
def test_each_channel_gets_the_value_as_text_only(value):
    plain = plain_text(value)
    assert not UNSAFE.search(plain)
    assert header_value(value) == plain.strip()
    slack = slack_text(value)  # Slack's three control characters as entities, nothing else
    assert not re.search(r"[<>]|&(?!amp;|lt;|gt;)", slack) and html.unescape(slack) == plain
    teams = teams_text(value)  # every Markdown character behind a backslash
    assert (
        re.fullmatch(r"(?:\\.|[^\\`*_~\[\]<>])*", teams) and re.sub(r"\\(.)", r"\1", teams) == plain
    )
    shown = io.StringIO()
    Console(file=shown, width=500, color_system=None).print(terminal_text(value), soft_wrap=True)
    assert shown.getvalue() == plain + "\n"  # printed as it reads: no markup, no emoji


def notice_for(name: str) -> Notice:
    alert = {
        "rule": "broken",
        "metric": "otif",
        "scope": {"customer_id": "A"},
        "period": "2026-03-02",
        "period_end": "2026-03-31",
        "value": 3,
        "target": 3,
        "owner": name,
        "recipients": ["ann@northstar.example"],
        "summary": f"{name} (A): 3 broken promises",
        "link": "account?customer_id=A",
    }
    return Notice("new", alert, "https://ns.example/account?customer_id=A&x=1")


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE)
def test_an_email_built_from_a_hostile_name_has_only_its_own_headers(value):
    msg = message(notice_for(value), sender="northstar@northstar.example", to=("ann@x.example",))
    back = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert set(back.keys()) == {"Subject", "From", "To", "MIME-Version", "Content-Type"}
    assert back["To"] == "ann@x.example" and not UNSAFE.search(back["Subject"])
    assert plain_text(value).strip() in back["Subject"]


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE)
def test_a_slack_message_has_one_link_and_pings_nobody(value):
    notice = notice_for(value)
    text = webhook.body(notice, "slack")["text"]
    link = "<https://ns.example/account?customer_id=A&amp;x=1|Open in North Star>"
    assert re.findall(r"<[^>]*>", text) == [link]
    assert not UNSAFE.search(text.replace("\n", ""))


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE)
def test_a_teams_card_shows_the_values_as_text(value):
    payload = webhook.body(notice_for(value), "teams")
    card = payload["attachments"][0]["content"]
    texts = [card["body"][0]["text"], *(f["value"] for f in card["body"][1]["facts"])]
    for text in [*texts, *payload["text"].split("\n")]:
        assert re.fullmatch(r"(?:\\.|[^\\`*_~\[\]<>])*", text), text
        assert not UNSAFE.search(text)
    assert card["actions"][0]["url"] == "https://ns.example/account?customer_id=A&x=1"


# ---- the terminal ---------------------------------------------------------------------------


def _printed_safely(out: str) -> None:
    assert not UNSAFE.search(out.replace("\n", ""))
    assert "[/x]" in out and "[link=" in out  # as they read: not markup


def test_a_table_prints_every_hostile_cell_as_it_reads(capsys):
    emit(pl.DataFrame({"value": list(HOSTILE.values())}), "table")
    out = capsys.readouterr().out
    _printed_safely(out)
    assert "Acme (A)" in out  # no bidi override left to reverse it


def test_audit_kiosk_list_and_actions_print_hostile_state_as_text(tmp_path):
    db = tmp_path / "wh.duckdb"
    store = StateStore(tmp_path / "wh.state.sqlite")  # the one beside the warehouse
    for value in HOSTILE.values():
        audit.record(store, email="a@x.example", event="view", page=value, detail={"u": value})
        kiosk.create(store, scope=(), label=value)
    day = dt.date(2026, 3, 31)
    for value in (HOSTILE["rich closing tag"], HOSTILE["rich link"], HOSTILE["terminal escapes"]):
        add_action(store, what=value, owner=value, due=day, metric="otif", decided=day)
    for command in (["audit"], ["kiosk", "list"], ["actions"]):
        done = run_cli(*command, "--db", db, env={"NORTHSTAR_STATE": None})
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        _printed_safely(done.stdout)


def test_query_by_agent_prints_hostile_agents_as_text(hostile_db):
    db, config = hostile_db
    done = run_cli(
        "query", "--metric", "contacts", "--by", "agent_id", "--db", db, "--config", config
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "[/x]" in done.stdout and not UNSAFE.search(done.stdout.replace("\n", ""))


def test_rejects_and_action_echoes_print_hostile_extract_values_as_text(tmp_path):
    """A rejected cell is raw extract text: the rejects table shows it on one line, inert."""
    from tests.conftest import write_csv

    header = ["order_id", "line_id", "customer_id", "sku", "order_date", "requested_date",
              "qty_ordered"]  # fmt: skip
    bad = [[f"O{i}", "1", "C1", "S1", value, "2026-03-05", "2"]
           for i, value in enumerate(HOSTILE.values())]  # fmt: skip
    write_csv(tmp_path / "x" / "customers.csv", ["customer_id", "region"], [["C1", "North"]])
    with (tmp_path / "x" / "orders.csv").open("w", newline="") as f:
        csv.writer(f).writerows([header, *bad])  # quoted: line breaks stay inside their cell
    db = tmp_path / "wh.duckdb"
    lenient = tmp_path / "sources.yaml"  # every row of this file is meant to be rejected
    lenient.write_text("max_reject_share: 1\n")
    loaded = run_cli("load", tmp_path / "x", "--db", db, "--sources", lenient, env={})
    assert loaded.returncode == 0, loaded.stderr
    done = run_cli("rejects", "--db", db, env={})
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.count("orders.csv") == len(HOSTILE)  # one line per rejected row
    _printed_safely(done.stdout)
    value = HOSTILE["terminal escapes"] + HOSTILE["bidi override"]
    done = run_cli("actions", "--db", db, "add", "--what", value, "--owner", value, "--metric", "otif",
                   "--due", "2026-03-31", "--decided", "2026-03-01", env={"NORTHSTAR_STATE": None})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not UNSAFE.search(done.stdout.replace("\n", "")) and "Acme" in done.stdout


def test_action_log_writes_from_the_terminal_are_audited(tmp_path):
    db, state = tmp_path / "wh.duckdb", {"NORTHSTAR_STATE": None}
    added = run_cli("actions", "--db", db, "add", "--what", "Re-slot DC-East", "--owner", "Ann",
                    "--metric", "otif", "--due", "2026-03-31", "--decided", "2026-03-01",
                    env=state)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert (
        run_cli("actions", "--db", db, "done", "1", "--on", "2026-03-20", env=state).returncode == 0
    )
    for event in ("action add", "action done"):
        done = run_cli("audit", "--event", event, "--format", "json", "--db", db, env=state)
        entries = json.loads(done.stdout)
        assert len(entries) == 1 and entries[0]["email"].startswith("cli:"), done.stdout
        assert '"action": 1' in entries[0]["detail"] and "Re-slot DC-East" in entries[0]["detail"]
