"""Turn pydantic validation errors into located, plain-language lines."""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel

from metrics.located_yaml import KeyPath, LocatedYaml
from metrics.spec import MetricsFile


def _data_path(loc: tuple, data: Any) -> KeyPath:
    """The error's location as keys of the YAML (dropping union tags pydantic adds)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            path.append(part)
    return tuple(path)


def _model_at(loc: tuple, root: type[BaseModel] = MetricsFile) -> type[BaseModel] | None:
    """The pydantic model class that the location's last part is a key of."""
    current: Any = root
    for part in loc[:-1]:
        current = _step(current, part)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _step(current: Any, part: str | int) -> Any:
    if isinstance(current, type) and issubclass(current, BaseModel):
        field = current.model_fields.get(part)  # type: ignore[arg-type]
        return _unwrap(field.annotation) if field else None
    origin, args = typing.get_origin(current), typing.get_args(current)
    if origin in (dict, list):
        return _unwrap(args[-1])
    if args:  # a union: the part names the member (pydantic's tag or class name)
        for a in args:
            a = _unwrap(a)
            if isinstance(a, type) and issubclass(a, BaseModel):
                tag = a.model_fields.get("type")
                tags = typing.get_args(tag.annotation) if tag else ()
                if part in tags or part == a.__name__:
                    return a
    return None


def _unwrap(t: Any) -> Any:
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    args = [a for a in typing.get_args(t) if a is not type(None)]
    if typing.get_origin(t) in (typing.Union, __import__("types").UnionType) and len(args) == 1:
        return _unwrap(args[0])
    return t


def describe_error(error: dict, doc: LocatedYaml, root: type[BaseModel] = MetricsFile) -> str:
    """One located line for a pydantic error of a file whose top level is ``root``."""
    loc = tuple(error["loc"])
    where = doc.where(_data_path(loc, doc.data))
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc, root)
        key = str(loc[-1])
        allowed = sorted(f.alias or n for n, f in model.model_fields.items()) if model else []
        hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        msg = f"unknown key '{key}'"
        msg += f"; did you mean '{hint[0]}'?" if hint else ""
        msg += f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"{where}: {msg}"
    if kind == "missing":
        return f"{where}: required key '{loc[-1]}' is missing"
    if kind == "union_tag_invalid":
        return f"{where}: type must be one of simple, ratio, derived"
    if kind == "union_tag_not_found":
        return f"{where}: a metric needs 'type: simple', 'type: ratio' or 'type: derived'"
    msg = error["msg"].removeprefix("Value error, ")
    return (
        f"{where}: {msg} (got {error.get('input')!r})"
        if kind.endswith(("_type", "_parsing", "literal_error"))
        else f"{where}: {msg}"
    )
