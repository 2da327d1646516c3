"""Compile a metric query into one statement with bound parameters.

The statement is written in the source dialect (DuckDB's, see metrics.engine) but
uses nothing an engine may lack: explicit GROUP BY and UNION column lists, no
``GROUP BY ALL`` or ``UNION ALL BY NAME``; an engine renders it for its dialect.

Per model: one aggregate over the model's rows that yields each metric's
additive parts (numerator, denominator, sample size). Parts of different
models are combined by period and dimensions, and ratios are computed from
the combined parts, never averaged. Names come from the validated catalogue;
every user value is a ``$parameter``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlglot import exp

from metrics.catalog import Catalog
from metrics.engine import Compiled
from metrics.spec import Aggregate, RatioMetric, SimpleMetric
from metrics.sql_parse import DIALECT, parse_sql
from metrics.targets import base_target

GRAINS = ("day", "week", "month", "quarter", "year")
STORED_SCHEMA = "models"  # where a load materialises the models (see materialize.py)

# Models read from a table instead of computed live: their names (the stored tables), or each
# name with the relation that holds it (metrics/moved_models.py).
Stored = Collection[str] | Mapping[str, str]


@dataclass(frozen=True)
class Query:
    """A question to the engine: metrics x dimensions x grain x date range x filters x as-of."""

    metrics: tuple[str, ...]
    by: tuple[str, ...] = ()
    grain: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    as_of: dt.date | None = None
    # The viewer's row scope (see metrics.access): ANDed with ``where``, so no filter widens it.
    scope: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def replace(self, **changes) -> Query:
        return Query(**{**self.__dict__, **changes})

    @property
    def filters(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Every row condition: the asked-for filters, then the viewer's scope."""
        return self.where + self.scope


def settings_params(catalog: Catalog, as_of: dt.date) -> dict[str, object]:
    s = catalog.spec.settings
    return {
        "as_of": as_of,
        "due_basis": s.due_date,
        "late_tolerance_days": s.late_tolerance_days,
        "fcr_window_hours": s.fcr_window_hours,
        "reporting_currency": s.reporting_currency,
        **catalog.theme_params,
    }


def model_ctes(catalog: Catalog, models: list[str], stored: Stored = frozenset()) -> str:
    """A WITH clause defining the models: read from their stored table, or computed live."""
    relation = (
        stored if isinstance(stored, Mapping) else {n: f"{STORED_SCHEMA}.{n}" for n in stored}
    )
    parts = [
        f"{name} AS (SELECT * FROM {relation[name]})"
        if name in relation
        else f"{name} AS (\n{catalog.model_sql(name).strip()}\n)"
        for name in catalog.model_order(models, stop_at=frozenset(relation))
    ]
    return "WITH " + ",\n".join(parts)


def used_params(sql: str, params: dict[str, object]) -> dict[str, object]:
    """Only the parameters the statement names (DuckDB refuses unused ones)."""
    names = set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))
    return {k: v for k, v in params.items() if k in names}


def _agg_sql(agg: str, expr: str | None, filt: str | None) -> str:
    inner = "*" if agg == "count" and not expr else (expr or "*")
    func = {"count_distinct": "count(DISTINCT {})", "avg": "avg({})"}.get(agg, f"{agg}({{}})")
    sql = func.format(inner)
    return f"{sql} FILTER (WHERE {filt})" if filt else sql


def _count_sql(filt: str | None) -> str:
    return f"count(*) FILTER (WHERE {filt})" if filt else "count(*)"


def _parts(name: str, m: SimpleMetric | RatioMetric) -> dict[str, str]:
    """Additive parts of a base metric, as aggregate expressions over its model."""
    if isinstance(m, SimpleMetric):
        return {
            f"{name}__val": _agg_sql(m.agg, m.expr, m.filter),
            f"{name}__n": _count_sql(m.filter),
        }
    return {
        f"{name}__num": _agg_sql(m.numerator.agg, m.numerator.expr, m.numerator.filter),
        f"{name}__den": _agg_sql(m.denominator.agg, m.denominator.expr, m.denominator.filter),
        f"{name}__n": _count_sql(m.denominator.filter),
    }


def value_sql(catalog: Catalog, name: str) -> str:
    """The SQL of a metric's value over the combined parts."""
    m = catalog.metric(name)
    if isinstance(m, SimpleMetric):
        additive = m.agg in ("count", "sum")
        return f"coalesce({name}__val, 0)" if additive else f"{name}__val"
    if isinstance(m, RatioMetric):
        scale = "" if m.scale == 1 else f"{m.scale!r} * "
        return f"{scale}{name}__num / NULLIF({name}__den, 0)"
    tree = parse_sql(m.formula)
    tree = tree.transform(
        lambda node: (
            parse_sql(f"({value_sql(catalog, node.name)})")
            if isinstance(node, exp.Column)
            else node
        )
    )
    tree = tree.transform(
        lambda node: (
            exp.Div(
                this=node.this,
                expression=exp.func("NULLIF", node.expression, exp.Literal.number(0)),
            )
            if isinstance(node, exp.Div)
            else node
        )
    )
    return tree.sql(DIALECT)


def n_sql(catalog: Catalog, name: str) -> str:
    """A metric's sample size; a derived one rests on the smallest of its parts' (a group
    without rows of one part, e.g. contacts with no customer and so no orders, has n = 0)."""
    bases = catalog.base_metrics(name)
    if len(bases) == 1:
        return f"{bases[0]}__n"
    return "least(" + ", ".join(f"coalesce({b}__n, 0)" for b in bases) + ")"


def _model_select(
    catalog: Catalog,
    model: str,
    metrics: list[str],
    q: Query,
    params: dict[str, object],
    all_parts: list[str],
) -> str:
    spec = catalog.models[model].spec
    keys = _group_columns(q, spec.date)
    aggs: dict[str, str] = {}
    for name in metrics:
        aggs.update(_parts(name, catalog.metric(name)))
    # every part column of the query, NULL where this model has none: the parts line up by position
    cols = [aggs.get(c, "NULL") + f" AS {c}" for c in all_parts]
    named = [sql if sql == alias else f"{sql} AS {alias}" for alias, sql in keys.items()]
    select = ",\n  ".join([*named, *cols])
    conds = query_conditions(q, spec.date, params)
    where = f"\nWHERE {' AND '.join(conds)}" if conds else ""
    group = f"\nGROUP BY {', '.join(keys.values())}" if keys else ""
    return f"SELECT\n  {select}\nFROM {model}{where}{group}"


def _group_columns(q: Query, date_col: str) -> dict[str, str]:
    """The grouping keys of a model's aggregate: output name -> expression."""
    cols = {"period": f"CAST(date_trunc('{q.grain}', {date_col}) AS DATE)"} if q.grain else {}
    return cols | {d: d for d in q.by}


def query_conditions(q: Query, date_col: str, params: dict[str, object]) -> list[str]:
    """``q``'s date range on ``date_col`` and its filters (with the viewer's scope), values
    bound in ``params``: the conditions on a model's rows."""
    conds = []
    if q.date_from:
        params["date_from"] = q.date_from
        conds.append(f"{date_col} >= $date_from")
    if q.date_to:
        params["date_to"] = q.date_to
        conds.append(f"{date_col} <= $date_to")
    return conds + filter_conditions(q.filters, params)


def filter_conditions(
    filters: tuple[tuple[str, tuple[str, ...]], ...],
    params: dict[str, object],
    *,
    alias: str = "",
    prefix: str = "w",
) -> list[str]:
    """``dim IN ($w0_0, ...)`` per filter, its values bound in ``params``. The one filter builder:
    pass ``q.filters`` (asked-for filters and the viewer's scope), never ``q.where`` alone.
    Dimension names must already be validated against the catalogue."""
    conds = []
    for i, (dim, values) in enumerate(filters):
        names = []
        for j, v in enumerate(values):
            params[f"{prefix}{i}_{j}"] = v
            names.append(f"${prefix}{i}_{j}")
        conds.append(f"{alias}{dim} IN ({', '.join(names) or 'NULL'})")
    return conds


def compile_query(
    catalog: Catalog, q: Query, as_of: dt.date, stored: Stored = frozenset()
) -> Compiled:
    """One statement answering ``q``; names in ``q`` must already be validated."""
    params = settings_params(catalog, as_of)
    by_model: dict[str, list[str]] = {}
    for name in q.metrics:
        for base in catalog.base_metrics(name):
            model = catalog.metric(base).model
            if base not in by_model.setdefault(model, []):
                by_model[model].append(base)
    part_cols = [c for ms in by_model.values() for b in ms for c in _parts(b, catalog.metric(b))]
    parts = [
        f"part_{m} AS (\n{_model_select(catalog, m, ms, q, params, part_cols)}\n)"
        for m, ms in by_model.items()
    ]
    keys = (["period"] if q.grain else []) + list(q.by)
    listed = ", ".join([*keys, *part_cols])
    union = "\nUNION ALL\n".join(f"SELECT {listed} FROM part_{m}" for m in by_model)
    combined = ", ".join([*keys, *(f"max({c}) AS {c}" for c in part_cols)])
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    outputs = []
    for name in q.metrics:
        outputs.append(f"{value_sql(catalog, name)} AS {name}")
        outputs.append(f"{n_sql(catalog, name)} AS {name}__n")
        if isinstance(catalog.metric(name), RatioMetric):
            outputs += [f"{name}__num", f"{name}__den"]
    order = f"\nORDER BY {', '.join(f'{k} NULLS LAST' for k in keys)}" if keys else ""
    sql = (
        f"{model_ctes(catalog, list(by_model), stored)},\n"
        + ",\n".join(parts)
        + f",\ncombined AS (\nSELECT {combined} FROM ({union}) AS parts{group}\n)"
        + f"\nSELECT {', '.join([*keys, *outputs])}\nFROM combined{order}"
    )
    return Compiled(sql, used_params(sql, params))


TAG = "_tag"  # the column compile_rows adds for ``tag``


def compile_rows(
    catalog: Catalog,
    metric: str,
    q: Query,
    as_of: dt.date,
    *,
    failing: bool,
    limit: int | None,
    stored: Stored = frozenset(),
    tag: str | None = None,
) -> Compiled:
    """The records behind a metric value: its model's rows that count in it. With ``tag`` (a
    validated dimension), the first ``limit`` rows of each of its values, with two more
    columns: the value (``_tag``) and the row's number within it (``_tag_n``)."""
    base = catalog.base_metrics(metric)[0]
    m = catalog.metric(base)
    spec = catalog.models[m.model].spec
    params = settings_params(catalog, as_of)
    conds = query_conditions(q, spec.date, params)
    scope = m.filter if isinstance(m, SimpleMetric) else m.denominator.filter
    if scope:
        conds.append(f"({scope})")
    if failing and not isinstance(m, SimpleMetric):
        conds.append(_failing_condition(catalog, base, m))
    columns = list(dict.fromkeys([*m.drill_columns] or ["*"]))
    where = f"\nWHERE {' AND '.join(conds)}" if conds else ""
    order = f"{spec.date} DESC, {', '.join(spec.key)}"
    ctes = model_ctes(catalog, [m.model], stored)
    if tag is not None:  # the first `limit` rows of each value of `tag`, numbered in order
        number = f"row_number() OVER (PARTITION BY {tag} ORDER BY {order})"
        inner = f"SELECT {', '.join(columns)}, {tag} AS {TAG}, {number} AS {TAG}_n FROM {m.model}"
        sql = f"{ctes}\nSELECT * FROM ({inner}{where}) AS tagged"
        if limit is not None:
            params["limit"] = limit
            sql += f"\nWHERE {TAG}_n <= $limit"
        return Compiled(sql + f"\nORDER BY {TAG}_n", used_params(sql, params))
    sql = f"{ctes}\nSELECT {', '.join(columns)}\nFROM {m.model}{where}\nORDER BY {order}"
    if limit is not None:
        params["limit"] = limit
        sql += "\nLIMIT $limit"
    return Compiled(sql, used_params(sql, params))


def _failing_condition(catalog: Catalog, name: str, m: RatioMetric) -> str:
    """Rows that pull the metric the wrong way."""
    num: Aggregate = m.numerator
    up = m.direction == "up"
    if num.agg == "count":
        hit = f"coalesce(({num.filter or 'true'}), false)"
        return f"NOT {hit}" if up else hit
    if m.denominator.agg == "sum":  # e.g. units shipped against units ordered
        cmp = "<" if up else ">"
        return f"coalesce({num.expr}, 0) {cmp} coalesce({m.denominator.expr}, 0)"
    target = base_target(m)
    if target is None:
        return "true"
    cmp = "<" if up else ">"
    return f"{m.scale!r} * coalesce({num.expr}, 0) {cmp} {target!r}"
