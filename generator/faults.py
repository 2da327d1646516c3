"""Bad rows planted on purpose, one fault each, so every one has an unambiguous rule.

Bad rows are added rows: copies of good rows with a fresh key and one fault,
or repeats of a good row's key placed after it in the same file. The good rows
are never touched, so the story is the same whatever the bad share.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from generator.layouts import TableFile, generated_columns
from generator.story import PORTFOLIOS

Row = dict[str, str | int | None]

KINDS: dict[str, tuple[str, ...]] = {
    "customers": ("second_portfolio", "duplicate_key", "missing_value", "malformed_row"),
    "orders": (
        "duplicate_key",
        "missing_value",
        "bad_date",
        "bad_number",
        "out_of_range",
        "not_allowed",
        "malformed_row",
    ),
    "shipments": (
        "duplicate_key",
        "unknown_order_line",
        "missing_value",
        "bad_date",
        "bad_number",
        "out_of_range",
        "malformed_row",
    ),
    "calls": (
        "duplicate_key",
        "missing_value",
        "bad_timestamp",
        "bad_number",
        "bad_bool",
        "out_of_range",
        "malformed_row",
    ),
    "surveys": (
        "duplicate_key",
        "missing_score",
        "bad_integer",
        "bad_timestamp",
        "missing_value",
        "out_of_range",
        "malformed_row",
    ),
}
KEY = {
    "customers": "customer_id",
    "orders": "order_id",
    "shipments": "shipment_id",
    "calls": "call_id",
    "surveys": "response_id",
}
REQUIRED = {
    "customers": ("customer_id",),
    "orders": ("customer_id", "sku", "order_date", "requested_date", "qty_ordered"),
    "shipments": ("shipment_id", "ship_date", "qty_shipped"),
    "calls": ("call_id", "started_at"),
    "surveys": ("response_id", "responded_at"),
}
DATES = {
    "orders": ("order_date", "requested_date", "promised_date", "planned_ship_date"),
    "shipments": ("ship_date", "delivered_date"),
    "calls": ("started_at",),
    "surveys": ("responded_at",),
}
NUMBERS = {
    "orders": ("qty_ordered", "unit_price"),
    "shipments": ("qty_shipped", "qty_damaged", "freight_cost"),
    "calls": ("wait_sec", "talk_sec", "hold_sec", "acw_sec", "sale_amount"),
}
TEXT = {
    "customers": "name",
    "orders": "sku",
    "shipments": "carrier",
    "calls": "reason",
    "surveys": "comment",
}
BAD_DATES = {
    "%d.%m.%Y": ("31.02.2026", "15.13.2026", "TBD", "00.00.0000"),
    "%Y-%m-%d": ("2026-02-30", "2026-13-05", "TBD", "0000-00-00"),
}
BAD_STAMPS = ("2026-02-30 10:15:00", "2026-03-05 25:10:00", "yesterday", "TBD")
BAD_NUMBERS = ("12 pcs", "1O", "#VALUE!", "abc")
BAD_BOOLS = ("maybe", "ja", "2", "ok")


@dataclass
class FreshIds:
    """Keys no good row uses, handed out in sequence (so runs stay deterministic)."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, kind: str) -> str:
        start, fmt = {
            "orders": (9_000_001, "SO{}"),
            "unknown": (8_000_001, "SO{}"),
            "shipments": (9_000_001, "SH{}-1"),
            "calls": (90_000_001, "CL{}"),
            "surveys": (90_000_001, "RS{}"),
            "customers": (900_001, "C{}"),
        }[kind]
        n = self.next.get(kind, start)
        self.next[kind] = n + 1
        return fmt.format(n)


@dataclass
class Ctx:
    table: str
    tf: TableFile
    rng: np.random.Generator
    ids: FreshIds

    def one(self, options: tuple) -> str:
        return options[int(self.rng.integers(len(options)))]

    def negative(self, col: str) -> str:
        return "-5" if col.startswith("qty") or col.endswith("_sec") else f"-12{self.tf.decimal}50"


def _fresh(row: Row, c: Ctx) -> Row:
    row = dict(row)
    row[KEY[c.table]] = c.ids.take(c.table)
    if c.table == "orders":
        row["line_id"] = "10"
    return row


def _missing_value(row: Row, c: Ctx) -> Row:
    row = _fresh(row, c)
    row[c.one(REQUIRED[c.table])] = None
    return row


def _bad_date(row: Row, c: Ctx) -> Row:
    row = _fresh(row, c)
    row[c.one(DATES[c.table])] = c.one(BAD_DATES[c.tf.date_format])
    return row


def _bad_timestamp(row: Row, c: Ctx) -> Row:
    row = _fresh(row, c)
    row[DATES[c.table][0]] = c.one(BAD_STAMPS)
    return row


def _bad_number(row: Row, c: Ctx) -> Row:
    row = _fresh(row, c)
    row[c.one(NUMBERS[c.table])] = c.one(BAD_NUMBERS)
    return row


def _bad_bool(row: Row, c: Ctx) -> Row:
    row = _fresh(row, c)
    row[c.one(("abandoned", "resolved"))] = c.one(BAD_BOOLS)
    return row


def _bad_integer(row: Row, c: Ctx) -> Row:
    row = _fresh(row, c)
    col, value = c.one((("csat", "4.5"), ("nps", "7.5"), ("ces", "3.5")))
    row[col] = value
    return row


def _missing_score(row: Row, c: Ctx) -> Row:
    row = _fresh(row, c)
    row.update(csat=None, nps=None, ces=None)
    return row


def _out_of_range(row: Row, c: Ctx) -> Row:
    row = _fresh(row, c)
    if c.table == "surveys":
        col, value = c.one((("csat", "9"), ("csat", "0"), ("nps", "11"), ("ces", "8")))
        row[col] = value
    elif c.table == "shipments" and c.rng.random() < 0.4:
        row["qty_damaged"] = str(int(str(row["qty_shipped"])) + 2)  # more damaged than shipped
    else:
        col = c.one(NUMBERS[c.table])
        row[col] = c.negative(col)
    return row


def _not_allowed(row: Row, c: Ctx) -> Row:
    row = _fresh(row, c)
    row["status"] = c.one(("Closed", "On Hold", "Shipped", "Blocked"))
    return row


def _malformed_row(row: Row, c: Ctx) -> Row:
    """An unquoted delimiter inside a text value: the line has one field too many."""
    row = _fresh(row, c)
    col = TEXT[c.table]
    row[col] = f"{row[col] or 'late'}{c.tf.delimiter} {c.one(('again', 'see note', 'B', '2'))}"
    last = generated_columns(c.table)[-1]
    if row[last] is None and not c.tf.extra:  # no trailing empty field: it could pass as one
        row[last] = {"status": "Open", "comment": "late"}.get(last, f"10{c.tf.decimal}00")
    return row


def _unknown_order_line(row: Row, c: Ctx) -> Row:
    row = dict(row)
    if c.rng.random() < 0.5:
        row["order_id"] = c.ids.take("unknown")
    else:
        row["line_id"] = "990"
    return row


def _second_portfolio(row: Row, c: Ctx) -> Row:
    row = dict(row)
    other = [p for p in PORTFOLIOS if p.name != row["portfolio"]]
    p = other[int(c.rng.integers(len(other)))]
    row.update(portfolio=p.name, portfolio_manager=p.manager)
    return row


FAULTS: dict[str, Callable[[Row, Ctx], Row]] = {
    "missing_value": _missing_value,
    "bad_date": _bad_date,
    "bad_timestamp": _bad_timestamp,
    "bad_number": _bad_number,
    "bad_bool": _bad_bool,
    "bad_integer": _bad_integer,
    "missing_score": _missing_score,
    "out_of_range": _out_of_range,
    "not_allowed": _not_allowed,
    "malformed_row": _malformed_row,
    "unknown_order_line": _unknown_order_line,
    "second_portfolio": _second_portfolio,
    "duplicate_key": lambda row, c: dict(row),
}


def kinds(table: str, tf: TableFile) -> tuple[str, ...]:
    return tuple(k for k in KINDS[table] if k != "malformed_row" or tf.kind == "csv")


def plant(
    df: pl.DataFrame, tf: TableFile, rng: np.random.Generator, share: float, ids: FreshIds
) -> pl.DataFrame:
    """The text rows with bad rows inserted among them; _rule names each bad row's rule."""
    n, ks = len(df), kinds(tf.table, tf)
    n_bad = 0 if share <= 0 or n == 0 else min(n, max(len(ks), math.ceil(share * n)))
    if n_bad == 0:
        return df.with_columns(pl.lit(None, pl.String).alias("_rule"))
    src = np.sort(rng.choice(n, n_bad, replace=False))
    ctx = Ctx(tf.table, tf, rng, ids)
    bad = []
    for i, s in enumerate(src):
        rule = ks[i % len(ks)]
        bad.append({**FAULTS[rule](df.row(int(s), named=True), ctx), "_rule": rule})
    # Good rows sit at even positions; a bad row goes a little after its source row.
    after = np.minimum(n - 1, src + rng.integers(0, 400, n_bad))
    good = df.with_columns(
        pl.lit(None, pl.String).alias("_rule"), (pl.int_range(n) * 2).alias("_pos")
    )
    extra = pl.DataFrame(bad, schema=good.drop("_pos").schema).with_columns(
        pl.Series("_pos", after * 2 + 1)
    )
    return pl.concat([good, extra]).sort("_pos", maintain_order=True).drop("_pos")
