"""Data commands: ``load``, ``demo`` and ``rejects``."""

from __future__ import annotations

import csv
import difflib
import json
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from cli.errors import handle_errors
from cli.load_report import echo_table, print_report, reject_cells, shown_path
from cli.options import (
    as_option,
    config_option,
    db_option,
    lake_option,
    models_engine_option,
    sources_option,
)
from connectors.errors import ConnectorError
from metrics import home
from present.csv_safe import safe_row
from store.errors import StoreError


def _reporting_currency(config_path: Path) -> str:
    """settings.reporting_currency of metrics.yaml (its default when the file is missing; when
    the file is invalid elsewhere, the value it names if it is a currency code)."""
    import yaml

    from metrics.catalog import load_catalog
    from metrics.errors import ConfigError
    from metrics.spec import Settings

    default = Settings().reporting_currency
    if not config_path.is_file():
        return default
    try:
        return load_catalog(config_path).spec.settings.reporting_currency
    except ConfigError:
        try:
            named = (yaml.safe_load(config_path.read_text()) or {}).get("settings", {})
            code = named.get("reporting_currency") if isinstance(named, dict) else None
        except (yaml.YAMLError, AttributeError, OSError):
            return default
        return code if isinstance(code, str) and len(code) == 3 and code.isupper() else default


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--strict",
    is_flag=True,
    help="Fail the whole load if any row is rejected (max_reject_share 0).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read, map and validate as a load would; print the summary, the first typed rows of "
    "each file and the rejects; write nothing.",
)
@db_option
@lake_option
@models_engine_option
@sources_option
@config_option
@handle_errors
def load(
    paths: tuple[Path, ...],
    strict: bool,
    dry_run: bool,
    db: Path,
    lake: Path | None,
    engine: str,
    sources_path: Path | None,
    config_path: Path,
) -> None:
    """Load extract files or folders (recursively) into the warehouse.

    The metric models are rebuilt for the new data before it goes live; then the alert rules
    (alerts.yaml beside metrics.yaml) are evaluated and due alerts delivered. With --lake, the
    validated tables, rejects and stored models are written as a Parquet lake instead (a new
    version, published atomically). With --lake and --engine spark, the rows are still
    validated by the DuckDB loader, and Spark computes every stored model from the lake's
    tables (no partial refresh of the models touched by the load, as DuckDB does).

    A file that rejects more than its max_reject_share of its rows (sources.yaml, default 0.05)
    fails the load: nothing is applied. --dry-run writes nothing; it exits 1 when the load
    would fail.
    """
    from cli.alert_cmds import after_load
    from connectors.load import load_paths
    from metrics.materialize import refresher

    if lake is None and engine != "duckdb":
        raise click.UsageError(
            f"--engine {engine} computes the stored models of a lake: pass --lake DIR "
            "(a warehouse file's models are computed by DuckDB)"
        )
    if not dry_run:
        _warn_without_config(config_path)
    currency = _reporting_currency(config_path)
    if lake is not None:
        from connectors.lake_load import load_lake

        _no_db_with_lake()
        models = _model_writer(engine, config_path) if engine != "duckdb" and not dry_run else None
        report = load_lake(
            lake,
            list(paths),
            sources=sources_path,
            strict=strict,
            progress=True,
            finalize=None if models else refresher(config_path),
            models=models,
            reporting_currency=currency,
            dry_run=dry_run,
        )
    else:
        report = load_paths(
            db,
            list(paths),
            sources=sources_path,
            strict=strict,
            progress=True,
            finalize=refresher(config_path),
            reporting_currency=currency,
            dry_run=dry_run,
        )
    print_report(report)
    if report.dry_run is not None:
        if report.dry_run.failure:
            raise ConnectorError(f"the load would fail:\n{report.dry_run.failure}")
        return
    after_load(db, config_path, lake=lake)


def _model_writer(engine: str, config_path: Path):
    """What computes a lake's stored models on ``engine``: checked (metrics.yaml valid, the
    engine started) before anything is read or written."""
    from metrics.catalog import load_catalog
    from store.lake_models import model_writer

    return model_writer(engine, load_catalog(config_path), config_path)


@click.group("models")
def models_group() -> None:
    """The stored metric models (what the dashboard reads)."""


@models_group.command("rebuild")
@lake_option
@models_engine_option
@config_option
@handle_errors
def models_rebuild(lake: Path | None, engine: str, config_path: Path) -> None:
    """Recompute the stored models of a lake's current version, e.g. after metrics.yaml
    changed, and publish them as a new version (its tables' files shared, not copied).

    A warehouse file's models are rebuilt by each load (and computed live meanwhile when
    metrics.yaml no longer matches them).
    """
    import time

    from metrics.engine import Compiled
    from store.engines import open_engine
    from store.lake import rebuild_models, require_version
    from store.warehouse import default_db_path

    if lake is None:
        raise click.UsageError(
            "models rebuild works on a lake: pass --lake DIR (or set $NORTHSTAR_LAKE); a "
            "warehouse file's models are rebuilt by each 'northstar load'"
        )
    started = time.perf_counter()
    require_version(lake)  # before anything starts: no lake there says how to write one
    version = rebuild_models(lake, _model_writer(engine, config_path))
    stored = open_engine(default_db_path(), lake).run(
        Compiled("SELECT count(*) AS n, max(as_of) AS as_of FROM models.materialized")
    )
    n, as_of = stored.row(0)
    when = f" for the data's as-of {as_of}" if as_of else " (the lake holds no dated rows)"
    click.echo(
        f"{n} stored model(s) computed by {engine}{when}; published as {version.name} in "
        f"{shown_path(str(lake))}; took {time.perf_counter() - started:.1f} s"
    )


@click.command()
@db_option
@config_option
@handle_errors
def demo(db: Path, config_path: Path) -> None:
    """Build a fresh warehouse from the bundled sample_data/."""
    from connectors.demo import build_demo
    from metrics.materialize import refresher

    _warn_without_config(config_path)
    print_report(
        build_demo(
            db,
            progress=True,
            finalize=refresher(config_path),
            sample_data=home.sample_data(),
            reporting_currency=_reporting_currency(config_path),
        )
    )


def _no_db_with_lake() -> None:
    """--db and --lake name two different stores: refuse both at once rather than pick one."""
    source = click.get_current_context().get_parameter_source("db")
    if source == ParameterSource.COMMANDLINE:
        raise click.UsageError("--db and --lake are alternatives: pass one of them")


def _warn_without_config(config_path: Path) -> None:
    """Say before a load, not only after it, that it cannot rebuild the metric models."""
    if not config_path.is_file():
        source = click.get_current_context().get_parameter_source("config_path")
        given = "given by --config" if source == ParameterSource.COMMANDLINE else home.where_from()
        click.echo(
            f"warning: no metrics.yaml at {config_path} ({given}): the stored "
            "metric models will not be rebuilt; pass --config PATH or set $NORTHSTAR_HOME "
            "to the project folder",
            err=True,
        )


_REJECT_COLUMNS = ("file", "row", "table", "rule", "column", "value", "message")


@click.command()
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--file", "file", default=None, help="Only this file (its path, or the end of it).")
@click.option("--rule", default=None, help="Only this rule, e.g. bad_date.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--warnings", "warned", is_flag=True, help="Rows kept with a warning instead.")
@as_option
@lake_option
@config_option
@handle_errors
def rejects(
    db: Path,
    fmt: str,
    file: str | None,
    rule: str | None,
    limit: int,
    warned: bool,
    as_user: str | None,
    lake: Path | None,
    config_path: Path,
) -> None:
    """List rejected rows (or, with --warnings, rows kept with a warning): file, row, rule, value."""
    from connectors.key_rules import key_rule_list
    from connectors.validate import RULES
    from metrics.engine import Compiled
    from metrics.schema import TABLES
    from store.engines import open_engine
    from store.health import tables

    if as_user:
        _may_see_rejects(as_user, config_path)

    known = list(
        dict.fromkeys([*RULES, *(r.rule for t in TABLES.values() for r in key_rule_list(t))])
    )
    if rule is not None and rule not in known:
        close = difflib.get_close_matches(rule, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"rules: {', '.join(known)}"
        raise StoreError(f"unknown rule {rule!r}; {hint}")
    engine = open_engine(db, lake, config_path=config_path)
    listed = "warnings" if warned else "rejects"
    if listed not in tables(engine):
        raise StoreError(
            f"{lake or db} has no {listed} table: load files with 'northstar load PATH' first"
        )
    where, params = [], {"limit": limit}
    if file is not None:
        where.append("(file = $path OR ends_with(file, $tail))")
        params |= {"path": Path(file).absolute().as_posix(), "tail": "/" + file.lstrip("./")}
    if rule is not None:
        where.append("rule = $rule")
        params["rule"] = rule
    cols = ", ".join(f'"{c}"' for c in _REJECT_COLUMNS)
    sql = (
        f"SELECT {cols} FROM {listed} {'WHERE ' + ' AND '.join(where) if where else ''} "
        f'ORDER BY file, "row" LIMIT $limit'
    )
    rows = engine.run(Compiled(sql, params)).rows()
    records = [dict(zip(_REJECT_COLUMNS, r)) for r in rows]
    if fmt == "json":
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(_REJECT_COLUMNS)
        w.writerows(map(safe_row, rows))  # no cell can run as a formula
    elif not records:
        click.echo("no rows kept with a warning" if warned else "no rejected rows")
    else:
        echo_table(
            ["file", "row", "table", "rule", "column", "value", "message"],
            [reject_cells(r) for r in rows],
        )


def _may_see_rejects(email: str, config_path: Path) -> None:
    """Rejected rows are raw extract lines of any customer: only roles with data_health and no
    row scope see them (as on the Data page)."""
    from metrics.access import AccessError, policy_path, viewer_as
    from metrics.catalog import load_catalog

    viewer = viewer_as(policy_path(config_path), load_catalog(config_path), email)
    if not viewer.data_health:
        raise AccessError(
            f"{viewer.who} may not see rejected rows: they are raw extract lines of any customer,"
            " shown only to roles with data_health and no row scope"
        )


def register(group: click.Group) -> None:
    for command in (load, demo, rejects, models_group):
        group.add_command(command)
