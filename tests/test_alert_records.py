"""The alert run after a load records its deliveries one transaction per message, not per alert:
a digest that completes many notices writes them together (all in the history, or none), so a
run's fixed cost follows the messages it sends rather than the alerts it counts."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
from functools import partial
from pathlib import Path

import pytest

from notify.alerting import run_alerts
from state.alert_state import history
from state.store import StateStore
from store.engines import open_engine
from tests.metric_support import ROOT

CONFIG = ROOT / "config" / "metrics.yaml"
NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)


class CountingStore(StateStore):
    """A state file that counts its write transactions."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.sessions = 0

    @contextlib.contextmanager
    def session(self, ddl: str = ""):
        self.sessions += 1
        with super().session(ddl) as con:
            yield con


def _dead_smtp(monkeypatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    monkeypatch.setenv("NORTHSTAR_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.delenv("NORTHSTAR_WEBHOOK_URL", raising=False)


@pytest.fixture
def alert_run(demo_models_build, tmp_path, monkeypatch):
    _dead_smtp(monkeypatch)
    db = Path(tmp_path / "wh.duckdb")
    db.write_bytes(demo_models_build.read_bytes())
    store = CountingStore(tmp_path / "wh.state.sqlite")
    connect = partial(open_engine, db, None, config_path=CONFIG)
    run = run_alerts(connect, store, CONFIG, ROOT / "config" / "alerts.yaml", now=NOW)
    return run, store


def test_a_digest_records_its_notices_in_one_transaction(alert_run):
    run, store = alert_run
    mail = [o for o in run.outcomes if o.channel == "email"]
    addresses = {a for p in run.planned if p.send for a in p.alert["recipients"]}
    assert len(mail) > 2 * len(addresses), "the sample must fire more alerts than it has readers"
    # claim (one), then one per message: a digest per address, a notice to nobody alone
    nobody = sum(1 for p in run.planned if p.send and not p.alert["recipients"])
    assert store.sessions <= 1 + len(addresses) + nobody + 1


def test_every_delivery_is_in_the_history_once(alert_run):
    run, store = alert_run
    events = [e for e in history(store, limit=100_000) if e["channel"] == "email"]
    assert len(events) == len([o for o in run.outcomes if o.channel == "email"])
    assert {e["outcome"] for e in events} == {"failed"}
    # none is left leased: the next run may send them all
    with store.session() as con:
        leased = con.execute("SELECT count(*) FROM alert_send WHERE lease_until IS NOT NULL")
        assert leased.fetchone()[0] == 0
