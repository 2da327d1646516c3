"""Warehouse health: staleness against today, freshness per extract, the load log and rejects.

Read through the engine seam, so the same questions work over a warehouse file or a lake."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from metrics.engine import Compiled, Engine


def _read(engine: Engine, sql: str, params: dict | None = None) -> pl.DataFrame:
    return engine.run(Compiled(sql, params or {}))


_LATEST = {  # the newest business date each extract holds
    "orders": "max(order_date)",
    "shipments": "max(greatest(ship_date, coalesce(delivered_date, ship_date)))",
    "calls": "max(CAST(started_at AS DATE))",
    "surveys": "max(CAST(responded_at AS DATE))",
}


@dataclass(frozen=True)
class Staleness:
    """How far the newest data (its as-of date) lags behind today."""

    as_of: dt.date
    today: dt.date
    days_behind: int  # 0 when the data reaches today
    limit: int  # days behind that are still fresh (settings.stale_after_days)

    @property
    def stale(self) -> bool:
        return self.days_behind > self.limit

    def message(self) -> str:
        """One plain sentence for a warning (no markdown)."""
        days = f"{self.days_behind} day{'s' if self.days_behind != 1 else ''}"
        return (
            f"Stale data: the newest data is from {self.as_of:%a %d %b %Y}, {days} behind today"
            f" ({self.today:%a %d %b %Y}). Nothing after it is counted: load newer extracts."
        )


def staleness(as_of: dt.date, today: dt.date, days: int) -> Staleness:
    """Whether data as of ``as_of`` is more than ``days`` days behind ``today``."""
    return Staleness(as_of, today, max((today - as_of).days, 0), days)


def tables(engine: Engine) -> set[str]:
    """The tables (and views) ``engine`` reads."""
    return set(_read(engine, "SELECT table_name FROM information_schema.tables")["table_name"])


def freshness(engine: Engine, as_of: dt.date | None, *, stale_days: int = 7) -> pl.DataFrame:
    """Per extract: rows, newest date, days behind as-of, stale flag and when it was last loaded."""
    present = tables(engine)
    parts = [
        f"SELECT '{t}' AS extract, count(*) AS rows, {expr} AS latest FROM {t}"
        for t, expr in _LATEST.items()
        if t in present
    ]
    if not parts:
        return pl.DataFrame(
            schema={
                "extract": pl.String,
                "rows": pl.Int64,
                "latest": pl.Date,
                "days_behind": pl.Int64,
                "stale": pl.Boolean,
                "last_loaded": pl.Datetime,
            }
        )
    frame = _read(engine, " UNION ALL ".join(parts))
    behind = (pl.lit(as_of) - pl.col("latest")).dt.total_days() if as_of else pl.lit(None, pl.Int64)
    frame = frame.with_columns(days_behind=behind).with_columns(
        stale=pl.col("latest").is_null() | (pl.col("days_behind") > stale_days)
    )
    loads = load_log(engine)
    if loads.is_empty():
        return frame.with_columns(last_loaded=pl.lit(None, dtype=pl.Datetime))
    last = loads.group_by("table").agg(pl.col("loaded_at").max().alias("last_loaded"))
    return frame.join(last, left_on="extract", right_on="table", how="left")


def _log(engine: Engine, table: str, sql: str, schema: dict, params: dict | None = None):
    """``sql`` over a log table, or an empty frame of ``schema`` where it was never written."""
    if table not in tables(engine):
        return pl.DataFrame(schema=schema)
    return _read(engine, sql, params)


_LOAD_LOG = {
    "file": pl.String,
    "table": pl.String,
    "source": pl.String,  # the sources.yaml source that read the file (newer warehouses)
    "rows_read": pl.Int64,
    "rows_loaded": pl.Int64,
    "rows_rejected": pl.Int64,
    "rows_filtered": pl.Int64,  # removed by a where: filter (newer warehouses; else 0)
    "loaded_at": pl.Datetime,
    "file_mtime": pl.Datetime,
}


def load_log(engine: Engine) -> pl.DataFrame:
    """Every file load: its source, rows read, loaded, rejected and filtered, newest first
    (empty if never loaded). Rows read = loaded + rejected + filtered."""
    frame = _log(engine, "loads", "SELECT * FROM loads", _LOAD_LOG)
    fill = {"rows_filtered": pl.lit(0, pl.Int64), "source": pl.col("table")}
    frame = frame.with_columns(
        [
            fill.get(c, pl.lit(None)).cast(t).alias(c)
            for c, t in _LOAD_LOG.items()
            if c not in frame.columns
        ]
    )
    frame = frame.with_columns(
        pl.col("rows_filtered").fill_null(0), pl.col("source").fill_null(pl.col("table"))
    )
    return frame.select([pl.col(c).cast(t) for c, t in _LOAD_LOG.items()]).sort(
        ["loaded_at", "file"], descending=[True, False], nulls_last=True
    )


def reject_reasons(engine: Engine) -> pl.DataFrame:
    """Rejected rows counted by file, table, rule and column."""
    return _log(
        engine,
        "rejects",
        'SELECT file, "table", rule, "column", count(*) AS rows, any_value(message) AS example'
        ' FROM rejects GROUP BY file, "table", rule, "column" ORDER BY rows DESC, file, rule',
        {
            "file": pl.String,
            "table": pl.String,
            "rule": pl.String,
            "column": pl.String,
            "rows": pl.Int64,
            "example": pl.String,
        },
    )


def rejected_rows(engine: Engine, *, limit: int = 500) -> pl.DataFrame:
    return _log(
        engine,
        "rejects",
        'SELECT file, "row", "table", rule, "column", value, message, raw FROM rejects'
        ' ORDER BY file, "row" LIMIT $limit',
        {},
        {"limit": limit},
    )
