"""Options shared by every command that touches the warehouse or the config."""

from __future__ import annotations

from pathlib import Path

import click

from connectors.warehouse import default_db_path
from metrics import home

_FOUND = (
    "found from $NORTHSTAR_HOME, else the nearest config/ at or above the current "
    "directory, else the bundled sample"
)


def db_option(fn):
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Warehouse file (default: $NORTHSTAR_DB, else northstar.duckdb).",
        callback=lambda ctx, p, v: v or default_db_path(),
    )(fn)


def config_option(fn):
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"Metric definitions (default: config/metrics.yaml, {_FOUND}).",
        callback=lambda ctx, p, v: v or home.metrics_config(),
    )(fn)


def sources_option(fn):
    return click.option(
        "--sources",
        "sources_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"Source mappings (default: config/sources.yaml, {_FOUND}, when it exists).",
        callback=lambda ctx, p, v: v or home.sources_config(),
    )(fn)


def as_option(fn):
    return click.option(
        "--as",
        "as_user",
        metavar="EMAIL",
        default=None,
        help="Answer exactly as this user sees it under the access policy (config/access.yaml, "
        "or $NORTHSTAR_ACCESS).",
    )(fn)
