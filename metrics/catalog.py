"""The metric catalogue: metrics.yaml validated into an immutable Catalog.

``load_catalog(path)`` reads; ``parse_catalog(located)`` is pure and reports
every problem at once, each with file, line, key path and a "did you mean".
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pydantic

from metrics.catalog_checks import ModelInfo, check_metrics, check_models, declared_names
from metrics.errors import ConfigError, MetricsError
from metrics.located_yaml import KeyPath, LocatedYaml, did_you_mean, read_located
from metrics.pydantic_messages import describe_error
from metrics.spec import (
    AtRisk,
    DerivedMetric,
    Dimension,
    Metric,
    MetricsFile,
    MissReasons,
    Model,
    Settings,
    SimpleMetric,
    Theme,
)
from metrics.sql_parse import formula_refs
from metrics.themes import (
    OTHER,
    VOICE_MODEL,
    expand_themes,
    metric_name,
    theme_metrics,
    theme_params,
)


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


def load_catalog(path: Path | str) -> Catalog:
    return parse_catalog(read_located(Path(path)))


def parse_catalog(doc: LocatedYaml) -> Catalog:
    if not isinstance(doc.data, dict):
        what = "settings, miss_reasons, dimensions, models and metrics"
        raise ConfigError([f"{doc.source}: expected a mapping with {what}"])
    problems: list[str] = []
    spec = _validate_sections(doc, problems)
    spec = _with_theme_metrics(spec, doc, problems)
    models = check_models(spec, doc, problems)
    check_metrics(spec, models, doc, problems)
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
            if section == "metrics" and value is not None:
                value = _with_min_sample(value, settings)
            if value is not None:
                sections[section][name] = value
    return MetricsFile.model_construct(
        settings=settings, at_risk=at_risk, miss_reasons=reasons, **sections
    )


def _with_min_sample(m, settings: Settings):
    """A rate or derived metric without its own ``min_sample`` takes ``settings.min_sample``
    (a count or a sum is exact, not an estimate: it needs no sample)."""
    if "min_sample" in m.model_fields_set or isinstance(m, SimpleMetric):
        return m
    return m.model_copy(update={"min_sample": settings.min_sample})


def _with_theme_metrics(spec: MetricsFile, doc: LocatedYaml, problems: list[str]) -> MetricsFile:
    """The spec with a share metric per theme (``theme_<name>``, see metrics.themes)."""
    if not spec.themes:
        return spec
    if OTHER in spec.themes:
        problems.append(
            f"{doc.where(('themes', OTHER))}: '{OTHER}' is the theme of comments no pattern"
            " matches; name this theme otherwise"
        )
    if VOICE_MODEL not in declared_names(doc, "models"):
        problems.append(
            f"{doc.where(('themes',))}: themes are counted by the model '{VOICE_MODEL}', which"
            " 'models' lacks"
        )
    generated = theme_metrics(spec.themes, spec.settings.min_sample)
    for name in sorted(set(generated) & declared_names(doc, "metrics")):
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
