"""The metric catalogue: metrics.yaml validated into an immutable Catalog.

``load_catalog(path)`` reads; ``parse_catalog(located)`` is pure and reports
every problem at once, each with file, line, key path and a "did you mean".
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pydantic
import sqlglot
from sqlglot import exp

from metrics.engine import SOURCE_DIALECT
from metrics.errors import ConfigError, MetricsError
from metrics.located_yaml import KeyPath, LocatedYaml, did_you_mean, read_located
from metrics.pydantic_messages import describe_error
from metrics.schema import TABLE_NAMES
from metrics.spec import (
    AtRisk,
    DerivedMetric,
    Dimension,
    Metric,
    MetricsFile,
    MissReasons,
    Model,
    RatioMetric,
    Settings,
    SimpleMetric,
    Theme,
)
from metrics.themes import (
    OTHER,
    VOICE_MODEL,
    expand_themes,
    metric_name,
    theme_metrics,
    theme_params,
)

DIALECT = SOURCE_DIALECT


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read=DIALECT)


def parse_sql(text: str) -> exp.Expression:
    """Parse DuckDB SQL (a private copy: callers may transform it)."""
    return _parse_cached(text).copy()


@dataclass(frozen=True)
class ModelInfo:
    name: str
    spec: Model
    columns: tuple[str, ...]  # output columns, as the SELECT names them
    deps: tuple[str, ...]  # other models its SQL reads


@dataclass(frozen=True)
class Pair:
    department: str
    customer: str
    reveals: str


@dataclass(frozen=True)
class MissReason:
    name: str  # the spec's identifier, e.g. late_dispatch
    label: str
    owner: str  # the function that acts on it


@dataclass(frozen=True)
class Catalog:
    spec: MetricsFile
    models: dict[str, ModelInfo]
    source: str

    @property
    def metrics(self) -> dict[str, Metric]:
        return self.spec.metrics

    def metric(self, name: str) -> Metric:
        if name not in self.spec.metrics:
            raise MetricsError(
                f"unknown metric '{name}'{did_you_mean(name, self.spec.metrics)}"
                f" (run 'northstar metrics' for the list)"
            )
        return self.spec.metrics[name]

    def base_metrics(self, name: str) -> list[str]:
        """The non-derived metrics a metric is computed from (itself if not derived)."""
        m = self.metric(name)
        if not isinstance(m, DerivedMetric):
            return [name]
        out: list[str] = []
        for ref in formula_refs(m.formula):
            out += [b for b in self.base_metrics(ref) if b not in out]
        return out

    def models_of(self, name: str) -> list[str]:
        return list(dict.fromkeys(self.metric(b).model for b in self.base_metrics(name)))

    def dimensions_of(self, name: str) -> list[str]:
        """Dimensions offered by every model the metric reads."""
        models = [self.models[m].spec for m in self.models_of(name)]
        return [d for d in models[0].dimensions if all(d in m.dimensions for m in models[1:])]

    def model_sql(self, name: str) -> str:
        """The model's SQL as it runs: ``themes_of(column)`` written out (metrics.themes)."""
        return expand_themes(self.models[name].spec.sql, self.spec.themes)

    @cached_property
    def theme_params(self) -> dict[str, object]:
        """The bound parameters ``themes_of`` refers to (metrics.themes), worked out once."""
        return theme_params(self.spec.themes)

    @cached_property
    def fingerprints(self) -> dict[str, str]:
        """Per model, a hash of what its stored rows depend on: its SQL, its dependencies'
        SQL, the settings and, for a model matching comment themes, the themes."""
        out = {}
        for model in self.models:
            parts = [self.models[m].spec.sql for m in self.model_order([model])]
            inputs: list[object] = [parts, self.spec.settings.model_dump()]
            if any("themes_of(" in p for p in parts):
                inputs.append(self.theme_params)
            text = json.dumps(inputs, sort_keys=True)
            out[model] = hashlib.sha256(text.encode()).hexdigest()[:16]
        return out

    def date_label(self, name: str) -> str:
        return " / ".join(self.models[m].spec.date for m in self.models_of(name))

    @cached_property
    def miss_reasons(self) -> tuple[MissReason, ...]:
        """The OTIF miss reasons in the spec's first-match order, with label and owner."""
        return tuple(
            MissReason(name, r.label, r.owner)
            for name, r in (
                (n, getattr(self.spec.miss_reasons, n)) for n in MissReasons.model_fields
            )
        )

    def miss_reason(self, name: str) -> MissReason | None:
        return next((r for r in self.miss_reasons if r.name == name), None)

    @cached_property
    def pairs(self) -> list[Pair]:
        return [
            Pair(name, c.metric, c.reveals)
            for name, m in self.metrics.items()
            for c in m.counterparts
        ]

    def model_order(self, names: list[str], stop_at: frozenset[str] = frozenset()) -> list[str]:
        """The models and all their dependencies, dependencies first (not those of ``stop_at``)."""
        ordered: list[str] = []

        def visit(n: str) -> None:
            for d in () if n in stop_at else self.models[n].deps:
                visit(d)
            if n not in ordered:
                ordered.append(n)

        for n in names:
            visit(n)
        return ordered


def formula_refs(formula: str) -> list[str]:
    return list(dict.fromkeys(c.name for c in parse_sql(formula).find_all(exp.Column)))


def load_catalog(path: Path | str) -> Catalog:
    return parse_catalog(read_located(Path(path)))


def parse_catalog(doc: LocatedYaml) -> Catalog:
    if not isinstance(doc.data, dict):
        what = "settings, miss_reasons, dimensions, models and metrics"
        raise ConfigError([f"{doc.source}: expected a mapping with {what}"])
    problems: list[str] = []
    spec = _validate_sections(doc, problems)
    spec = _with_theme_metrics(spec, doc, problems)
    models = _check_models(spec, doc, problems)
    _check_metrics(spec, models, doc, problems)
    if problems:
        raise ConfigError(problems)
    return Catalog(spec, models, doc.source)


_SECTIONS = {
    "settings": Settings,
    "at_risk": AtRisk,
    "miss_reasons": MissReasons,
    "dimensions": Dimension,
    "models": Model,
    "metrics": Metric,
    "themes": Theme,
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _validate_sections(doc: LocatedYaml, problems: list[str]) -> MetricsFile:
    """Validate each entry on its own, so one bad metric does not hide the others' problems."""
    data = doc.data
    for key in data:
        if key not in _SECTIONS:
            problems.append(
                f"{doc.where((key,))}: unknown key '{key}'{did_you_mean(str(key), _SECTIONS)}"
                f" (allowed: {', '.join(_SECTIONS)})"
            )
    settings = (
        _validated(Settings, data.get("settings") or {}, ("settings",), doc, problems) or Settings()
    )
    at_risk = _validated(AtRisk, data.get("at_risk") or {}, ("at_risk",), doc, problems) or AtRisk()
    reasons = None
    if data.get("miss_reasons") is None:
        problems.append(
            f"{doc.where(())}: required section 'miss_reasons' is missing: each OTIF miss"
            f" reason ({', '.join(MissReasons.model_fields)}) with its label and owner"
        )
    else:
        reasons = _validated(MissReasons, data["miss_reasons"], ("miss_reasons",), doc, problems)
    sections: dict[str, dict] = {}
    for section in ("dimensions", "models", "metrics", "themes"):
        entries = data.get(section)
        if section == "themes" and entries is None:
            entries = {}
        if not isinstance(entries, dict):
            problems.append(
                f"{doc.where((section,))}: '{section}' must be a mapping of names to definitions"
            )
            entries = {}
        sections[section] = {}
        for name, body in entries.items():
            if not isinstance(name, str) or not _NAME.match(name):
                problems.append(
                    f"{doc.where((section, name))}: name '{name}' must be lower_snake_case"
                )
                continue
            value = _validated(_SECTIONS[section], body, (section, name), doc, problems)
            if value is not None:
                sections[section][name] = value
    return MetricsFile.model_construct(
        settings=settings, at_risk=at_risk, miss_reasons=reasons, **sections
    )


def _with_theme_metrics(spec: MetricsFile, doc: LocatedYaml, problems: list[str]) -> MetricsFile:
    """The spec with a share metric per theme (``theme_<name>``, see metrics.themes)."""
    if not spec.themes:
        return spec
    if OTHER in spec.themes:
        problems.append(
            f"{doc.where(('themes', OTHER))}: '{OTHER}' is the theme of comments no pattern"
            " matches; name this theme otherwise"
        )
    if VOICE_MODEL not in _declared(doc, "models"):
        problems.append(
            f"{doc.where(('themes',))}: themes are counted by the model '{VOICE_MODEL}', which"
            " 'models' lacks"
        )
    generated = theme_metrics(spec.themes)
    for name in sorted(set(generated) & _declared(doc, "metrics")):
        theme = name.removeprefix(metric_name(""))
        problems.append(
            f"{doc.where(('metrics', name))}: '{name}' is the share metric of the theme"
            f" '{theme}' (made from 'themes:'); give this metric another name"
        )
    return spec.model_copy(update={"metrics": {**spec.metrics, **generated}})


def _validated(kind, body, at: KeyPath, doc: LocatedYaml, problems: list[str]):
    try:
        return pydantic.TypeAdapter(kind).validate_python(body)
    except pydantic.ValidationError as err:
        problems.extend(
            describe_error({**e, "loc": at + tuple(e["loc"])}, doc) for e in err.errors()
        )
        return None


def _check_models(spec: MetricsFile, doc: LocatedYaml, problems: list[str]) -> dict[str, ModelInfo]:
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


def _check_metrics(
    spec: MetricsFile, models: dict[str, ModelInfo], doc: LocatedYaml, problems: list[str]
) -> None:
    graph: dict[str, set[str]] = {}
    for name, m in spec.metrics.items():
        at: KeyPath = ("metrics", name)
        for i, c in enumerate(m.counterparts):
            if c.metric not in _declared(doc, "metrics") | set(spec.metrics):
                problems.append(
                    f"{doc.where(at + ('counterparts', i, 'metric'))}: unknown metric"
                    f" '{c.metric}'{did_you_mean(c.metric, spec.metrics)}"
                )
        if isinstance(m, DerivedMetric):
            graph[name] = _check_formula(m, at, spec, doc, problems)
            continue
        if m.model not in _declared(doc, "models"):
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
    declared = _declared(doc, "metrics") | set(spec.metrics)
    for r in sorted(refs - declared):
        problems.append(
            f"{doc.where(at + ('formula',))}: unknown metric '{r}'{did_you_mean(r, declared)}"
        )
    return refs & declared


def _declared(doc: LocatedYaml, section: str) -> set[str]:
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
