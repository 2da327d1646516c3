"""The shape of config/metrics.yaml, as strict pydantic models.

These models are the single source of both validation and the JSON Schema
editors use (``metrics.schema.json``, written by ``python -m metrics.schema``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

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
    min_sample: int = Field(0, ge=0)
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


class MetricsFile(Strict):
    settings: Settings = Settings()
    dimensions: dict[Name, Dimension]
    models: dict[Name, Model]
    metrics: dict[Name, Metric]
