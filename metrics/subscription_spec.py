"""The shape of config/subscriptions.yaml: who receives which pack, when, and how.

Each subscription names its recipient's address, the pack, a cron schedule ("0 7 * * MON":
minute hour day month weekday, weekdays by name) and the channel (e-mail, or a folder the pack
is written to), and carries the recipient's row scope so the pack shows what they may see.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from metrics.catalog import Catalog
from metrics.errors import ConfigError
from metrics.located_config import read_config
from metrics.located_yaml import LocatedYaml, did_you_mean
from metrics.query import CUSTOMER_DIMS
from metrics.spec import Name, Strict


class Subscription(Strict):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="The recipient's address.")
    pack: Literal["weekly_review"] = "weekly_review"
    cron: str = Field(description="minute hour day month weekday, e.g. '0 7 * * MON'.")
    channel: Literal["email", "folder"] = "email"
    folder: str | None = Field(None, description="channel folder: where the pack is written.")
    format: Literal["pdf", "html"] = "pdf"
    scope: dict[Name, str | list[str]] = Field(
        default_factory=dict, description="The recipient's row scope, e.g. {portfolio: X}."
    )

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        fields = v.split()
        if len(fields) != 5:
            raise ValueError(
                f"cron needs 5 fields (minute hour day month weekday), e.g. '0 7 * * MON'; got {v!r}"
            )
        if re.search(r"\d", fields[4]):
            raise ValueError(
                f"write the weekday by name (MON-SUN, e.g. 'MON-FRI'), not by number: {v!r}"
            )
        try:
            CronTrigger.from_crontab(v, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"cron {v!r} is not valid: {exc}") from None
        return v

    @model_validator(mode="after")
    def _folder(self) -> Subscription:
        if self.channel == "folder" and not self.folder:
            raise ValueError("channel 'folder' needs 'folder:' (where to write the pack)")
        return self

    @property
    def filters(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((d, (v,) if isinstance(v, str) else tuple(v)) for d, v in self.scope.items())


class ScheduleSettings(Strict):
    timezone: str = Field("UTC", description="Time zone of the cron schedules.")
    catch_up_hours: float = Field(
        12, ge=0, le=24 * 14, description="A run this late after its time still sends it."
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use e.g. Europe/Paris or UTC") from None
        return v


class SubscriptionsFile(Strict):
    settings: ScheduleSettings = ScheduleSettings()
    subscriptions: dict[Name, Subscription] = Field(default_factory=dict)


def subscriptions_path(config_path: Path) -> Path:
    """subscriptions.yaml beside metrics.yaml."""
    return config_path.parent / "subscriptions.yaml"


def load_subscriptions(path: Path, catalog: Catalog | None = None) -> SubscriptionsFile:
    spec, doc = read_config(path, SubscriptionsFile)
    problems = _check_scope(spec, doc)
    if problems:
        raise ConfigError(problems)
    return spec


def _check_scope(spec: SubscriptionsFile, doc: LocatedYaml) -> list[str]:
    return [
        f"{doc.where(('subscriptions', name, 'scope', dim))}: a pack is scoped by customer "
        f"dimensions; '{dim}' is not one{did_you_mean(dim, CUSTOMER_DIMS)} "
        f"({', '.join(CUSTOMER_DIMS)})"
        for name, sub in spec.subscriptions.items()
        for dim in sub.scope
        if dim not in CUSTOMER_DIMS
    ]


def check_delivery_files(config_path: Path, catalog: Catalog) -> tuple[list[str], list[Path]]:
    """Problems in alerts.yaml and subscriptions.yaml beside metrics.yaml (absent: none), and
    the files checked; for ``northstar check``."""
    from metrics.alert_spec import alerts_path, load_alert_rules

    problems: list[str] = []
    checked: list[Path] = []
    for path, load in (
        (alerts_path(config_path), load_alert_rules),
        (subscriptions_path(config_path), load_subscriptions),
    ):
        if not path.is_file():
            continue
        checked.append(path)
        try:
            load(path, catalog)
        except ConfigError as err:
            problems += err.problems
    return problems, checked
