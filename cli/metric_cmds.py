"""Commands over the metric engine: query, rows, metrics, check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import polars as pl

from cli.errors import handle_errors
from cli.options import (
    as_option,
    config_option,
    db_option,
    engine_option,
    lake_option,
    sources_option,
)
from cli.output import FORMATS, emit
from metrics.access import load_policy, policy_path, viewer_as
from metrics.catalog import Catalog, load_catalog
from metrics.details import run_details
from metrics.engine import Compiled
from metrics.errors import ConfigError, MetricsError
from metrics.portability import ENGINES, engine_problems
from metrics.query import fetch_rows, run_query
from metrics.sqlgen import GRAINS, Query, compile_query
from metrics.targets import base_target
from present import format as units
from present.query_table import people_table
from store.engine_config import engines_path, load_engines
from store.engines import open_engine


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for item in values for v in item.split(",") if v.strip()))


def _date(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise MetricsError(
            f"bad date for {flag}: '{value}'; write it as YYYY-MM-DD, e.g. 2026-03-31"
        ) from None


def _where(items: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for item in items:
        dim, sep, values = item.partition("=")
        if not sep or not dim.strip():
            raise click.BadParameter(
                f"'{item}' is not DIM=V[,V...], e.g. region=North,South", param_hint="--where"
            )
        out.append((dim.strip(), tuple(v.strip() for v in values.split(",") if v.strip())))
    return tuple(out)


def _options(fn, options: list) -> click.Command:
    for decorator in reversed(options):
        fn = decorator(fn)
    return fn


def filter_options(fn):
    """Filters shared by ``query`` and ``rows``: which records count."""
    return _options(
        fn,
        [
            click.option(
                "--from", "date_from", help="First date (inclusive, on the metric's date)."
            ),
            click.option("--to", "date_to", help="Last date (inclusive)."),
            click.option(
                "--where",
                "where",
                multiple=True,
                help="Filter DIM=V[,V...]; repeatable (see 'northstar dimensions').",
            ),
            click.option(
                "--as-of",
                "as_of",
                help="Date up to which the world is known (default: latest data).",
            ),
            click.option(
                "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True
            ),
            as_option,
            db_option,
            lake_option,
            engine_option,
            config_option,
        ],
    )


def _as(q: Query, catalog: Catalog, as_user: str | None, config_path: Path) -> Query:
    """``q`` scoped to the user of ``--as`` (unchanged without it)."""
    if not as_user:
        return q
    viewer = viewer_as(policy_path(config_path), catalog, as_user)
    scope = dict(viewer.scope)
    for dim, values in q.where:
        outside = [v for v in values if dim in scope and v not in scope[dim]]
        if outside:
            click.echo(
                f"note: {dim}={','.join(outside)} lies outside what {viewer.who} may see"
                f" ({dim} = {', '.join(scope[dim])}): those rows are not counted",
                err=True,
            )
    return viewer.scoped(catalog, q)


def grouping_options(fn):
    """How ``query`` groups its values (``rows`` lists records, so it has none)."""
    return _options(
        fn,
        [
            click.option(
                "--by",
                multiple=True,
                help="Dimension(s) to group by: D[,D...] (see 'northstar dimensions').",
            ),
            click.option("--grain", type=click.Choice(GRAINS), help="Time grain of the periods."),
        ],
    )


def _query(metrics: tuple[str, ...], date_from, date_to, where, as_of, by=(), grain=None) -> Query:
    return Query(
        metrics=_split(metrics),
        by=_split(by),
        grain=grain,
        date_from=_date(date_from, "--from"),
        date_to=_date(date_to, "--to"),
        where=_where(where),
        as_of=_date(as_of, "--as-of"),
    )


@click.command("query")
@click.option("--metric", "metrics", multiple=True, required=True, help="Metric name(s): M[,M...].")
@grouping_options
@filter_options
@handle_errors
def query_cmd(
    metrics,
    by,
    grain,
    date_from,
    date_to,
    where,
    as_of,
    fmt,
    as_user,
    db,
    lake,
    engine,
    config_path,
):
    """Compute metrics, optionally by dimensions and time grain."""
    q = _query(metrics, date_from, date_to, where, as_of, by, grain)
    catalog = load_catalog(config_path)
    q = _as(q, catalog, as_user, config_path)
    eng = open_engine(db, lake, engine, config_path)
    if fmt == "table":  # for people: units, the records a value rests on, its target
        emit(people_table(run_details(eng, catalog, q, compare=False), catalog, q), fmt)
    else:  # JSON/CSV keep fractions, seconds and nulls
        emit(run_query(eng, catalog, q).values(), fmt)


@click.command("rows")
@click.option("--metric", required=True, help="The metric whose records to list.")
@click.option("--failing", is_flag=True, help="Only the records that count against the metric.")
@click.option("--limit", type=click.IntRange(min=0), default=100, show_default=True)
@filter_options
@handle_errors
def rows_cmd(
    metric,
    failing,
    limit,
    date_from,
    date_to,
    where,
    as_of,
    fmt,
    as_user,
    db,
    lake,
    engine,
    config_path,
):
    """List the records behind a metric value (e.g. orders that missed OTIF, with the reason).

    The records are those the metric counts over the same --from/--to/--where/--as-of
    as 'northstar query'; newest first.
    """
    q = _query((metric,), date_from, date_to, where, as_of)
    if len(q.metrics) != 1:
        raise MetricsError("rows takes exactly one --metric")
    catalog = load_catalog(config_path)
    q = _as(q, catalog, as_user, config_path)
    emit(
        fetch_rows(
            open_engine(db, lake, engine, config_path),
            catalog,
            q.metrics[0],
            q,
            failing=failing,
            limit=limit,
        ),
        fmt,
    )


def _emit_with_lists(rows: list[dict], fmt: str) -> None:
    """JSON keeps lists as arrays; CSV writes them as the comma list --by takes, a table wraps them."""
    if fmt != "json":
        sep = "," if fmt == "csv" else ", "
        rows = [{k: sep.join(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows]
    emit(pl.DataFrame(rows, infer_schema_length=None), fmt)


@click.command("metrics")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@config_option
@handle_errors
def metrics_cmd(fmt, config_path):
    """List the metric catalogue.

    JSON and CSV also list each metric's dimensions (for a table: 'northstar dimensions').
    """
    catalog = load_catalog(config_path)
    units.use_currency(catalog.spec.settings.reporting_currency)  # a money target's sign
    rows = [
        {
            "name": name,
            "label": m.label,
            "family": m.family,
            "owner": m.owner,
            "unit": m.unit,
            "format": m.format,
            "direction": m.direction,
            "target": (
                base_target(m)  # JSON and CSV keep the number, a table shows its unit
                if fmt != "table"
                else (None if base_target(m) is None else units.value(base_target(m), m.format))
            ),
            "min_sample": m.min_sample,
            "counterparts": ",".join(c.metric for c in m.counterparts) or None,
            "definition": m.description,
        }
        | ({} if fmt == "table" else {"dimensions": catalog.dimensions_of(name)})
        for name, m in catalog.metrics.items()
    ]
    _emit_with_lists(rows, fmt)


@click.command("dimensions")
@click.option("--metric", "metrics", multiple=True, help="Only these metric(s): M[,M...].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@config_option
@handle_errors
def dimensions_cmd(metrics, fmt, config_path):
    """List the dimensions usable with --by and --where, per metric."""
    catalog = load_catalog(config_path)
    names = _split(metrics) or tuple(catalog.metrics)
    rows = [
        {
            "metric": name,
            "label": catalog.metric(name).label,
            "dimensions": catalog.dimensions_of(name),
        }
        for name in names
    ]
    _emit_with_lists(rows, fmt)


@click.command("check")
@config_option
@sources_option
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also compile every metric against this warehouse.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default=None,
    help="Also check that every model and metric transpiles to this engine's SQL.",
)
@handle_errors
def check_cmd(config_path, sources_path, db, engine):
    """Validate metrics.yaml, sources.yaml, alerts.yaml, subscriptions.yaml and engines.yaml
    (with --db, every metric against the warehouse; with --engine, every model and metric in
    that engine's SQL)."""
    problems: list[str] = []
    catalog = None
    try:
        catalog = load_catalog(config_path)
    except ConfigError as err:
        problems += err.problems
    if sources_path is not None:
        from connectors.sources import check_sources

        problems += check_sources(sources_path)
    checked = [str(config_path)] + ([str(sources_path)] if sources_path else [])
    policy = policy_path(config_path)
    if catalog is not None and policy.exists():
        checked.append(str(policy))
        try:
            load_policy(policy, catalog)
        except ConfigError as err:
            problems += err.problems
    if catalog is not None:
        from metrics.subscription_spec import check_delivery_files

        found, files = check_delivery_files(config_path, catalog)
        problems += found
        checked += [str(f) for f in files]
    if (engines := engines_path(config_path)).is_file():
        checked.append(str(engines))
        try:
            load_engines(engines)
        except ConfigError as err:
            problems += err.problems
    if catalog is not None and db is not None:
        problems += _compile_all(catalog, db)
    if catalog is not None and engine is not None:
        problems += engine_problems(config_path, catalog, engine)
    if problems:
        for p in problems:
            click.echo(p, err=True)
        click.echo(f"{len(problems)} problem(s) found", err=True)
        raise SystemExit(1)
    click.echo(
        f"ok: {', '.join(checked)}"
        + (f"; {len(catalog.metrics)} metrics compile against {db}" if db else "")
        + (f"; every model and metric transpiles to {engine} SQL" if engine else "")
    )


def _compile_all(catalog, db: Path) -> list[str]:
    engine = open_engine(db, None)
    problems = []
    for name in catalog.metrics:
        compiled = compile_query(catalog, Query(metrics=(name,)), dt.date.today())
        try:
            engine.run(Compiled(f"EXPLAIN {compiled.sql}", compiled.params))
        except MetricsError as exc:  # the engine's binder or parser refused it
            problems.append(
                f"{catalog.source}: metrics.{name}: does not compile against {db}: "
                f"{str(exc).splitlines()[0]}"
            )
    return problems


def register(group: click.Group) -> None:
    for command in (query_cmd, rows_cmd, metrics_cmd, dimensions_cmd, check_cmd):
        group.add_command(command)
