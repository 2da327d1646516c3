"""Read YAML and remember the line of every key, so errors can point at it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from metrics.errors import ConfigError

KeyPath = tuple[str | int, ...]


def did_you_mean(name: str, options) -> str:
    """'; did you mean 'x'?' for the closest option, or '' (one helper for every config file)."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


@dataclass(frozen=True)
class LocatedYaml:
    data: Any
    lines: dict[KeyPath, int]
    source: str

    def line_of(self, path: KeyPath) -> int | None:
        """The line of the deepest key on ``path`` that the file has."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def where(self, path: KeyPath) -> str:
        line = self.line_of(path)
        dotted = ".".join(str(p) for p in path) or "(top)"
        return f"{self.source}:{line}: {dotted}" if line else f"{self.source}: {dotted}"


def _walk(
    node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], dupes: list[str], source: str
) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = path + (key.value,)
            if sub in lines:
                dupes.append(
                    f"{source}:{key.start_mark.line + 1}: {'.'.join(map(str, sub))}: key given twice"
                    f" (first on line {lines[sub]}); keep one"
                )
            lines[sub] = key.start_mark.line + 1
            _walk(value, sub, lines, dupes, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            lines[path + (i,)] = value.start_mark.line + 1
            _walk(value, path + (i,), lines, dupes, source)


# libyaml's parser when PyYAML has it (about 20x faster than the pure-Python one).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_located(text: str, source: str) -> LocatedYaml:
    """Parse YAML text; a syntax error becomes a ConfigError with its line."""
    loader = _LOADER(text)  # one parse: the node tree (for lines), then the data built from it
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}: not valid YAML: {problem}"]) from None
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    dupes: list[str] = []
    if node is not None:
        _walk(node, (), lines, dupes, source)
    if dupes:
        raise ConfigError(dupes)
    return LocatedYaml(data, lines, source)


def read_located(path: Path) -> LocatedYaml:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: file not found (pass --config PATH to another metrics.yaml)"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    return parse_located(text, str(path))
