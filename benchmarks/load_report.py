"""The "load" section of BENCHMARKS.md from bench_load.py's results: each aim with the code
before the change and after it, measured in the same run."""

from __future__ import annotations

import os
import platform

import duckdb

from benchmarks.report import median

AIMS = (
    "Aims (10M lines unless said): the whole `northstar load` within 2.5x of the plain read "
    "(2.0x wanted); the model rebuild under half the validated load; a 2% daily delta at most "
    "15% of a full load at 10M and 25% at 1M; peak < 4 GiB."
)


def _trees(r: dict) -> list[tuple[str, dict]]:
    return [(tag, r["trees"][tag]) for tag in ("before", "after") if tag in r["trees"]]


def _table(header: str, align: str, results: list[dict], row) -> list[str]:
    """A markdown table: one row per size and code tree, ``row(result, tag, tree)`` its cells."""
    return [header, align] + [
        "| " + " | ".join(row(r, tag, t)) + " |" for r in results for tag, t in _trees(r)
    ]


def _runs(results: list[dict], cell) -> str:
    return "; ".join(f"{r['n']:,} {tag}: {cell(t)}" for r in results for tag, t in _trees(r))


def _main_table(results: list[dict]) -> list[str]:
    lines = _table(
        "| order lines | code | CSV size | plain read_csv (s) | validated load (s) | ratio | + models (s) | models / validated | end to end (s) | end to end / read_csv | peak RSS (GiB) | rejects = planted |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
        results,
        lambda r, tag, t: (
            f"{r['n']:,}", tag, f"{r['bytes'] / 2**20:,.0f} MiB", f"{r['base']:.1f}",
            f"{t['data']:.1f}", f"{t['data'] / r['base']:.2f}x", f"{t['models']:.1f}",
            f"**{t['model_share']:.0%}**", f"{t['load']:.1f}", f"**{t['end_ratio']:.2f}x**",
            f"{t['peak'] / 2**30:.2f}", "yes" if t["ok"] else "NO",
        ),
    )  # fmt: skip
    runs = _runs(
        results,
        lambda t: ", ".join(
            f"{d:.1f}/{a:.1f}/{b:.1f}" for d, a, b in zip(t["datas"], t["loads"], t["bases"])
        ),
    )
    return [*lines, "", f"Runs (validated load / end to end / plain read_csv, seconds): {runs}"]


def _floor_table(results: list[dict]) -> list[str]:
    return _table(
        "| order lines | code | models: rebuild (s) | floor: writing alone (s) | floor / validated load | (validated load + floor) / read_csv |",
        "|---:|---|---:|---:|---:|---:|",
        results,
        lambda r, tag, t: (
            f"{r['n']:,}", tag, f"{t['models']:.1f}", f"{t['floor']:.1f}",
            f"**{median(t['floor_ratios']):.0%}**", f"**{median(t['floor_end_ratios']):.2f}x**",
        ),
    )  # fmt: skip


def _delta_row(r: dict, tag: str, t: dict) -> tuple[str, ...]:
    d = r["delta_rows"]
    aim = 0.15 if r["n"] >= 10_000_000 else 0.25
    ratio = median(t["delta_ratios"])
    return (
        f"{r['n']:,}", tag,
        " / ".join(f"{d.get(k, 0):,}" for k in ("orders", "shipments", "calls", "surveys")),
        f"{t['load']:.1f}", f"{t['delta']:.1f}", f"**{ratio:.0%}**", f"{t['delta_cpu_ratio']:.0%}",
        f"{t['delta_models']:.1f}", f"{median(t['model_ratios']):.0%}",
        f"{t['delta_peak'] / 2**30:.2f}", f"{'yes' if ratio <= aim else 'no'} (≤ {aim:.0%})",
    )  # fmt: skip


def _delta_table(results: list[dict]) -> list[str]:
    lines = _table(
        "| order lines | code | delta rows (orders / shipments / calls / surveys) | full load (s) | delta load (s) | ratio | processor time: delta / full | of which models (s) | models: delta / full | peak RSS (GiB) | aim met |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
        results,
        _delta_row,
    )
    runs = _runs(
        results, lambda t: ", ".join(f"{d:.1f}/{a:.1f}" for d, a in zip(t["deltas"], t["loads"]))
    )
    return [*lines, "", f"Delta runs (delta load / full load, seconds): {runs}"]


def report(results: list[dict]) -> str:
    paired = any("before" in r["trees"] for r in results)
    how = (
        "each run loads with the code before the change and after it, in turns (the order "
        "alternates), against the same plain read"
        if paired
        else "interleaved runs"
    )
    lines = [
        (
            "`northstar load` of canonical CSV extracts (orders, shipments ~1.1x, calls ~0.6x, "
            "surveys ~0.16x, customers; 1% planted bad rows) into a fresh warehouse, against a plain "
            "DuckDB `CREATE TABLE AS SELECT * FROM read_csv(file, ignore_errors=true)` of the same "
            "files (columns sniffed and typed, malformed lines skipped). Medians of "
            + ", ".join(f"{r['runs']} run(s) at {r['n']:,} lines" for r in results)
            + "; "
            + f"{how}; peak RSS of the load process. Machine: {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, duckdb {duckdb.__version__}; load average (1 min) when "
            f"written: {os.getloadavg()[0]:.1f} (a shared machine: compare the ratios)."
        ),
        "",
        (
            "*Validated load* is the whole command but the models: read, type and check every row, "
            "write the rejects, upsert, checkpoint and the atomic swap, and also the process start "
            "and the alert run that follows the load (config/alerts.yaml; no mail server here, so "
            "delivery fails at once). *Models* is the rebuild of the stored metric models that "
            "`northstar load` runs inside the same swap, so that the dashboard reads small tables; "
            "*end to end* is the whole command."
        ),
        "",
        *_main_table(results),
        "",
        "For reference, `read_csv(file)` with no option took "
        + ", ".join(f"{r['unsplit']:.1f} s at {r['n']:,} lines" for r in results)
        + ": on these files the sniffer cannot settle the delimiter (the malformed lines have a "
        "field too many) and reads each line as a single text column, which is not a read of the data.",
        "",
        f"{AIMS} Run: `python benchmarks/bench_load.py [--before DIR]`.",
        "",
        (
            "The floor of the model rebuild, same runs: the rows of the stored models the load "
            "wrote, copied into memory, then written into a new warehouse file with no "
            "computation at all (no join, no aggregate: the writing alone). No rebuild that "
            "stores these tables can take less; with it, the whole load cannot be faster than "
            "*validated load + floor*."
        ),
        "",
        *_floor_table(results),
        "",
        "### Daily delta",
        "",
        (
            "The same extracts split by date (`benchmarks/delta.py`): the base, and the newest 2% "
            "of the order lines with the shipments, contacts and responses dated after the same day "
            "(shipments of older lines delivered after it arrive again, delivered, as updates). "
            "Each run loads the delta with `northstar load` into a copy of a warehouse holding the "
            "base (the copy is not timed); the load records its changes and recomputes only the "
            "stored model rows they can change (the stored models then equal a full rebuild: "
            "tests/test_delta_load.py). Baseline: the full load of the same code (end to end, "
            "above), in the same run; ratio = delta / full load, run by run, then the median; "
            "*processor time* is the same ratio of user + system seconds, which the other jobs on "
            "the machine disturb less than the wall clock."
        ),
        "",
        *_delta_table(results),
    ]
    return "\n".join(lines)
