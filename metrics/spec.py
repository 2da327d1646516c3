"""The shape of config/metrics.yaml, as strict pydantic models.

These models are the single source of both validation and the JSON Schema
editors use (``metrics.schema.json``, written by ``python -m metrics.schema``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from metrics.theme_patterns import check_pattern

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=63)]
Family = Literal["north_star", "customer", "department"]
Direction = Literal["up", "down"]
Format = Literal["percent", "decimal", "integer", "money", "duration", "score"]
Agg = Literal["count", "sum", "avg", "min", "max", "count_distinct"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Settings(Strict):
    due_date: Literal["requested", "promised"] = Field(
        "requested",
        description="Due date of a line: the customer's requested date, or the promised date.",
    )
    late_tolerance_days: int = Field(0, ge=0, le=60, description="Days late still counted on time.")
    fcr_window_hours: int = Field(
        168, ge=1, le=24 * 90, description="Repeat-contact window for FCR."
    )
    stale_after_days: int = Field(
        3,
        ge=0,
        le=366,
        description="Pages warn when the newest data is more than this many days behind today.",
    )
    promise_horizon_days: int = Field(
        7,
        ge=1,
        le=90,
        description="Promises at risk: open lines due in this many days after as-of that "
        "cannot make their due date on the current plan.",
    )
    sql_dialect: Literal["duckdb"] = Field(
        "duckdb",
        description="The SQL dialect the models and metric expressions are written in, once;"
        " each engine runs them transpiled to its own (check with 'northstar check --engine').",
    )
    reporting_currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = Field(
        "EUR",
        description="ISO 4217 code (upper case) revenue and cost to serve are reported in; "
        "amounts in another currency convert at the fx_rates rate valid on their date.",
    )
    min_sample: int = Field(
        30,
        ge=0,
        le=100_000,
        description="Measured units a value needs before it is judged: over fewer it is marked "
        "small sample, never coloured on or off target, ranked best or worst, or alerted on. "
        "A metric's own min_sample overrides it; 0 judges every value.",
    )


class Dimension(Strict):
    label: str
    description: str = ""


class Model(Strict):
    label: str
    description: str
    key: list[Name] = Field(min_length=1)
    date: Name = Field(description="The date column that periods and date ranges apply to.")
    dimensions: list[Name] = Field(default_factory=list)
    sql: str = Field(description="A SELECT over the canonical tables and earlier models.")


class Aggregate(Strict):
    agg: Agg
    expr: str | None = Field(
        None, description="SQL expression over the model's columns; not for count."
    )
    filter: str | None = Field(None, description="SQL condition over the model's columns.")

    @model_validator(mode="after")
    def _expr_needed(self) -> Aggregate:
        if self.agg not in ("count",) and not self.expr:
            raise ValueError(f"agg '{self.agg}' needs an 'expr' (what to {self.agg})")
        return self


class TargetChange(Strict):
    date: dt.date = Field(alias="from")
    value: float


class Target(Strict):
    value: float
    changes: list[TargetChange] = Field(
        default_factory=list, description="Target values that apply from a date on."
    )
    by_dimension: dict[Name, dict[str, float]] = Field(
        default_factory=dict, description="Targets for particular dimension values, e.g. a segment."
    )


class Bands(Strict):
    amber: float = Field(ge=0, description="How far on the wrong side of target is still amber.")


class Counterpart(Strict):
    metric: Name
    reveals: str


class MetricBase(Strict):
    label: str
    description: str = Field(min_length=10)
    family: Family
    owner: str = Field(min_length=2)
    format: Format
    unit: str = Field(
        min_length=1, description="What a value counts, e.g. fraction, seconds, currency."
    )
    direction: Direction
    target: float | Target | None = None
    bands: Bands | None = None
    min_sample: int = Field(
        0,
        ge=0,
        description="Measured units a value needs before it is judged (default: "
        "settings.min_sample for a ratio or derived metric, 0 for a count or sum).",
    )
    lag_days: int = Field(
        0,
        ge=0,
        le=366,
        description="Days after a period ends before the metric can be measured over all of "
        "it (FCR waits 7 days for repeat contacts); pages, pairs and alerts then read the "
        "latest measurable period, named.",
    )
    drill_columns: list[Name] = Field(default_factory=list)
    counterparts: list[Counterpart] = Field(default_factory=list)


class SimpleMetric(MetricBase):
    type: Literal["simple"]
    model: Name
    agg: Agg
    expr: str | None = None
    filter: str | None = None

    @model_validator(mode="after")
    def _expr_needed(self) -> SimpleMetric:
        if self.agg != "count" and not self.expr:
            raise ValueError(f"agg '{self.agg}' needs an 'expr' (what to {self.agg})")
        return self


class RatioMetric(MetricBase):
    type: Literal["ratio"]
    model: Name
    numerator: Aggregate
    denominator: Aggregate
    scale: float = 1


class DerivedMetric(MetricBase):
    type: Literal["derived"]
    formula: str = Field(
        description="Arithmetic over other metrics' names, e.g. 100 * contacts / orders."
    )


Metric = Annotated[SimpleMetric | RatioMetric | DerivedMetric, Field(discriminator="type")]


class OtifBelow(Strict):
    value: float = Field(gt=0, le=1, description="OTIF (orders) in the window below this share.")
    min_orders: int = Field(
        5, ge=1, description="Only customers with at least this many measured orders in the window."
    )


class ContactSurge(Strict):
    factor: float = Field(
        2.0, gt=1, description="Contacts in the window at least this many times the usual."
    )
    min_contacts: int = Field(5, ge=1, description="And at least this many contacts in the window.")
    baseline_windows: int = Field(
        3, ge=1, le=12, description="The usual: the mean of this many windows just before."
    )


class AtRisk(Strict):
    """Which customers the Portfolios page lists as at risk: a worklist, not a census."""

    window_days: int = Field(
        28, ge=1, le=366, description="Days up to as-of every signal looks at."
    )
    revenue_days: int = Field(
        91,
        ge=1,
        le=731,
        description="Revenue at risk: the ordered value of the customer's orders that missed "
        "OTIF, due in this many days up to as-of (and of its open lines at risk now).",
    )
    min_signals: int = Field(2, ge=1, description="At risk when at least this many signals fire.")
    broken_promises: int | None = Field(
        None, ge=1, description="Signal: at least this many orders that missed OTIF in the window."
    )
    otif_below: OtifBelow | None = Field(
        OtifBelow(value=0.7), description="Signal: OTIF in the window below a share."
    )
    detractor_after_broken_promise: bool = Field(
        True, description="Signal: an NPS 0-6 answer in the window about an order that missed OTIF."
    )
    contact_surge: ContactSurge | None = Field(
        ContactSurge(), description="Signal: far more contacts in the window than usual."
    )

    @property
    def signals(self) -> int:
        """How many signals are switched on."""
        switches = (self.broken_promises, self.otif_below, self.contact_surge)
        return sum(s is not None for s in switches) + self.detractor_after_broken_promise

    @model_validator(mode="after")
    def _reachable(self) -> AtRisk:
        if self.min_signals > self.signals:
            raise ValueError(
                f"min_signals is {self.min_signals} but only {self.signals} signal(s) are switched "
                "on; lower min_signals or switch on more signals"
            )
        return self


class MissReasonSpec(Strict):
    label: str = Field(min_length=2, description="How the reason reads on the dashboard.")
    owner: str = Field(min_length=2, description="The function that acts on misses of this reason.")


class MissReasons(Strict):
    """Every OTIF miss reason of the spec, in its first-match order (the order of the CASE in
    the ``lines`` model), each with its label and owning function."""

    not_shipped: MissReasonSpec
    short_shipped: MissReasonSpec
    promised_late: MissReasonSpec
    late_dispatch: MissReasonSpec
    in_transit: MissReasonSpec
    late_transit: MissReasonSpec


MISS_REASONS: tuple[str, ...] = tuple(MissReasons.model_fields)


class Theme(Strict):
    """A theme of survey comments: what customers talk about, and who acts on it."""

    label: str = Field(min_length=2, description="How the theme reads on the dashboard.")
    owner: str = Field(min_length=2, description="The function that acts on this theme.")
    patterns: list[str] = Field(
        min_length=1,
        description="Words or phrases (case and accents ignored; 'damag*' for any ending) or "
        "regular expressions between slashes, e.g. '/called? (2|3|two|three) times/'.",
    )
    description: str = ""

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        problems = [p for p in (check_pattern(x) for x in patterns) if p]
        if problems:
            raise ValueError("; ".join(problems))
        return patterns


class MetricsFile(Strict):
    settings: Settings = Settings()
    at_risk: AtRisk = Field(AtRisk(), description="The rule for customers at risk.")
    miss_reasons: MissReasons
    themes: dict[Name, Theme] = Field(
        default_factory=dict,
        description="Themes of survey comments; each gets a share metric theme_<name>.",
    )
    dimensions: dict[Name, Dimension]
    models: dict[Name, Model]
    metrics: dict[Name, Metric]
