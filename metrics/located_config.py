"""Validate a YAML config file against a strict pydantic model, every problem with file:line.

The helper the small config files share (alerts.yaml, subscriptions.yaml); metrics.yaml has its
own section-by-section reader in ``metrics.catalog``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import pydantic
from pydantic import BaseModel

from metrics.errors import ConfigError
from metrics.located_yaml import LocatedYaml, parse_located
from metrics.pydantic_messages import describe_error

M = TypeVar("M", bound=BaseModel)


def read_config(path: Path, root: type[M]) -> tuple[M, LocatedYaml]:
    """The file at ``path`` as a ``root`` model, with its located YAML (for later checks)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    doc = parse_located(text, str(path))
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}:1: the file must be a mapping of keys, e.g. 'rules:'"])
    try:
        return root.model_validate(data), doc
    except pydantic.ValidationError as err:
        raise ConfigError([describe_error(e, doc, root) for e in err.errors()]) from None
