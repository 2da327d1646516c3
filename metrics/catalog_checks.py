"""Checks of metrics.yaml across its entries: model SQL that parses and reads known tables,
metric expressions over their model's columns, formulas over known metrics, and no cycles."""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from metrics.located_yaml import KeyPath, LocatedYaml, did_you_mean
from metrics.schema import TABLE_NAMES
from metrics.spec import DerivedMetric, MetricsFile, Model, RatioMetric, SimpleMetric
from metrics.sql_parse import DIALECT, formula_refs, parse_sql


@dataclass(frozen=True)
class ModelInfo:
    name: str
    spec: Model
    columns: tuple[str, ...]  # output columns, as the SELECT names them
    deps: tuple[str, ...]  # other models its SQL reads


def check_models(spec: MetricsFile, doc: LocatedYaml, problems: list[str]) -> dict[str, ModelInfo]:
    """Each model whose SQL parses, with its output columns and the models it reads."""
    infos: dict[str, ModelInfo] = {}
    for name, model in spec.models.items():
        at: KeyPath = ("models", name)
        if name in TABLE_NAMES:
            problems.append(
                f"{doc.where(at)}: a model cannot be named like the table '{name}'; rename it"
            )
            continue
        try:
            tree = parse_sql(model.sql)
        except sqlglot.errors.ParseError as exc:
            problems.append(f"{doc.where(at + ('sql',))}: SQL does not parse: {_first_error(exc)}")
            continue
        if not isinstance(tree, exp.Query):
            problems.append(f"{doc.where(at + ('sql',))}: must be a SELECT")
            continue
        inner = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        reads = {t.name for t in tree.find_all(exp.Table)} - inner
        deps = tuple(sorted(r for r in reads if r in spec.models and r != name))
        unknown = sorted(r for r in reads if r not in spec.models and r not in TABLE_NAMES)
        for r in unknown:
            problems.append(
                f"{doc.where(at + ('sql',))}: reads unknown table or model '{r}'"
                f"{did_you_mean(r, [*TABLE_NAMES, *spec.models])}"
            )
        columns = tuple(tree.named_selects)
        for key, cols in (
            ("key", model.key),
            ("dimensions", model.dimensions),
            ("date", [model.date]),
        ):
            for i, col in enumerate(cols):
                if "*" not in columns and col not in columns:
                    problems.append(
                        f"{doc.where(at + (key,))}: '{col}' is not a column of the model's SELECT"
                        f"{did_you_mean(col, columns)}"
                    )
                if key == "dimensions" and col not in spec.dimensions:
                    problems.append(
                        f"{doc.where(at + (key, i))}: dimension '{col}' is not declared under"
                        f" 'dimensions'{did_you_mean(col, spec.dimensions)}"
                    )
        infos[name] = ModelInfo(name, model, columns, deps)
    _check_cycles({n: set(i.deps) for n, i in infos.items()}, "models", "model", doc, problems)
    return infos


def check_metrics(
    spec: MetricsFile, models: dict[str, ModelInfo], doc: LocatedYaml, problems: list[str]
) -> None:
    """Counterparts, models, expressions, drill columns and formulas of every metric."""
    graph: dict[str, set[str]] = {}
    for name, m in spec.metrics.items():
        at: KeyPath = ("metrics", name)
        for i, c in enumerate(m.counterparts):
            if c.metric not in declared_names(doc, "metrics") | set(spec.metrics):
                problems.append(
                    f"{doc.where(at + ('counterparts', i, 'metric'))}: unknown metric"
                    f" '{c.metric}'{did_you_mean(c.metric, spec.metrics)}"
                )
        if isinstance(m, DerivedMetric):
            graph[name] = _check_formula(m, at, spec, doc, problems)
            continue
        if m.model not in declared_names(doc, "models"):
            problems.append(
                f"{doc.where(at + ('model',))}: unknown model '{m.model}'"
                f"{did_you_mean(m.model, spec.models)}"
            )
            continue
        info = models.get(m.model)
        if info is None:
            continue
        for path, text in _expressions(m):
            _check_expression(text, at + path, info, doc, problems)
        for i, col in enumerate(m.drill_columns):
            if "*" not in info.columns and col not in info.columns:
                problems.append(
                    f"{doc.where(at + ('drill_columns', i))}: '{col}' is not a column of model"
                    f" '{m.model}'{did_you_mean(col, info.columns)}"
                )
    _check_cycles(graph, "metrics", "metric", doc, problems)


def _expressions(m: SimpleMetric | RatioMetric):
    if isinstance(m, SimpleMetric):
        yield ("expr",), m.expr
        yield ("filter",), m.filter
    else:
        for part in ("numerator", "denominator"):
            agg = getattr(m, part)
            yield (part, "expr"), agg.expr
            yield (part, "filter"), agg.filter


def _check_expression(
    text: str | None, at: KeyPath, info: ModelInfo, doc: LocatedYaml, problems: list[str]
) -> None:
    if not text:
        return
    try:
        tree = parse_sql(text)
    except sqlglot.errors.ParseError as exc:
        problems.append(f"{doc.where(at)}: SQL does not parse: {_first_error(exc)}")
        return
    if tree.find(exp.Select, exp.Subquery) is not None:
        problems.append(
            f"{doc.where(at)}: must be an expression over the model's columns, not a query"
        )
    if "*" in info.columns:
        return
    for col in tree.find_all(exp.Column):
        if col.name not in info.columns:
            problems.append(
                f"{doc.where(at)}: unknown column '{col.name}' in model '{info.name}'"
                f"{did_you_mean(col.name, info.columns)}"
            )


def _check_formula(
    m: DerivedMetric, at: KeyPath, spec: MetricsFile, doc: LocatedYaml, problems: list[str]
) -> set[str]:
    try:
        tree = parse_sql(m.formula)
    except sqlglot.errors.ParseError as exc:
        problems.append(
            f"{doc.where(at + ('formula',))}: formula does not parse: {_first_error(exc)}"
        )
        return set()
    allowed = (
        exp.Column,
        exp.Identifier,
        exp.Literal,
        exp.Paren,
        exp.Neg,
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
    )
    for node in tree.walk():
        if not isinstance(node, allowed):
            problems.append(
                f"{doc.where(at + ('formula',))}: only + - * / ( ) numbers and metric names"
                f" are allowed, not {node.sql(DIALECT)!r}"
            )
            return set()
    refs = set(formula_refs(m.formula))
    declared = declared_names(doc, "metrics") | set(spec.metrics)
    for r in sorted(refs - declared):
        problems.append(
            f"{doc.where(at + ('formula',))}: unknown metric '{r}'{did_you_mean(r, declared)}"
        )
    return refs & declared


def declared_names(doc: LocatedYaml, section: str) -> set[str]:
    """Names the file declares in a section, valid or not (so a broken entry is not 'unknown')."""
    entries = doc.data.get(section)
    return {str(k) for k in entries} if isinstance(entries, dict) else set()


def _check_cycles(
    graph: dict[str, set[str]], section: str, kind: str, doc: LocatedYaml, problems: list[str]
) -> None:
    state: dict[str, int] = {}

    def visit(n: str, trail: list[str]) -> None:
        state[n] = 1
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                cycle = " -> ".join(trail[trail.index(d) :] + [d]) if d in trail else f"{n} -> {d}"
                problems.append(
                    f"{doc.where((section, n))}: {kind}s refer to each other in a cycle: {cycle}"
                )
            elif d in graph and not state.get(d):
                visit(d, trail + [d])
        state[n] = 2

    for n in graph:
        if not state.get(n):
            visit(n, [n])


def _first_error(exc: sqlglot.errors.ParseError) -> str:
    if exc.errors:
        e = exc.errors[0]
        return f"{e.get('description')} near '{e.get('highlight', '')}'"
    return str(exc).splitlines()[0]
