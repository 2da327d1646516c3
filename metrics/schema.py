"""The canonical extract tables: columns, types, keys and value rules.

This is the extract contract in code form. Connectors validate against it,
the generator writes it, and the metric models read the tables it defines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["str", "int", "num", "date", "ts", "bool"]

# DuckDB type of each canonical column type in the warehouse.
SQL_TYPES: dict[str, str] = {
    "str": "VARCHAR",
    "int": "BIGINT",
    "num": "DOUBLE",
    "date": "DATE",
    "ts": "TIMESTAMP",
    "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    min: float | None = None  # inclusive lower bound
    max: float | None = None  # inclusive upper bound
    allowed: tuple[str, ...] = ()  # case-insensitive allowed values (stored lower-case)
    default: str | None = None  # value used when the cell is empty
    # Dates: "event" (already happened: not after today + a day) or "due" (a plan: within a year).
    when: Literal["event", "due"] | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Loaded before tables that reference them (shipments need orders).
    load_order: int = 0
    # At least one of these columns must hold a value (surveys' scores).
    one_of: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, type_: ColumnType, req: bool = False, **kw) -> Column:
    return Column(name, type_, req, **kw)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "customers",
            (
                _c("customer_id", "str", True),
                _c("name", "str"),
                _c("segment", "str"),
                _c("region", "str"),
                _c("portfolio", "str"),
                _c("portfolio_manager", "str"),
            ),
            key=("customer_id",),
            load_order=0,
        ),
        # Exchange rates: units of the reporting currency per unit of ``currency`` from
        # ``valid_from`` until the next rate of that currency. Loaded before the tables whose
        # amounts they convert, so that rates loaded in the same load count (unknown_currency).
        Table(
            "fx_rates",
            (
                _c("currency", "str", True),
                _c("valid_from", "date", True),
                _c("rate", "num", True),  # > 0: a key rule (connectors/key_rules.py)
            ),
            key=("currency", "valid_from"),
            load_order=0,
        ),
        Table(
            "orders",
            (
                _c("order_id", "str", True),
                _c("line_id", "str", True),
                _c("customer_id", "str", True),
                _c("sku", "str", True),
                _c("site", "str"),
                _c("channel", "str"),
                _c("order_date", "date", True, when="event"),
                _c("requested_date", "date", True, when="due"),
                _c("promised_date", "date", when="due"),
                _c("planned_ship_date", "date", when="due"),
                _c("qty_ordered", "num", True, min=0),
                _c("unit_price", "num", min=0),
                _c("status", "str", allowed=("open", "cancelled"), default="open"),
                _c("currency", "str"),  # ISO 4217 of unit_price; empty: the reporting currency
            ),
            key=("order_id", "line_id"),
            load_order=1,
        ),
        Table(
            "shipments",
            (
                _c("shipment_id", "str", True),
                _c("order_id", "str", True),
                _c("line_id", "str", True),
                _c("carrier", "str"),
                _c("ship_date", "date", True, when="event"),
                _c("delivered_date", "date", when="event"),
                _c("qty_shipped", "num", True, min=0),
                _c("qty_damaged", "num", min=0),  # and <= qty_shipped
                _c("freight_cost", "num", min=0),
                _c("currency", "str"),  # ISO 4217 of freight_cost; empty: the reporting currency
            ),
            key=("shipment_id", "order_id", "line_id"),
            load_order=2,
        ),
        Table(
            "calls",
            (
                _c("call_id", "str", True),
                _c("customer_id", "str"),
                _c("order_id", "str"),
                _c("queue", "str"),
                _c("agent_id", "str"),
                _c("started_at", "ts", True, when="event"),
                _c("wait_sec", "num", min=0),
                _c("talk_sec", "num", min=0),
                _c("hold_sec", "num", min=0),
                _c("acw_sec", "num", min=0),
                _c("abandoned", "bool", default="false"),
                _c("resolved", "bool"),
                _c("reason", "str"),
                _c("sale_amount", "num", min=0),
            ),
            key=("call_id",),
            load_order=1,
        ),
        Table(
            "surveys",
            (
                _c("response_id", "str", True),
                _c("customer_id", "str"),
                _c("order_id", "str"),
                _c("call_id", "str"),
                _c("responded_at", "ts", True, when="event"),  # a date or a timestamp
                _c("touchpoint", "str"),
                _c("csat", "int", min=1, max=5),
                _c("nps", "int", min=0, max=10),
                _c("ces", "int", min=1, max=7),
                _c("comment", "str"),
            ),
            key=("response_id",),
            load_order=1,
            one_of=("csat", "nps", "ces"),
        ),
    )
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

# Columns of the rejects table, in order.
REJECT_COLUMNS: tuple[str, ...] = ("file", "row", "table", "rule", "column", "value", "raw")

# Each row's extract recency (see sources.Recency): a newer extract supersedes, an older never does.
RECENCY_COLUMN = "_extract_at"

# References checked on load (unknown_reference): table -> (column, referenced table, its column).
# Tables whose unknown references are always kept with a warning (counted and listed).
WARN_REFERENCES = frozenset({"calls"})
REFERENCES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "orders": (("customer_id", "customers", "customer_id"),),
    "calls": (  # kept with a warning, counted: a contact about an unknown order still happened
        ("order_id", "orders", "order_id"),
        ("customer_id", "customers", "customer_id"),
    ),
    "surveys": (
        ("call_id", "calls", "call_id"),
        ("order_id", "orders", "order_id"),
        ("customer_id", "customers", "customer_id"),
    ),
}
