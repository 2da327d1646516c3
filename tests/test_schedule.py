"""Scheduled packs: `northstar schedule run` (cron) and `serve` (APScheduler) send each due
subscription's review pack once, as its recipient sees it, to a real SMTP server."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metrics.errors import ConfigError
from metrics.subscription_spec import load_subscriptions
from tests.metric_support import ROOT
from tests.test_alerts_delivery import SAMPLE, _cli, smtp  # noqa: F401 (the SMTP fixture)


def _project(tmp: Path, subscriptions: str) -> Path:
    config = tmp / "config"
    config.mkdir()
    for name in ("metrics.yaml", "access.yaml"):  # a pack goes only to whom the policy knows
        shutil.copy(ROOT / "config" / name, config / name)
    (config / "subscriptions.yaml").write_text(subscriptions)
    return config / "metrics.yaml"


def _an_hour_ago() -> str:
    """A daily cron whose latest time was an hour ago: due now, within the 12 h catch-up."""
    t = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    return f"{t.minute} {t.hour} * * *"


def _subscriptions() -> str:
    cron = _an_hour_ago()
    return (
        "settings: {timezone: UTC}\nsubscriptions:\n"
        f"  coo:\n    email: coo@northstar.example\n    cron: '{cron}'\n"
        f"  keys:\n    email: helena.brandt@northstar.example\n    cron: '{cron}'\n"
        "    scope: {portfolio: Key Accounts}\n"
    )


@pytest.fixture(scope="module")
def warehouse(demo_models_build) -> Path:
    """What `northstar demo` builds (each test writes to a copy)."""
    return demo_models_build


def _pdf_text(data: bytes, tmp: Path) -> str:
    path = tmp / "pack.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True
    ).stdout


def test_schedule_run_sends_each_due_pack_once(tmp_path, warehouse, smtp):  # noqa: F811
    inbox, url = smtp
    db = tmp_path / "wh.duckdb"
    shutil.copy(warehouse, db)
    config = _project(tmp_path, _subscriptions())
    args = ("schedule", "run", "--db", db, "--config", config)
    done = _cli(*args, env={"NORTHSTAR_SMTP_URL": url})
    assert done.returncode == 0, done.stderr
    assert "schedule: 2 pack(s) due, 2 delivered" in done.stdout
    assert sorted(m["To"] for m in inbox.messages) == [
        "coo@northstar.example",
        "helena.brandt@northstar.example",
    ]
    again = _cli(*args, env={"NORTHSTAR_SMTP_URL": url})  # cron firing twice sends nothing new
    assert "schedule: 0 pack(s) due" in again.stdout and len(inbox.messages) == 2
    if shutil.which("pdftotext"):
        packs = {m["To"]: next(m.iter_attachments()).get_content() for m in inbox.messages}
        keys = _pdf_text(packs["helena.brandt@northstar.example"], tmp_path)
        assert "portfolio: Key Accounts" in keys
        assert "all customers" in _pdf_text(packs["coo@northstar.example"], tmp_path)


def test_schedule_serve_sends_and_a_run_beside_it_does_not_repeat(tmp_path, warehouse, smtp):  # noqa: F811
    inbox, url = smtp
    db = tmp_path / "wh.duckdb"
    shutil.copy(warehouse, db)
    config = _project(tmp_path, _subscriptions())
    import os

    env = {**os.environ, "PYTHONPATH": str(ROOT), "NORTHSTAR_SMTP_URL": url}
    serve = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "schedule", "serve", "--db", db, "--config", config],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while len(inbox.messages) < 2 and time.monotonic() < deadline and serve.poll() is None:
            time.sleep(0.5)
        assert len(inbox.messages) == 2, serve.stderr.read() if serve.poll() is not None else ""
        done = _cli(
            "schedule", "run", "--db", db, "--config", config, env={"NORTHSTAR_SMTP_URL": url}
        )
        assert "schedule: 0 pack(s) due" in done.stdout and len(inbox.messages) == 2
    finally:
        serve.terminate()
        serve.wait(timeout=30)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    cron: '0 7 * * 1'\n", ":4: subscriptions.s.cron: write the weekday by name"),
        ("    cron: '0 7 * MON'\n", "cron needs 5 fields"),
        ("    cron: '0 7 * * MON'\n    scope: {regon: North}\n", "did you mean 'region'?"),
        ("    cron: '0 7 * * MON'\n    chanel: email\n", ":5: subscriptions.s.chanel: unknown key"),
    ],
)
def test_bad_subscriptions_are_located(tmp_path, body, expected):
    path = tmp_path / "subscriptions.yaml"
    path.write_text("subscriptions:\n  s:\n    email: a@b.example\n" + body)
    with pytest.raises(ConfigError) as err:
        load_subscriptions(path)
    assert any(expected in p for p in err.value.problems), err.value.problems
