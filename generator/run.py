"""A whole generation: chunk after chunk of the year, appended to the layout's files."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from generator import calls, master, orders, surveys
from generator import story as s
from generator.faults import FreshIds, plant
from generator.layouts import LAYOUTS, MAX_XLSX_ROWS, Layout, as_text, sources_yaml
from generator.writers import Sinks

CHUNK_LINES = 250_000
CALLS_PER_LINE = 0.6
MANIFEST = "planted_rejects.json"
TEXT_STREAM = 7  # survey comments: a stream of their own, so the words never move other values
_STREAM = {"customers": 1, "orders": 2, "shipments": 3, "calls": 4, "surveys": 5}


@dataclass(frozen=True)
class Options:
    out: Path
    lines: int = 50_000
    seed: int = 2026
    layout: Layout = "canonical"
    bad_share: float = 0.01
    chunk_lines: int = CHUNK_LINES  # order lines generated (and held in memory) at a time
    xlsx_rows: int = MAX_XLSX_ROWS  # a workbook holds at most this many rows


@dataclass(frozen=True)
class Result:
    out: Path
    files: tuple[str, ...]
    rows: dict[str, int]  # rows written per table, bad rows included
    planted: dict[str, int] = field(default_factory=dict)  # bad rows per rule
    lines: int = 0  # order lines generated (planted bad rows not counted)
    orders: int = 0  # the orders those lines belong to


class _Run:
    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.layout = LAYOUTS[opts.layout]
        self.sinks = Sinks(opts.out, opts.xlsx_rows)
        self.ids = FreshIds()
        self.rows: Counter[str] = Counter()

    def write(self, table: str, typed: pl.DataFrame, chunk: int) -> None:
        """Format, plant this chunk's bad rows (own random stream), append."""
        tf = self.layout[table]
        rng = np.random.default_rng([self.opts.seed, chunk, 100 + _STREAM[table]])
        text = plant(as_text(typed, tf), tf, rng, self.opts.bad_share, self.ids)
        self.rows[table] += len(text)
        self.sinks.write(text, tf)


def generate(opts: Options, on_chunk: Callable[[int], None] | None = None) -> Result:
    """Write opts.lines order lines and everything that follows from them into opts.out."""
    opts.out.mkdir(parents=True, exist_ok=True)
    run, m = _Run(opts), master.build(opts.seed, opts.lines)
    run.write("customers", m.customers.with_columns(_day=pl.lit(s.AS_OF_D)), 0)
    nos = {"order": 1_000_001, "call": 10_000_001, "response": 10_000_001}
    for k, lo in enumerate(range(0, opts.lines, opts.chunk_lines)):
        hi = min(opts.lines, lo + opts.chunk_lines)
        span = (lo / opts.lines, hi / opts.lines)
        rng = np.random.default_rng([opts.seed, k + 1])
        oc = orders.build(rng, m, hi - lo, span, nos["order"])
        cl = calls.build(rng, m, oc.orders, round(CALLS_PER_LINE * (hi - lo)), span, nos["call"])
        text_rng = np.random.default_rng([opts.seed, k + 1, TEXT_STREAM])
        sv = surveys.build(rng, m, oc.orders, cl, hi - lo, span, nos["response"], text_rng)
        nos = {
            "order": nos["order"] + oc.n_orders,
            "call": nos["call"] + len(cl),
            "response": nos["response"] + len(sv),
        }
        for table, df in (
            ("orders", oc.lines),
            ("shipments", oc.shipments),
            ("calls", cl),
            ("surveys", sv),
        ):
            run.write(table, df, k + 1)
        if on_chunk:
            on_chunk(hi - lo)
    run.sinks.close()
    return _finish(run, nos["order"] - 1_000_001)


def _finish(run: _Run, n_orders: int) -> Result:
    out, entries = run.opts.out, sorted(run.sinks.entries)
    with (out / MANIFEST).open("w") as fh:
        fh.write(
            "[\n"
            + ",\n".join(
                json.dumps({"file": f, "row": r, "table": t, "rule": u}) for f, r, t, u in entries
            )
            + ("\n" if entries else "")
            + "]\n"
        )
    if run.opts.layout == "export":
        (out / "sources.yaml").write_text(sources_yaml())
    planted = dict(Counter(e[3] for e in entries))
    return Result(
        out, tuple(sorted(_all_files(run))), dict(run.rows), planted, run.opts.lines, n_orders
    )


def _all_files(run: _Run) -> list[str]:
    names = [MANIFEST] + (["sources.yaml"] if run.opts.layout == "export" else [])
    for relpath, sink in run.sinks.files.items():
        parts = getattr(sink, "part", 1)
        names += [relpath] + [relpath.replace(".xlsx", f" ({p}).xlsx") for p in range(2, parts + 1)]
    return names
