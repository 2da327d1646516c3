"""Print a frame as a table, CSV or JSON, the way cli.md specifies."""

from __future__ import annotations

import datetime as dt
import json
import math

import click
import polars as pl
from rich.console import Console
from rich.table import Table

from present.csv_safe import frame_csv
from present.safe_text import terminal_text

FORMATS = ("table", "csv", "json")


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pl.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def emit(frame: pl.DataFrame, fmt: str, *, single: bool = False) -> None:
    """Write ``frame`` to stdout. JSON is always an array of objects."""
    if fmt == "json":
        click.echo(json.dumps(records(frame), ensure_ascii=False))
    elif fmt == "csv":
        click.echo(frame_csv(frame), nl=False)  # no cell can run as a formula
    else:
        table = Table(show_edge=False, header_style="bold")
        for name, dtype in frame.schema.items():
            table.add_column(  # long values (addresses, rule names) fold, never cut
                terminal_text(name),
                justify="right" if dtype.is_numeric() else "left",
                overflow="fold",
            )
        for row in frame.iter_rows():  # every cell as text: no markup, no escape sequence
            table.add_row(*(terminal_text(_cell(v)) for v in row))
        Console(width=max(120, 14 * len(frame.columns)), soft_wrap=True).print(table)


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if math.isfinite(value) else "—"
    return str(_plain(value))
