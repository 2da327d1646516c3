"""Parsing the SQL of metrics.yaml (model SELECTs, expressions, formulas), cached."""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp

from metrics.engine import SOURCE_DIALECT

DIALECT = SOURCE_DIALECT


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read=DIALECT)


def parse_sql(text: str) -> exp.Expression:
    """Parse DuckDB SQL (a private copy: callers may transform it)."""
    return _parse_cached(text).copy()


def formula_refs(formula: str) -> list[str]:
    return list(dict.fromkeys(c.name for c in parse_sql(formula).find_all(exp.Column)))
