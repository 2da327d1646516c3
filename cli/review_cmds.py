"""Commands of the weekly review: the review pack and the action log."""

from __future__ import annotations

import getpass
import json
import os
import tempfile
from pathlib import Path

import click
import polars as pl

from cli.errors import handle_errors
from cli.metric_cmds import _date, _where
from cli.options import as_option, config_option, db_option, lake_option
from cli.output import FORMATS, emit
from metrics import clock
from metrics.access import OPEN, policy_path, viewer_as
from metrics.catalog import load_catalog
from metrics.query import validate_query
from metrics.sqlgen import Query
from present.safe_text import plain_text
from state import alert_state, audit
from state.action_log import Action, add_action, list_actions, mark_done
from state.store import StateStore
from store.engines import open_engine
from store.errors import StoreError


def _write(path: Path, content: bytes) -> None:
    """All or nothing: a temporary file beside ``path``, swapped in whole."""
    folder = path.absolute().parent
    if not folder.is_dir():
        raise StoreError(f"cannot write {path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc


@click.command("review")
@click.option("--period", help="ISO week, e.g. 2026-W46 (default: the latest complete week).")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json"]),
    help="Print the review as one JSON object instead of writing a pack.",
)
@click.option("--where", multiple=True, help="Filter DIM=V[,V...]; repeatable.")
@as_option
@db_option
@lake_option
@config_option
@handle_errors
def review_cmd(period, pdf_path, html_path, fmt, where, as_user, db, lake, config_path):
    """The weekly review pack as an A4 landscape PDF (and/or HTML), or as JSON."""
    if not pdf_path and not html_path and fmt != "json":
        raise click.UsageError(
            "say where to write the pack: --pdf PATH and/or --html PATH (or --format json)"
        )
    from reports.review_pack import parse_period

    if period:
        parse_period(period)  # a bad period is told before any work
    catalog = load_catalog(config_path)
    filters = _where(where)
    if filters:
        validate_query(catalog, Query(metrics=("otif",), where=filters))
    viewer = viewer_as(policy_path(config_path), catalog, as_user) if as_user else OPEN
    store = StateStore.beside(db)
    if fmt == "json":
        _print_json(db, lake, config_path, catalog, period, filters, viewer, store)
        if not pdf_path and not html_path:
            return
    from reports.review_pack import build_pack  # heavy: PDF and chart rendering

    pack = build_pack(
        open_engine(db, lake, config_path=config_path),
        catalog,
        period=period,
        where=filters,
        viewer=viewer,
        alerts=alert_state.firing(store),  # the pack lists those the viewer may see
        state=store,
    )
    for path, content in ((pdf_path, pack.pdf), (html_path, pack.html.encode())):
        if path:
            _write(path, content)
            click.echo(f"wrote {path}: review of {pack.period_label}")


def _print_json(db, lake, config_path, catalog, period, filters, viewer, store) -> None:
    """The review as data: the same gathering as the pack, one JSON object on stdout."""
    from reports.pack_reader import Reader
    from reports.review_json import review_json
    from reports.review_pack import review_of

    engine = open_engine(db, lake, config_path=config_path)
    data, actions = review_of(
        engine, catalog, period=period, viewer=viewer, where=filters, state=store
    )
    alerts = Reader(catalog, viewer, filters).alerts(engine, alert_state.firing(store))
    out = review_json(engine, data, catalog, alerts=alerts, actions=actions, today=clock.today())
    click.echo(json.dumps(out, ensure_ascii=False, default=str))


def _frame(actions: list[Action]) -> pl.DataFrame:
    today = clock.today()
    return pl.DataFrame(
        [
            {
                "id": a.id,
                "decided": a.decided,
                "what": a.what,
                "owner": a.owner,
                "due": a.due,
                "status": a.status(today),
                "metric": a.metric,
                "scope": a.scope_text,
                "done": a.done,
            }
            for a in actions
        ],
        schema={
            "id": pl.Int64,
            "decided": pl.Date,
            "what": pl.String,
            "owner": pl.String,
            "due": pl.Date,
            "status": pl.String,
            "metric": pl.String,
            "scope": pl.String,
            "done": pl.Date,
        },
    )


@click.group("actions", invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@db_option
@click.pass_context
@handle_errors
def actions_cmd(ctx, fmt, db):
    """The action log: decisions with owner, due date, metric and scope (overdue flagged)."""
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is None:
        frame = _frame(list_actions(StateStore.beside(db)))
        if fmt == "csv":  # no cell may run as a formula in a spreadsheet
            from present.format import csv_text

            click.echo(csv_text(frame), nl=False)
        else:
            emit(frame, fmt)


@actions_cmd.command("add")
@click.option("--what", required=True, help="The decision, in words.")
@click.option("--owner", required=True, help="Who acts on it.")
@click.option("--due", required=True, help="By when (YYYY-MM-DD).")
@click.option("--metric", default="otif", show_default=True, help="The metric it should move.")
@click.option("--where", multiple=True, help="Its scope: DIM=V[,V...]; repeatable.")
@click.option("--decided", help="Day of the decision (default: today).")
@config_option
@click.pass_context
@handle_errors
def add_cmd(ctx, what, owner, due, metric, where, decided, config_path):
    """Record a decision of the review."""
    catalog = load_catalog(config_path)
    scope = _where(where)
    validate_query(catalog, Query(metrics=(metric,), where=scope))
    due_day = _date(due, "--due")
    decided_day = _date(decided, "--decided") or clock.today()
    store = StateStore.beside(ctx.obj["db"])
    a = add_action(
        store,
        what=what,
        owner=owner,
        due=due_day,
        metric=metric,
        decided=decided_day,
        scope=scope,
    )
    _audit(store, "action add", a)
    click.echo(
        f"recorded action #{a.id}: {plain_text(a.what)} ({plain_text(a.owner)}, due {a.due})"
    )


@actions_cmd.command("done")
@click.argument("action_id", type=int)
@click.option("--on", "on", help="Day it was done (default: today).")
@click.pass_context
@handle_errors
def done_cmd(ctx, action_id, on):
    """Mark an action done."""
    store = StateStore.beside(ctx.obj["db"])
    a = mark_done(store, action_id, _date(on, "--on") or clock.today())
    _audit(store, "action done", a)
    click.echo(f"action #{a.id} done on {a.done}")


def _audit(store: StateStore, event: str, a: Action) -> None:
    """Every write to the action log is in the audit trail, from the terminal too: under the
    operating-system user who ran the command."""
    audit.record_action(store, email=f"cli:{getpass.getuser()}", event=event, action=a, page="")


def register(group: click.Group) -> None:
    for command in (review_cmd, actions_cmd):
        group.add_command(command)
