"""Options shared by every command that touches the warehouse or the config."""

from __future__ import annotations

import os
from pathlib import Path

import click

from metrics import home
from store.warehouse import default_db_path

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


def lake_option(fn):
    return click.option(
        "--lake",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="A Parquet lake folder instead of the warehouse file (default: $NORTHSTAR_LAKE, "
        "when set).",
        callback=lambda ctx, p, v: (
            v or (Path(os.environ["NORTHSTAR_LAKE"]) if os.environ.get("NORTHSTAR_LAKE") else None)
        ),
    )(fn)


def engine_option(fn):
    return click.option(
        "--engine",
        type=click.Choice(["duckdb", "spark"]),
        default="duckdb",
        show_default=True,
        help="What computes the answer: DuckDB, or Spark over a --lake "
        "(pip install -e '.[spark]').",
    )(fn)


def models_engine_option(fn):
    return click.option(
        "--engine",
        type=click.Choice(["duckdb", "spark"]),
        default="duckdb",
        show_default=True,
        help="What computes the stored metric models of a --lake: DuckDB, or Spark over the "
        "lake's tables (pip install -e '.[spark]'; where it runs: config/engines.yaml).",
    )(fn)
