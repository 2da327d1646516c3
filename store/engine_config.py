"""Where the engines run: config/engines.yaml (beside metrics.yaml), then the environment.

::

    spark:
      master: spark://spark-head:7077      # or local[4], yarn, k8s://...; default local[*]
      # remote: sc://spark-connect:15002   # a Spark Connect server instead of a master
      conf: {spark.executor.memory: 8g}    # any spark.* setting, passed at start

The file is optional (absent: local mode). ``$NORTHSTAR_SPARK_MASTER`` or
``$NORTHSTAR_SPARK_REMOTE`` override the file's master and remote (either one
replaces both), so one machine can point elsewhere without editing the file.
Values are validated with the file's line, or naming the variable.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from metrics.located_config import read_config
from metrics.spec import Strict
from store.errors import StoreError

FILE_NAME = "engines.yaml"
MASTER_ENV = "NORTHSTAR_SPARK_MASTER"
REMOTE_ENV = "NORTHSTAR_SPARK_REMOTE"
DEFAULT_MASTER = "local[*]"

_MASTER = re.compile(
    r"local(\[(\*|[1-9]\d*)(,[1-9]\d*)?\])?|yarn|(spark|k8s|mesos)://\S+(:\d+)?(,\S+)*"
)
_REMOTE = re.compile(r"sc://[^/\s:]+(:\d+)?(/;\S*)?")
MASTER_HINT = "local[*], local[4], spark://host:7077, yarn or k8s://https://host:443"
REMOTE_HINT = "sc://host:15002"


def master_problem(value: str) -> str | None:
    if _MASTER.fullmatch(value):
        return None
    return f"{value!r} is not a Spark master; use e.g. {MASTER_HINT}"


def remote_problem(value: str) -> str | None:
    if _REMOTE.fullmatch(value):
        return None
    return f"{value!r} is not a Spark Connect URL; use e.g. {REMOTE_HINT}"


class SparkSettings(Strict):
    master: str | None = Field(
        None, description=f"The cluster's master URL (default {DEFAULT_MASTER}: local mode)."
    )
    remote: str | None = Field(
        None, description="A Spark Connect server instead of a master, e.g. sc://host:15002."
    )
    conf: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="spark.* settings passed when Spark starts."
    )

    @field_validator("master")
    @classmethod
    def _master(cls, v: str | None) -> str | None:
        if v is not None and (problem := master_problem(v)):
            raise ValueError(problem)
        return v

    @field_validator("remote")
    @classmethod
    def _remote(cls, v: str | None) -> str | None:
        if v is not None and (problem := remote_problem(v)):
            raise ValueError(problem)
        return v

    @field_validator("conf")
    @classmethod
    def _conf(cls, v: dict) -> dict:
        bad = [k for k in v if not k.startswith("spark.")]
        if bad:
            raise ValueError(
                f"conf keys are Spark settings starting with 'spark.' (e.g. "
                f"spark.executor.memory); not {', '.join(map(repr, bad))}"
            )
        return v

    @model_validator(mode="after")
    def _one_place(self) -> SparkSettings:
        if self.master and self.remote:
            raise ValueError("give master (a cluster) or remote (Spark Connect), not both")
        return self

    @property
    def where(self) -> str:
        """What the session connects to, for messages."""
        return self.remote or self.master or DEFAULT_MASTER

    def conf_text(self) -> dict[str, str]:
        """The conf values as Spark reads them (booleans lower-case)."""
        return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in self.conf.items()}


class EnginesFile(Strict):
    spark: SparkSettings = SparkSettings()


def engines_path(config_path: Path) -> Path:
    """engines.yaml beside metrics.yaml."""
    return Path(config_path).parent / FILE_NAME


def load_engines(path: Path) -> EnginesFile:
    """The file at ``path`` validated (ConfigError listing every problem with its line)."""
    return read_config(path, EnginesFile)[0]


def spark_settings(config_path: Path | None = None) -> SparkSettings:
    """Spark's settings: engines.yaml beside ``config_path`` (default: the project's
    metrics.yaml), when it exists, with the environment's master or remote over it."""
    if config_path is None:
        from metrics import home

        config_path = home.metrics_config()
    path = engines_path(config_path)
    settings = load_engines(path).spark if path.is_file() else SparkSettings()
    master, remote = os.environ.get(MASTER_ENV), os.environ.get(REMOTE_ENV)
    if master and remote:
        raise StoreError(
            f"${MASTER_ENV} and ${REMOTE_ENV} are both set: set one (a cluster's master, or "
            "a Spark Connect server)"
        )
    problem = (master and master_problem(master)) or (remote and remote_problem(remote))
    if problem:
        raise StoreError(f"${MASTER_ENV if master else REMOTE_ENV}: {problem}")
    if master or remote:
        settings = settings.model_copy(update={"master": master or None, "remote": remote or None})
    return settings
