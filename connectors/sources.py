"""``config/sources.yaml``: which files feed which table, how they are read and checked.

``load_sources(path)`` reads the file (duplicate keys are errors, with both lines);
``parse_sources(doc, base_dir)`` is pure and does all the validation, reporting
every problem at once with its file, line and key path. ``check_sources(path)``
returns the problems as plain lines for ``northstar check``.

A table is fed by one mapping, by a list of named sources, or by any key with
``table:`` naming it; each becomes one ``TableSource`` (its ``name`` is used in
messages and the load summary). The keys and models: connectors/source_models.py.
"""

from __future__ import annotations

import fnmatch
import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.errors import ConnectorError
from connectors.source_checks import Entry, find_problems
from connectors.source_models import PlausibleModel, RecencyModel, SourcesModel
from connectors.source_types import (
    DEFAULT_MAX_REJECT_SHARE,
    DEFAULT_RECENCY_PATTERN,
    ColumnRule,
    Policy,
    Recency,
    TableSource,
)
from metrics.errors import ConfigError
from metrics.located_yaml import LocatedYaml, parse_located

__all__ = [
    "DEFAULT_MAX_REJECT_SHARE",
    "DEFAULT_RECENCY_PATTERN",
    "ColumnRule",
    "Policy",
    "Recency",
    "Sources",
    "TableSource",
    "check_sources",
    "default_mapping",
    "load_sources",
    "parse_sources",
]


@dataclass(frozen=True)
class Sources:
    base_dir: Path
    tables: dict[str, TableSource] = field(default_factory=dict)  # source name -> source
    path: Path | None = None
    policy: Policy = Policy()
    exclude: tuple[str, ...] = ()  # globs of files a folder load skips
    defaults: TableSource | None = None  # the top-level settings, for files matched by name

    def matched_files(self) -> dict[Path, TableSource]:
        """Every file the ``files`` globs match now (resolved path -> its mapping)."""
        found: dict[Path, TableSource] = {}
        for ts in self.tables.values():
            for pattern in ts.files:
                for p in glob.glob(str(self.base_dir / pattern), recursive=True):
                    if not self.excluded(Path(p)):
                        found.setdefault(Path(p).resolve(), ts)
        return found

    def excluded(self, path: Path) -> bool:
        """The file matches a top-level ``exclude:`` glob (relative to the yaml, or by name)."""
        if not self.exclude:
            return False
        path = Path(path).resolve()
        try:
            rel = path.relative_to(self.base_dir).as_posix()
        except ValueError:
            rel = path.as_posix()
        return any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(path.name, g) for g in self.exclude)

    def for_table(self, table: str) -> TableSource:
        """A table's mapping for files matched by name (defaults when none is configured)."""
        for ts in self.tables.values():
            if ts.table == table and not ts.files:
                return ts
        base = self.defaults or TableSource(table, policy=self.policy)
        return TableSource(
            table,
            policy=base.policy,
            quote=base.quote,
            recency=base.recency,
            references=base.references,
            max_reject_share=base.max_reject_share,
        )


def default_mapping(table: str) -> TableSource:
    return TableSource(table)


def _recency(r: RecencyModel | None, outer: Recency) -> Recency:
    if r is None:
        return outer
    file_name = r.file_name or (DEFAULT_RECENCY_PATTERN if r.column is None else "")
    return Recency(file_name, r.column, r.format)


def _plausible(base: Policy, p: PlausibleModel | None) -> Policy:
    if p is None:
        return base
    changes = {k: getattr(p, k) for k in p.model_fields_set}
    return Policy(**{**base.__dict__, **changes})


def _table_source(e: Entry, top: SourcesModel, policy: Policy) -> TableSource:
    m = e.model
    rules = e.rules
    date_format = tuple(m.date_format) if isinstance(m.date_format, list) else m.date_format
    return TableSource(
        e.table,
        tuple(m.files),
        {c: r.headers[0] for c, r in rules.items() if r.headers},
        date_format,
        m.decimal,
        m.sheet,
        m.delimiter,
        m.quote if m.quote is not None else top.quote,
        m.encoding,
        _recency(m.recency, _recency(top.recency, Recency())),
        m.references or top.references,
        _plausible(policy, m.plausible_dates),
        e.name,
        rules,
        m.thousands,
        m.negative,
        m.skip_rows,
        m.header_rows,
        m.skip_footer,
        tuple(m.null_values),
        m.timezone,
        m.where,
        m.duplicates,
        m.max_reject_share if m.max_reject_share is not None else top.max_reject_share,
    )


def parse_sources(doc: LocatedYaml | Any, base_dir: Path) -> Sources:
    """Validate parsed YAML; raise ConnectorError listing every problem."""
    if not isinstance(doc, LocatedYaml):
        doc = LocatedYaml(doc, {}, "sources.yaml")
    problems, model, entries = find_problems(doc)
    if problems or model is None:
        raise ConnectorError("invalid sources mapping:\n  " + "\n  ".join(problems))
    p = model.plausible_dates
    policy = Policy(
        model.timezone,
        p.earliest,
        p.due_within_days,
        p.events_within_days,
        model.max_field_length,
        model.file_time_limit,
    )
    tables = {e.name: _table_source(e, model, policy) for e in entries}
    defaults = TableSource(
        "",
        quote=model.quote,
        recency=_recency(model.recency, Recency()),
        references=model.references,
        policy=policy,
        max_reject_share=model.max_reject_share,
    )
    return Sources(Path(base_dir).resolve(), tables, None, policy, tuple(model.exclude), defaults)


def _read(path: Path) -> LocatedYaml:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConnectorError(
            f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc
    try:
        return parse_located(text, str(path))
    except ConfigError as exc:  # a syntax error or a key given twice, each with its line
        raise ConnectorError("\n".join(exc.problems)) from None


def load_sources(path: Path | str) -> Sources:
    """Read and validate a sources.yaml; globs resolve relative to its folder."""
    path = Path(path)
    s = parse_sources(_read(path), path.parent)
    return Sources(s.base_dir, s.tables, path, s.policy, s.exclude, s.defaults)


def check_sources(path: Path | str) -> list[str]:
    """Every problem of a sources.yaml as plain lines (empty when it is valid)."""
    try:
        doc = _read(Path(path))
    except ConnectorError as exc:
        return str(exc).splitlines()
    return find_problems(doc)[0]
