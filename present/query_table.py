"""``northstar query``'s table format, for people: each value in its unit (87.3%, 5m 43s,
€12.40) with the records it rests on and the target it is judged against. The machine
formats (JSON, CSV) keep plain fractions and seconds, as cli.md says."""

from __future__ import annotations

import polars as pl

from metrics.catalog import Catalog
from metrics.query import label_missing
from metrics.spec import MetricBase
from metrics.sqlgen import Query
from present import format as fmt


def people_table(details: pl.DataFrame, catalog: Catalog, q: Query) -> pl.DataFrame:
    """run_details (one row per period, dimensions and metric) as one row per period and
    dimensions, with ``<metric>``, ``<metric> n`` and ``<metric> target`` per metric (the
    status in words beside the value; a value over too few records says so instead), money
    in the catalogue's reporting currency."""
    fmt.use_currency(catalog.spec.settings.reporting_currency)
    keys = (["period"] if q.grain else []) + list(q.by)
    frames = [_metric_columns(details, catalog, name, keys) for name in q.metrics]
    out = frames[0]
    for frame in frames[1:]:
        out = (
            out.join(frame, on=keys, how="full", coalesce=True, nulls_equal=True)
            if keys
            else pl.concat([out, frame], how="horizontal")
        )
    return label_missing(out.sort(keys, nulls_last=True) if keys else out, q.by)


def _cell(value: float | None, n: int | None, status: str | None, m: MetricBase) -> str:
    """'33.3% (off target)', '5m 43s (small sample)', '—'."""
    shown = fmt.value(value, m.format)
    if value is None:
        return shown
    if fmt.sample_note(n, m.min_sample):
        return f"{shown} (small sample)"
    return f"{shown} ({fmt.STATUS_TEXT.get(status, status)})" if status else shown


def _metric_columns(
    details: pl.DataFrame, catalog: Catalog, name: str, keys: list[str]
) -> pl.DataFrame:
    m = catalog.metric(name)
    rows = details.filter(pl.col("metric") == name)
    cells = [
        {
            **{k: r[k] for k in keys},
            name: _cell(r["value"], r["n"], r["status"], m),
            f"{name} n": "—" if r["n"] is None else f"{r['n']:,}",
            f"{name} target": fmt.value(r["target"], m.format),
        }
        for r in rows.iter_rows(named=True)
    ]
    text = {c: pl.String for c in (name, f"{name} n", f"{name} target")}
    return pl.DataFrame(cells, schema={**{k: rows.schema[k] for k in keys}, **text})
