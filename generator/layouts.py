"""Where each table goes and how it is written, per layout; and the sources.yaml mapping.

The export layout and both sources.yaml files (the one written next to the
exports and config/sources.yaml) come from the one definition below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from metrics.schema import TABLES

Layout = Literal["canonical", "export"]
ISO = "%Y-%m-%d"
TS = "%Y-%m-%d %H:%M:%S"
MAX_XLSX_ROWS = 500_000  # a survey workbook is split beyond this

# What the generator writes: a company trading in the reporting currency needs no fx_rates,
# and its amounts carry no currency column.
GENERATED_TABLES = tuple(t for t in TABLES if t != "fx_rates")


def generated_columns(table: str) -> list[str]:
    """The canonical columns the generator writes for ``table``, in order."""
    return [c for c in TABLES[table].column_names if c != "currency"]


@dataclass(frozen=True)
class TableFile:
    """How one table is exported: path ('{period}' splits it), format, headers, formats."""

    table: str
    path: str
    period: Literal["", "quarter", "year"] = ""
    kind: Literal["csv", "parquet", "xlsx"] = "csv"
    delimiter: str = ","
    headers: dict[str, str] = field(default_factory=dict)  # canonical name -> file header
    date_format: str = ISO
    decimal: str = "."
    bom: bool = False
    sheet: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # constant extra columns

    @property
    def glob(self) -> str:
        return self.path.replace("{period}", "*")

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def route(self, day: pl.Expr) -> pl.Expr:
        """The file's relative path for each row, from its routing date."""
        d = day.cast(pl.Date)
        if self.period == "quarter":
            period = d.dt.year().cast(pl.String) + pl.lit("-Q") + d.dt.quarter().cast(pl.String)
        elif self.period == "year":
            period = d.dt.year().cast(pl.String)
        else:
            return pl.lit(self.path)
        head, tail = self.path.split("{period}")
        return pl.lit(head) + period + pl.lit(tail)


ERP_HEADERS = {
    "order_id": "Sales Order",
    "line_id": "Item",
    "customer_id": "Sold-to",
    "sku": "Material",
    "site": "Plant",
    "channel": "Channel",
    "order_date": "Order Date",
    "requested_date": "Req. Deliv. Date",
    "promised_date": "Conf. Deliv. Date",
    "planned_ship_date": "Planned GI Date",
    "qty_ordered": "Order Qty",
    "unit_price": "Net Price",
    "status": "Status",
}

LAYOUTS: dict[str, dict[str, TableFile]] = {
    "canonical": {t: TableFile(t, f"{t}.csv") for t in GENERATED_TABLES},
    "export": {
        "customers": TableFile("customers", "crm/customers.csv", bom=True),
        "orders": TableFile(
            "orders",
            "erp/SO_lines_{period}.csv",
            period="quarter",
            delimiter=";",
            headers=ERP_HEADERS,
            date_format="%d.%m.%Y",
            decimal=",",
            extra={"Currency": "EUR"},
        ),
        "shipments": TableFile(
            "shipments", "wms/shipments_{period}.parquet", period="year", kind="parquet"
        ),
        "calls": TableFile("calls", "contact_center/calls.csv"),
        "surveys": TableFile(
            "surveys", "voc/surveys {period}.xlsx", period="year", kind="xlsx", sheet="Responses"
        ),
    },
}


def sources_yaml(prefix: str = "") -> str:
    """The export layout's mapping; globs are prefix + path, relative to the yaml file."""
    out = [
        "# Maps the exports of `northstar generate --layout export` (and sample_data/)",
        "# to the canonical tables. Globs are relative to this file. Generated from",
        "# generator/layouts.py: change it there, not here.",
        "tables:",
    ]
    for t, tf in LAYOUTS["export"].items():
        out += [f"  {t}:", f"    files: [{json.dumps(prefix + tf.glob)}]"]
        if tf.headers:
            out.append("    columns:")
            out += [f"      {c}: {json.dumps(h)}" for c, h in tf.headers.items()]
        if tf.date_format != ISO:
            out.append(f"    date_format: {json.dumps(tf.date_format)}")
        if tf.decimal != ".":
            out.append(f"    decimal: {json.dumps(tf.decimal)}")
        if tf.sheet:
            out.append(f"    sheet: {json.dumps(tf.sheet)}")
    return "\n".join(out) + "\n"


def as_text(df: pl.DataFrame, tf: TableFile) -> pl.DataFrame:
    """The canonical columns as the file's text (dates, decimals, flags), plus _day."""
    exprs = []
    for col in TABLES[tf.table].columns:
        if col.name not in generated_columns(tf.table):
            continue
        c = pl.col(col.name)
        if col.type == "date":
            c = c.dt.strftime(tf.date_format)
        elif col.type == "ts":
            c = c.dt.strftime(TS)
        elif col.type == "bool":
            c = pl.when(c).then(pl.lit("true")).when(~c).then(pl.lit("false"))
        elif df.schema[col.name].is_float():
            c = _money(c, tf.decimal)
        else:
            c = c.cast(pl.String)
        exprs.append(c.alias(col.name))
    return df.select(*exprs, pl.col("_day").cast(pl.Int64))


def _money(c: pl.Expr, decimal: str) -> pl.Expr:
    """Amounts with two decimals, e.g. 1234.5 -> '1234.50' (or '1234,50')."""
    cents = (c * 100).round(0).cast(pl.Int64)
    digits = cents.abs().cast(pl.String).str.zfill(3)
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return sign + digits.str.head(-2) + pl.lit(decimal) + digits.str.tail(2)
