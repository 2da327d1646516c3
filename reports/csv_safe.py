"""CSV that no spreadsheet runs: for downloads on the pages and attachments of alerts."""

from __future__ import annotations

import polars as pl

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(frame: pl.DataFrame) -> str:
    """A frame as CSV that no spreadsheet runs: text cells starting with = + - @ tab or CR get a
    leading single quote (OWASP's advice against CSV injection); numbers and dates stay as they are."""
    text_cols = [c for c, t in frame.schema.items() if t == pl.String]
    safe = frame.with_columns(
        pl.when(_starts_risky(c)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text_cols
    )
    return safe.write_csv()


def _starts_risky(col: str) -> pl.Expr:
    return pl.any_horizontal(pl.col(col).str.starts_with(p) for p in _FORMULA_START).fill_null(
        False
    )
