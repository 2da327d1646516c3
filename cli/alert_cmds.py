"""Alert and schedule commands: ``alerts run/list`` and ``schedule run/serve``; the alert run
after a load."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import click
import polars as pl

from cli.errors import handle_errors
from cli.options import config_option, db_option, lake_option
from cli.output import emit
from metrics.alert_spec import alerts_path
from metrics.catalog import Catalog, load_catalog
from metrics.errors import MetricsError
from present import format as units
from state.store import StateStore
from store.engines import open_engine
from store.errors import StoreError


def alerts_option(fn):
    return click.option(
        "--alerts",
        "alerts_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Alert rules (default: alerts.yaml beside metrics.yaml).",
    )(fn)


@click.group("alerts")
def alerts_group() -> None:
    """Alert rules: evaluate and deliver them, or list the history."""


@alerts_group.command("run")
@click.option("--dry-run", is_flag=True, help="Only list the alerts; send and record nothing.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@alerts_option
@db_option
@lake_option
@config_option
@handle_errors
def alerts_run(dry_run, fmt, alerts_file, db, lake, config_path):
    """Evaluate the alert rules now and deliver the alerts that are due. With --lake, over the
    lake's current version (the alerts' history stays beside the warehouse file)."""
    rules = alerts_file or alerts_path(config_path)
    run = _run(db, lake, config_path, rules, dry_run=dry_run)
    sent: dict[str, list[dict]] = {}
    for o in run.outcomes:
        sent.setdefault(o.key, []).append({"channel": o.channel, "ok": o.ok, "detail": o.detail})
    rows = [
        p.alert
        | {"state": p.state, "due": p.send}
        | ({} if dry_run else {"deliveries": sent.get(p.key, [])})
        for p in run.planned
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    if rows:
        emit(_table(rows, load_catalog(config_path)), "table")
    click.echo(run.summary())
    _print_failures(run)


def _run(db: Path, lake: Path | None, config_path: Path, rules: Path, *, dry_run: bool = False):
    """The alert run over the warehouse ``db`` or the ``lake``; the state beside ``db``."""
    from notify.alerting import run_alerts

    connect = partial(open_engine, db, lake, config_path=config_path)
    return run_alerts(connect, StateStore.beside(db), config_path, rules, dry_run=dry_run)


def _shown(catalog: Catalog, alert: dict, key: str) -> str:
    """A value of an alert in its metric's unit (a customer rule's count as a count)."""
    v = alert[key]
    m = catalog.metrics.get(alert.get("metric") or "")
    unit = "integer" if alert.get("kind") == "customer" or m is None else m.format
    return units.value(v, unit) if isinstance(v, (int, float)) else "—"


def _table(rows: list[dict], catalog: Catalog) -> pl.DataFrame:
    """For people: values in their units, with the records they rest on (JSON keeps numbers)."""
    units.use_currency(catalog.spec.settings.reporting_currency)
    return pl.DataFrame(
        [
            {
                "state": r["state"],
                "rule": r["rule"],
                "scope": ", ".join(f"{k}={v}" for k, v in r["scope"].items()),
                "period": r["period"],
                "value": _shown(catalog, r, "value"),
                "n": "—" if r.get("n") is None else f"{r['n']:,}",
                "target": _shown(catalog, r, "target"),
                "to": ", ".join(r["recipients"]),
                "sent": "yes"
                if r.get("deliveries") and all(d["ok"] for d in r["deliveries"])
                else ("failed" if r.get("deliveries") else "no"),
            }
            for r in rows
        ],
        infer_schema_length=None,
    )


def _print_failures(run) -> None:
    failed: dict[str, list] = {}
    for o in run.outcomes:
        if not o.ok:
            failed.setdefault(o.channel, []).append(o)
    for channel, fails in failed.items():  # the first reason per channel (the rest follow it)
        click.echo(
            f"warning: {channel} delivery failed for {len(fails)} alert(s): {fails[0].detail}",
            err=True,
        )


@alerts_group.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@db_option
@handle_errors
def alerts_list(limit, fmt, db):
    """Alert history: fired, ongoing, recovered; sent to whom, when, how, with what outcome."""
    from state.alert_state import history

    events = history(StateStore.beside(db), limit=limit)
    rows = []
    for e in events:
        alert = json.loads(e["alert"])
        rows.append(
            {
                "at": e["at"],
                "state": e["state"],
                "rule": e["rule"],
                "scope": ", ".join(f"{k}={v}" for k, v in alert["scope"].items()),
                "period": alert["period"],
                "value": alert["value"],
                "channel": e["channel"],
                "to": e["recipients"],
                "outcome": e["outcome"],
                "detail": e["detail"],
            }
        )
    if not rows and fmt == "table":
        click.echo("no alerts yet (run 'northstar alerts run')")
        return
    emit(pl.DataFrame(rows, infer_schema_length=None), fmt)


def after_load(db: Path, config_path: Path, lake: Path | None = None) -> None:
    """Evaluate and deliver the alerts once a load has landed (into the warehouse ``db``, or
    the ``lake``); report, never fail the load."""
    rules = alerts_path(config_path)
    if not rules.is_file():
        return
    try:
        run = _run(db, lake, config_path, rules)
    except (MetricsError, StoreError) as exc:
        click.echo(f"warning: alerts not evaluated (the load itself is done): {exc}", err=True)
        return
    click.echo(run.summary())
    _print_failures(run)


def register(group: click.Group) -> None:
    from cli.schedule_cmds import schedule_group

    for command in (alerts_group, schedule_group):
        group.add_command(command)
