"""Access commands: what a user may see, the audit trail, and kiosk links for the wall screen."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import polars as pl

from cli.errors import handle_errors
from cli.metric_cmds import _where
from cli.options import config_option, db_option
from cli.output import FORMATS, emit
from metrics.access import policy_path, viewer_as
from metrics.catalog import load_catalog
from metrics.errors import MetricsError
from present.safe_text import plain_text
from state import audit, kiosk
from state.store import StateStore
from store.errors import StoreError


@click.command("access")
@click.argument("email")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@config_option
@handle_errors
def access_cmd(email: str, fmt: str, config_path: Path) -> None:
    """What EMAIL may see under the access policy: roles, pages, metrics and row scope."""
    catalog = load_catalog(config_path)
    viewer = viewer_as(policy_path(config_path), catalog, email)
    facts = dict(viewer.describe())
    facts["visible metrics"] = ", ".join(viewer.visible_metrics(catalog)) or "none"
    if fmt == "json":
        click.echo(json.dumps(facts, indent=2, ensure_ascii=False))
        return
    emit(pl.DataFrame({"what": list(facts), "may see": list(facts.values())}), fmt)


@click.command("audit")
@click.option("--user", "email", default=None, help="Only this user's entries.")
@click.option(
    "--event",
    type=click.Choice(["sign-in", "view", "download", "refused", "action add", "action done"]),
    default=None,
    help="Only this kind of entry.",
)
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@db_option
@handle_errors
def audit_cmd(email: str | None, event: str | None, limit: int, fmt: str, db: Path) -> None:
    """The audit trail, newest first: sign-ins, page views with their filters, downloads."""
    rows = audit.entries(StateStore.beside(db), email=email, event=event, limit=limit)
    if not rows and fmt == "table":
        click.echo("no audit entries yet")
        return
    schema = {c: pl.String for c in ("at", "email", "event", "page", "detail")}
    emit(pl.DataFrame(rows, schema=schema), fmt)


@click.group("kiosk")
def kiosk_group() -> None:
    """Signed, revocable links that open the wall screen only (for a TV nobody signs in on)."""


@kiosk_group.command("create")
@click.option(
    "--scope",
    "scope",
    multiple=True,
    help="Row scope DIM=V[,V...] (repeatable), e.g. portfolio='Key Accounts'; none: all rows.",
)
@click.option("--label", default="S&OP room", show_default=True, help="Where the screen hangs.")
@db_option
@config_option
@handle_errors
def kiosk_create(scope: tuple[str, ...], label: str, db: Path, config_path: Path) -> None:
    """Create a link; prints its id and the address to open on the screen."""
    parsed = _where(scope)
    catalog = load_catalog(config_path)
    known = {d for m in catalog.metrics for d in catalog.dimensions_of(m)}
    for dim, values in parsed:
        if dim not in known:
            raise MetricsError(
                f"unknown dimension '{dim}' in --scope; use one of {', '.join(sorted(known))}"
            )
        if not values:
            raise MetricsError(f"--scope {dim}= names no value; write e.g. {dim}=A,B")
    link_id, token = kiosk.create(StateStore.beside(db), scope=parsed, label=label)
    base = (os.environ.get("NORTHSTAR_BASE_URL") or "http://localhost:8501").rstrip("/")
    click.echo(plain_text(f"kiosk link {link_id} ({label}): {_scope_text(parsed)}"))
    click.echo(f"{base}/?kiosk={token}&embed=true")
    click.echo(f"revoke it with: northstar kiosk revoke {link_id}", err=True)


@kiosk_group.command("list")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@db_option
@handle_errors
def kiosk_list(fmt: str, db: Path) -> None:
    """Every link made, with its scope and whether it is revoked."""
    rows = [
        {**r, "scope": _scope_text(tuple((d, tuple(v)) for d, v in json.loads(r["scope"])))}
        for r in kiosk.links(StateStore.beside(db))
    ]
    if not rows and fmt == "table":
        click.echo("no kiosk links")
        return
    schema = {c: pl.String for c in ("id", "label", "scope", "created_at", "revoked_at")}
    emit(pl.DataFrame(rows, schema=schema), fmt)


@kiosk_group.command("revoke")
@click.argument("link_id")
@db_option
@handle_errors
def kiosk_revoke(link_id: str, db: Path) -> None:
    """Revoke a link: the screen showing it opens nothing from its next refresh."""
    if not kiosk.revoke(StateStore.beside(db), link_id):
        raise StoreError(f"no open kiosk link '{link_id}' (see 'northstar kiosk list' for the ids)")
    click.echo(f"revoked kiosk link {link_id}")


def _scope_text(scope) -> str:
    return "; ".join(f"{d} = {', '.join(v)}" for d, v in scope) or "all rows"


def register(group: click.Group) -> None:
    for command in (access_cmd, audit_cmd, kiosk_group):
        group.add_command(command)
