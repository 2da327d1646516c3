"""``northstar schedule run`` (for cron) and ``schedule serve`` (keeps running): subscriptions."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

import click

from cli.errors import handle_errors
from cli.options import config_option, db_option
from metrics.alert_spec import AlertsFile, alerts_path, load_alert_rules
from metrics.catalog import load_catalog
from metrics.subscription_spec import load_subscriptions, subscriptions_path
from state.store import StateStore
from store.engines import open_engine


def _scheduler(db: Path, config_path: Path, subs_file: Path | None):
    """``run_due`` bound to the subscriptions, their channels, the warehouse ``db`` (opened for
    each pack) and the state file beside it; and the subscriptions."""
    from notify.schedule import run_due

    catalog = load_catalog(config_path)
    spec = load_subscriptions(subs_file or subscriptions_path(config_path), catalog)
    rules = alerts_path(config_path)
    channels = load_alert_rules(rules, catalog) if rules.is_file() else AlertsFile()
    connect = partial(open_engine, db, None, config_path=config_path)
    return partial(run_due, connect, StateStore.beside(db), config_path, spec, channels), spec


def subscriptions_option(fn):
    return click.option(
        "--subscriptions",
        "subs_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Subscriptions (default: subscriptions.yaml beside metrics.yaml).",
    )(fn)


@click.group("schedule")
def schedule_group() -> None:
    """Scheduled packs: who receives which pack, when (subscriptions.yaml)."""


def _report(sent) -> None:
    for s in sent:
        verdict = "sent" if s.ok else "FAILED"
        click.echo(f"{s.subscription}  due {s.due_at:%Y-%m-%d %H:%M %Z}  {verdict}: {s.detail}")


@schedule_group.command("run")
@subscriptions_option
@db_option
@config_option
@handle_errors
def schedule_run(subs_file, db, config_path):
    """Send the subscriptions that are due now, once (for cron; safe to run twice)."""
    run_due, _ = _scheduler(db, config_path, subs_file)
    sent = run_due()
    _report(sent)
    click.echo(f"schedule: {len(sent)} pack(s) due, {sum(s.ok for s in sent)} delivered")


@schedule_group.command("serve")
@subscriptions_option
@db_option
@config_option
@handle_errors
def schedule_serve(subs_file, db, config_path):
    """Keep sending subscriptions on their schedule (until stopped); catches up on start."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from notify.schedule import trigger

    run_due, spec = _scheduler(db, config_path, subs_file)
    _report(run_due())
    scheduler = BlockingScheduler(timezone=spec.settings.timezone)
    for name, sub in spec.subscriptions.items():
        scheduler.add_job(
            lambda name=name: _report(run_due(only=name)),
            trigger(sub, spec.settings.timezone),
            id=name,
            coalesce=True,
            misfire_grace_time=int(spec.settings.catch_up_hours * 3600) or None,
        )
    click.echo(
        f"schedule: serving {len(spec.subscriptions)} subscription(s) from "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; stop with Ctrl-C",
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
