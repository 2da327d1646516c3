"""``config/sources.yaml``: which files feed which table, and how their headers map.

``load_sources(path)`` reads the file; ``parse_sources(data, base_dir)`` is pure and
does all the validation, reporting every problem at once with its file, line and
key path. ``check_sources(path)`` returns the problems as plain lines for
``northstar check``.
"""

from __future__ import annotations

import difflib
import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from connectors.errors import ConnectorError
from connectors.schema import TABLES


class _TableModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: list[str] = []
    columns: dict[str, str] = {}
    date_format: str | None = None
    decimal: Literal[".", ","] = "."
    sheet: str | None = None

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v: str | None) -> str | None:
        if v is not None and "%" not in v:
            raise ValueError(f"date_format {v!r} has no %-directive; e.g. '%d.%m.%Y'")
        return v


class _SourcesModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tables: dict[str, _TableModel] = {}


@dataclass(frozen=True)
class TableSource:
    """How the files of one table are read."""

    table: str
    files: tuple[str, ...] = ()  # globs, relative to the yaml's folder
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> header in file
    date_format: str | None = None
    decimal: str = "."
    sheet: str | None = None


@dataclass(frozen=True)
class Sources:
    base_dir: Path
    tables: dict[str, TableSource] = field(default_factory=dict)
    path: Path | None = None

    def matched_files(self) -> dict[Path, TableSource]:
        """Every file the ``files`` globs match now (resolved path -> its mapping)."""
        found: dict[Path, TableSource] = {}
        for ts in self.tables.values():
            for pattern in ts.files:
                for p in glob.glob(str(self.base_dir / pattern), recursive=True):
                    found.setdefault(Path(p).resolve(), ts)
        return found

    def for_table(self, table: str) -> TableSource | None:
        """A table's mapping that is not scoped to files (applies to files matched by name)."""
        ts = self.tables.get(table)
        return ts if ts is not None and not ts.files else None


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(choices)}"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the key path ``loc`` in a composed YAML tree (best effort)."""
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _where(source: str, node: yaml.Node | None, loc: tuple[Any, ...]) -> str:
    line = _line_of(node, loc)
    path = ".".join(str(p) for p in loc)
    return f"{source}:{line}: {path}" if line else f"{source}: {path or '(top)'}"


def _problems(data: Any, source: str, node: yaml.Node | None) -> tuple[list[str], _SourcesModel | None]:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return [f"{source}: expected a mapping with a 'tables' key"], None
    problems: list[str] = []
    model = None
    try:
        model = _SourcesModel.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                allowed = list(_TableModel.model_fields) if len(loc) == 3 else ["tables"]
                msg = f"unknown key {loc[-1]!r}{_did_you_mean(str(loc[-1]), allowed)}"
            problems.append(f"{_where(source, node, loc)}: {msg}")
    tables = data.get("tables") or {}
    if isinstance(tables, dict):
        for name, spec in tables.items():
            if name not in TABLES:
                problems.append(
                    f"{_where(source, node, ('tables', name))}: unknown table {name!r}"
                    f"{_did_you_mean(str(name), list(TABLES))}"
                )
                continue
            cols = spec.get("columns") if isinstance(spec, dict) else None
            for col in cols if isinstance(cols, dict) else {}:
                if col not in TABLES[name].column_names:
                    problems.append(
                        f"{_where(source, node, ('tables', name, 'columns', col))}: "
                        f"{col!r} is not a column of {name}"
                        f"{_did_you_mean(str(col), TABLES[name].column_names)}"
                    )
    return problems, model


def parse_sources(data: Any, base_dir: Path, *, source: str = "sources.yaml",
                  node: yaml.Node | None = None) -> Sources:
    """Validate parsed YAML; raise ConnectorError listing every problem."""
    problems, model = _problems(data, source, node)
    if problems or model is None:
        raise ConnectorError("invalid sources mapping:\n  " + "\n  ".join(problems))
    tables = {
        name: TableSource(name, tuple(t.files), dict(t.columns), t.date_format, t.decimal, t.sheet)
        for name, t in model.tables.items()
    }
    return Sources(Path(base_dir).resolve(), tables)


def _read(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConnectorError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConnectorError(f"{path}: not valid YAML: {exc}") from exc


def load_sources(path: Path | str) -> Sources:
    """Read and validate a sources.yaml; globs resolve relative to its folder."""
    path = Path(path)
    data, node = _read(path)
    sources = parse_sources(data, path.parent, source=str(path), node=node)
    return Sources(sources.base_dir, sources.tables, path)


def check_sources(path: Path | str) -> list[str]:
    """Every problem of a sources.yaml as plain lines (empty when it is valid)."""
    path = Path(path)
    try:
        data, node = _read(path)
    except ConnectorError as exc:
        return [str(exc)]
    return _problems(data, str(path), node)[0]
