"""CSV that no spreadsheet runs: every CSV the product writes (page downloads, the command line)
goes through here.

OWASP's advice against CSV injection: a text cell starting with = + - @ tab or carriage return
gets a leading single quote, so a spreadsheet shows it as text instead of running it as a
formula. Only text is touched: a number stays a number (-5 in a numeric column is a value, not a
formula), while the text "-5" is quoted like any other risky text. Header names are treated as
text too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TEXT = (pl.String, pl.Categorical, pl.Enum)


def safe_cell(value: Any) -> Any:
    """One cell: risky text quoted, anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """A row for ``csv.writer``: each cell through ``safe_cell``."""
    return [safe_cell(v) for v in row]


def frame_csv(frame: pl.DataFrame) -> str:
    """``frame`` as CSV text (header first) with every risky text cell and header quoted."""
    return _safe(frame).write_csv()


def frames_csv(frames: list[pl.DataFrame]) -> list[str]:
    """``frame_csv`` of each frame; frames of one schema are quoted in one pass."""
    if len({tuple(f.schema.items()) for f in frames}) != 1:
        return [frame_csv(f) for f in frames]
    safe, at, out = _safe(pl.concat(frames)), 0, []
    for frame in frames:
        out.append(safe.slice(at, frame.height).write_csv())
        at += frame.height
    return out


def _safe(frame: pl.DataFrame) -> pl.DataFrame:
    text_cols = [c for c, t in frame.schema.items() if isinstance(t, _TEXT)]
    safe = frame.with_columns(_quoted(pl.col(c).cast(pl.String)).alias(c) for c in text_cols)
    return safe.rename({c: safe_cell(c) for c in frame.columns})


def _quoted(col: pl.Expr) -> pl.Expr:
    risky = pl.any_horizontal(col.str.starts_with(p) for p in FORMULA_START).fill_null(False)
    return pl.when(risky).then(pl.lit("'") + col).otherwise(col)
