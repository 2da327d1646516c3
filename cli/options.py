"""Options shared by every command that touches the warehouse or the config."""

from __future__ import annotations

from pathlib import Path

import click

from connectors.warehouse import default_db_path


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
        default=Path("config/metrics.yaml"),
        show_default=True,
        help="Metric definitions.",
    )(fn)


def sources_option(fn):
    return click.option(
        "--sources",
        "sources_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Source mappings (default: config/sources.yaml when it exists).",
        callback=lambda ctx, p, v: v
        or (Path("config/sources.yaml") if Path("config/sources.yaml").exists() else None),
    )(fn)
