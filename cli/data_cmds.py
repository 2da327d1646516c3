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
from cli.options import (
    as_option,
    config_option,
    db_option,
    lake_option,
    models_engine_option,
    sources_option,
)
from connectors.load import LoadReport
from metrics import home
from present.csv_safe import safe_row
from present.safe_text import plain_text
from store.errors import StoreError


def _shown(file: str) -> str:
    try:
        return Path(file).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return file


def _print_report(report: LoadReport) -> None:
    width = max((len(_shown(f.file)) for f in report.files), default=0)
    for f in report.files:
        name = _shown(f.file).ljust(width)
        if f.skipped:
            click.echo(f"{f.table:<10} {name}  unchanged (already loaded)")
            continue
        if f.note:
            click.echo(f"{f.table:<10} {name}  {f.note}")
            continue
        reasons = ", ".join(f"{rule}: {n:,}" for rule, n in f.top_rules)
        warned = sum(n for _, n in f.warnings)
        click.echo(
            f"{f.table:<10} {name}  read {f.rows_read:,}  loaded {f.rows_loaded:,}  "
            f"rejected {f.rows_rejected:,}"
            + (f"  ({reasons})" if reasons else "")
            + (f"  replaced {f.replaced:,} older row(s)" if f.replaced else "")
            + (
                f"  kept with a warning {warned:,} ("
                + ", ".join(f"{r}: {n:,}" for r, n in f.warnings)
                + ")"
                if warned
                else ""
            )
        )
    done = [f for f in report.files if not f.skipped and not f.note]
    tail = (
        f"; {report.rows_rejected:,} rejected, see 'northstar rejects'"
        if report.rows_rejected
        else ""
    )
    click.echo(
        f"{len(done)} file(s) loaded into {_shown(report.db)}: {report.rows_loaded:,} rows{tail}"
    )
    if report.finalize_note:
        click.echo(f"note: {report.finalize_note}")
    if report.finalize_seconds is not None and not report.finalize_note:
        click.echo(
            f"took {report.seconds:.1f} s, of which {report.finalize_seconds:.1f} s rebuilding "
            "the stored metric models"
        )
    elif report.seconds:
        click.echo(f"took {report.seconds:.1f} s")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail the whole load if any row is rejected.")
@db_option
@lake_option
@models_engine_option
@sources_option
@config_option
@handle_errors
def load(
    paths: tuple[Path, ...],
    strict: bool,
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
    """
    from cli.alert_cmds import after_load
    from connectors.load import load_paths
    from metrics.materialize import refresher

    if lake is None and engine != "duckdb":
        raise click.UsageError(
            f"--engine {engine} computes the stored models of a lake: pass --lake DIR "
            "(a warehouse file's models are computed by DuckDB)"
        )
    _warn_without_config(config_path)
    if lake is not None:
        from connectors.lake_load import load_lake

        _no_db_with_lake()
        models = _model_writer(engine, config_path) if engine != "duckdb" else None
        _print_report(
            load_lake(
                lake,
                list(paths),
                sources=sources_path,
                strict=strict,
                progress=True,
                finalize=None if models else refresher(config_path),
                models=models,
            )
        )
        after_load(db, config_path, lake=lake)
        return
    _print_report(
        load_paths(
            db,
            list(paths),
            sources=sources_path,
            strict=strict,
            progress=True,
            finalize=refresher(config_path),
        )
    )
    after_load(db, config_path)


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
        f"{_shown(str(lake))}; took {time.perf_counter() - started:.1f} s"
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
    _print_report(
        build_demo(
            db, progress=True, finalize=refresher(config_path), sample_data=home.sample_data()
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
    from connectors.validate import RULES
    from metrics.engine import Compiled
    from store.engines import open_engine
    from store.health import tables

    if as_user:
        _may_see_rejects(as_user, config_path)

    if rule is not None and rule not in RULES:
        close = difflib.get_close_matches(rule, RULES, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"rules: {', '.join(RULES)}"
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
        shown = [
            [  # cells from the extract: one line each, no escape sequence reaches the terminal
                plain_text(_shown(r[0])),
                str(r[1]),
                plain_text(r[2]),
                plain_text(r[3]),
                plain_text(r[4] or ""),
                "" if r[5] is None else plain_text(repr(r[5])),
                plain_text(r[6]),
            ]
            for r in rows
        ]
        head = ["file", "row", "table", "rule", "column", "value", "message"]
        widths = [min(60, max(len(h), *(len(s[i]) for s in shown))) for i, h in enumerate(head)]
        for line in [head] + shown:
            click.echo("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip())


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
