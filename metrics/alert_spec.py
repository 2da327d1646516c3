"""The shape of config/alerts.yaml: alert rules, recipients and channels, as strict models.

``load_alert_rules(path, catalog)`` reads and checks the file against the metric catalogue
(metrics, dimensions and channels named in a rule must exist), every problem with file:line.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from metrics.catalog import Catalog
from metrics.errors import ConfigError
from metrics.located_config import read_config
from metrics.located_yaml import LocatedYaml, did_you_mean
from metrics.spec import Name, Strict

Kind = Literal["off_target", "signal", "change", "customer"]
Trigger = Literal[
    "broken_promises",
    "detractor_after_broken_promise",
    "contact_surge",
    "order_volume_drop",
    "key_account_otif",
]
SignalCase = Literal["shift_worse", "shift_better", "off_target_stable"]

_COMMON = {"kind", "description", "where", "channels", "route_to", "renotify_after"}
_COMMON |= {"notify_recovery"}
_METRIC = {"metric", "grain", "by"}
KIND_KEYS: dict[str, set[str]] = {
    "off_target": _COMMON | _METRIC | {"level"},
    "signal": _COMMON | _METRIC | {"cases", "periods"},
    "change": _COMMON | _METRIC | {"against", "min_change", "min_volume"},
    "customer": _COMMON | {"trigger", "days"},
}
TRIGGER_KEYS: dict[str, set[str]] = {
    "broken_promises": {"count"},
    "detractor_after_broken_promise": {"count"},
    "contact_surge": {"factor", "min_contacts", "baseline_windows"},
    "order_volume_drop": {"below", "baseline_windows", "min_orders"},
    "key_account_otif": {"metric", "min_orders"},
}


class Rule(Strict):
    kind: Kind
    description: str = ""
    metric: Name | None = None
    grain: Literal["day", "week", "month", "quarter", "year"] = "week"
    by: list[Name] = Field(default_factory=list, description="Evaluate per value of these.")
    where: dict[Name, str | list[str]] = Field(default_factory=dict, description="Scope.")
    level: Literal["red", "amber"] = Field("red", description="off_target: fire from this status.")
    cases: list[SignalCase] = Field(default_factory=lambda: ["shift_worse"])
    periods: int = Field(26, ge=7, le=520, description="signal: periods of history to read.")
    against: Literal["previous", "last_year"] = "previous"
    min_change: float = Field(0.0, ge=0, description="change: smallest move the wrong way.")
    min_volume: int = Field(30, ge=0, description="change: smallest sample in both periods.")
    trigger: Trigger | None = None
    days: int = Field(30, ge=1, le=366, description="customer: window up to as-of.")
    count: int = Field(2, ge=1)
    factor: float = Field(2.0, gt=1)
    min_contacts: int = Field(5, ge=1)
    baseline_windows: int = Field(3, ge=1, le=12)
    below: float = Field(0.5, gt=0, lt=1, description="order_volume_drop: share of the usual.")
    min_orders: int = Field(5, ge=1)
    route_to: Literal["owner", "portfolio_manager", "site"] | None = None
    channels: list[Name] = Field(default_factory=lambda: ["email"], min_length=1)
    renotify_after: str = Field("7d", description="Re-send an ongoing alert after, e.g. 24h, 7d.")
    notify_recovery: bool = False

    @field_validator("renotify_after")
    @classmethod
    def _duration(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9]+[hd]", str(v)):
            raise ValueError(f"renotify_after must be hours or days like 12h or 7d, not {v!r}")
        return v

    @model_validator(mode="after")
    def _keys_fit_kind(self) -> Rule:
        allowed = KIND_KEYS[self.kind] | (TRIGGER_KEYS.get(self.trigger or "", set()))
        stray = sorted(self.model_fields_set - allowed)
        if stray:
            raise ValueError(
                f"key(s) {', '.join(stray)} do not apply to kind '{self.kind}'"
                + (f" with trigger '{self.trigger}'" if self.trigger else "")
                + f" (it takes: {', '.join(sorted(allowed - _COMMON))})"
            )
        if self.kind == "customer" and self.trigger is None:
            raise ValueError("a customer rule needs 'trigger:' (" + ", ".join(TRIGGER_KEYS) + ")")
        if self.kind != "customer" and self.metric is None:
            raise ValueError(f"a rule of kind '{self.kind}' needs 'metric:'")
        return self

    @property
    def renotify(self) -> dt.timedelta:
        n, unit = int(self.renotify_after[:-1]), self.renotify_after[-1]
        return dt.timedelta(hours=n) if unit == "h" else dt.timedelta(days=n)

    @property
    def recipient_role(self) -> str:
        return self.route_to or ("portfolio_manager" if self.kind == "customer" else "owner")

    @property
    def filters(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((d, (v,) if isinstance(v, str) else tuple(v)) for d, v in self.where.items())


class EmailChannel(Strict):
    smtp_url: str | None = Field(None, description="smtp://host:port; else $NORTHSTAR_SMTP_URL.")
    sender: str = "northstar@northstar.example"
    timeout_seconds: float = Field(10, gt=0, le=120)


class WebhookChannel(Strict):
    url: str | None = Field(None, description="The webhook's URL (or give url_env).")
    url_env: str | None = Field(None, description="The environment variable holding the URL.")
    format: Literal["slack", "teams"] = "slack"

    @model_validator(mode="after")
    def _has_url(self) -> WebhookChannel:
        if not self.url and not self.url_env:
            raise ValueError("a webhook needs 'url:' or 'url_env:' (a variable holding the URL)")
        return self


class FileChannel(Strict):
    path: str = Field("-", description="JSON lines appended to this file; '-' for stdout.")


class Channels(Strict):
    email: EmailChannel = EmailChannel()
    file: FileChannel | None = None
    webhooks: dict[Name, WebhookChannel] = Field(default_factory=dict)

    def names(self) -> list[str]:
        return ["email", *(["file"] if self.file else []), *self.webhooks]


class AlertSettings(Strict):
    base_url: str | None = Field(None, description="The dashboard's address, for links.")
    retries: int = Field(3, ge=1, le=10, description="Attempts per delivery.")
    max_records: int = Field(500, ge=1, le=100000, description="Rows in the CSV attachment.")


class AlertsFile(Strict):
    settings: AlertSettings = AlertSettings()
    channels: Channels = Channels()
    recipients: dict[str, str | list[str]] = Field(
        default_factory=dict, description="Name (owner, manager, 'site X') -> e-mail(s)."
    )
    rules: dict[Name, Rule] = Field(default_factory=dict)


def alerts_path(config_path: Path) -> Path:
    """alerts.yaml beside metrics.yaml."""
    return config_path.parent / "alerts.yaml"


def load_alert_rules(path: Path, catalog: Catalog) -> AlertsFile:
    spec, doc = read_config(path, AlertsFile)
    problems = check_rules(spec, doc, catalog)
    if problems:
        raise ConfigError(problems)
    return spec


def check_rules(spec: AlertsFile, doc: LocatedYaml, catalog: Catalog) -> list[str]:
    """Names a rule uses that the catalogue or the channels do not have."""
    problems: list[str] = []
    channels = spec.channels.names()
    for name, rule in spec.rules.items():
        at = ("rules", name)
        metric = rule.metric or ("otif" if rule.trigger == "key_account_otif" else None)
        offered: list[str] = []
        if metric is not None:
            if metric not in catalog.metrics:
                hint = did_you_mean(metric, catalog.metrics)
                problems.append(f"{doc.where(at + ('metric',))}: unknown metric '{metric}'{hint}")
            else:
                offered = catalog.dimensions_of(metric)
        else:
            from metrics.query import CUSTOMER_DIMS

            offered = list(CUSTOMER_DIMS)
        for key, dims in (("by", rule.by), ("where", list(rule.where))):
            for dim in dims:
                if offered and dim not in offered:
                    problems.append(
                        f"{doc.where(at + (key,))}: '{dim}' is not a dimension of "
                        f"{metric or 'customers'}{did_you_mean(dim, offered)}; "
                        f"it has: {', '.join(offered)}"
                    )
        for ch in rule.channels:
            if ch not in channels:
                problems.append(
                    f"{doc.where(at + ('channels',))}: unknown channel '{ch}'"
                    f"{did_you_mean(ch, channels)}; configured: {', '.join(channels)}"
                )
        need = {"site": ("site",), "portfolio_manager": ("portfolio", "portfolio_manager")}
        dims_needed = need.get(rule.route_to or "", ())
        if rule.kind != "customer" and dims_needed and not set(dims_needed) & set(rule.by):
            problems.append(
                f"{doc.where(at + ('route_to',))}: route_to {rule.route_to} needs "
                f"'by: [{dims_needed[0]}]' so each alert has one {rule.route_to.replace('_', ' ')}"
            )
    return problems
