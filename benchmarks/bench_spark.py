"""Spark against DuckDB over the same lake: a representative set of metric queries, timed on
local Spark and on DuckDB reading the same Parquet files, in the same run.

    python benchmarks/bench_spark.py [--lines 100000,300000,1000000] [--runs 3]

Each size's lake is loaded once with ``northstar load --lake`` (reused afterwards). Both
engines compute every model from the canonical tables (the lake's stored models are left
out, as Spark leaves them out); DuckDB reading the stored models is shown for reference.
Spark's fixed costs (session start, registering the lake's tables) are measured apart from
the queries. The figures and a sizing note go into BENCHMARKS.md (section ``spark``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb

from benchmarks.datasets import DATA, extracts
from benchmarks.report import median, write_section
from metrics.catalog import load_catalog
from metrics.query import fetch_rows, run_query
from metrics.sqlgen import Query
from store.lake import LakeVersion, create_views, current_version
from store.warehouse import DuckDBEngine

CATALOG = load_catalog(ROOT / "config" / "metrics.yaml")
LARGE = 5_000_000  # from this size on, fewer runs (--large-runs)

# What a dashboard and an analyst ask: the North Star, a split by week, the contact centre
# metrics, a metric over two models, and the records behind a value.
QUERIES = {
    "otif total": Query(metrics=("otif",)),
    "otif by region x week": Query(metrics=("otif",), by=("region",), grain="week"),
    "csat, nps, fcr by region": Query(metrics=("csat", "nps", "fcr"), by=("region",)),
    "contacts per 100 orders by month": Query(metrics=("contacts_per_100_orders",), grain="month"),
    "rows: 100 orders that missed otif": None,
}


def lake(lines: int) -> tuple[Path, float | None]:
    """The lake of ``lines`` order lines, loaded on first use; and the load's seconds then."""
    path = DATA / f"lake-{lines}"
    if current_version(path) is not None:
        return path, None
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cli.main", "load", "--lake", str(path), str(extracts(lines))],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    return path, time.perf_counter() - t0


def without_models(version: LakeVersion) -> LakeVersion:
    tables = {k: v for k, v in version.manifest["tables"].items() if "." not in k}
    return dataclasses.replace(version, manifest={**version.manifest, "tables": tables})


def duckdb_engine(version: LakeVersion) -> DuckDBEngine:
    con = duckdb.connect(
        config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    )
    create_views(con, version)
    return DuckDBEngine(con)


def run(engine, name: str) -> None:
    q = QUERIES[name]
    if q is None:
        fetch_rows(engine, CATALOG, "otif", Query(metrics=("otif",)), failing=True, limit=100)
    else:
        run_query(engine, CATALOG, q)


def timed(engine, name: str) -> float:
    t0 = time.perf_counter()
    run(engine, name)
    return time.perf_counter() - t0


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares line t = a + b * lines: (fixed seconds, seconds per million lines)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    return my - b * mx, b * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", default="100000,300000,1000000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--large-runs", type=int, default=1, help=f"runs at {LARGE:,} lines and more, no warm-up"
    )
    args = ap.parse_args()
    sizes = [int(x) for x in args.lines.split(",")]

    from store.spark_engine import SparkEngine, spark_session

    t0 = time.perf_counter()
    session = spark_session()
    session_start = time.perf_counter() - t0
    rows, loads, fixed, totals = [], {}, {}, {"duckdb": [], "spark": []}
    for lines in sizes:
        path, load_s = lake(lines)
        loads[lines] = load_s
        version = current_version(path)
        live = without_models(version)
        duck, stored = duckdb_engine(live), duckdb_engine(version)
        t0 = time.perf_counter()
        spark = SparkEngine(session, version)
        fixed[lines] = time.perf_counter() - t0
        sum_duck = sum_spark = 0.0
        large = lines >= LARGE
        for name in QUERIES:
            # Planning and code generation included; at a large size (a few seconds of minutes)
            # the first run is the only Spark run.
            first = None if large else timed(spark, name)
            d, s, st = [], [], []
            for _ in range(args.large_runs if large else args.runs):  # interleaved
                d.append(timed(duck, name))
                s.append(timed(spark, name))
                st.append(timed(stored, name))
            row = (lines, name, median(d), median(s), first, median(st), len(d))
            rows.append(row)
            sum_duck += row[2]
            sum_spark += row[3]
            print(
                f"{lines:>10,} {name:<36} duckdb {row[2]:7.3f}  spark {row[3]:7.3f} "
                f"(first {first or 0:6.3f})  stored {row[5]:6.3f}",
                flush=True,
            )
        totals["duckdb"].append((lines, sum_duck))
        totals["spark"].append((lines, sum_spark))
    write_section("spark", report(rows, loads, fixed, totals, session_start, args.runs))


def report(rows, loads, fixed, totals, session_start, runs) -> str:
    load_avg = os.getloadavg()[0]
    out = [
        "## Spark against DuckDB over the same lake",
        "",
        (
            f"Run {time.strftime('%Y-%m-%d')}; medians of {runs} interleaved runs (*runs* column: "
            f"fewer at {LARGE:,} lines and more, where a Spark query takes minutes and its first "
            "run, planning included, is the one timed). Both engines read the "
            "same Parquet lake (`northstar load --lake`) and compute every model from the canonical "
            "tables; *DuckDB* (in-memory, views over the lake) is the baseline, ratio = Spark / DuckDB. "
            "*Spark* is local mode (`local[*]`, 2 cores) after a first run of the same query (its "
            "planning and code generation, shown apart; at the large sizes the first run is the "
            "timed one). *Stored* is DuckDB reading the stored models "
            "a lake load writes: what the dashboard reads. "
            f"Load average (1 min) when written: {load_avg:.1f} on 2 cores (a shared machine: compare "
            "the ratios)."
        ),
        "",
        (
            "| order lines | query | DuckDB (s) | Spark (s) | ratio | Spark first run (s) "
            "| DuckDB, stored models (s) | runs |"
        ),
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for lines, name, d, s, first, st, n in rows:
        shown = "–" if first is None else f"{first:.3f}"
        out.append(
            f"| {lines:,} | {name} | {d:.3f} | {s:.3f} | **{s / d:.1f}x** | {shown} "
            f"| {st:.3f} | {n} |"
        )
    out += [
        "",
        "Fixed costs of Spark, paid once per process: session start "
        f"{session_start:.1f} s; registering a lake's tables (the first one warms the JVM up) "
        + ", ".join(f"{v:.1f} s ({k:,} lines)" for k, v in fixed.items())
        + ".",
    ]
    done = {k: v for k, v in loads.items() if v is not None}
    if done:
        out.append(
            "Lake loads (`northstar load --lake`, end to end, this run): "
            + ", ".join(f"{v:.0f} s ({k:,} lines)" for k, v in done.items())
            + "."
        )
    (a_d, b_d), (a_s, b_s) = fit(totals["duckdb"]), fit(totals["spark"])
    largest = max(n for n, _ in totals["duckdb"])
    if largest < 10_000_000:
        out += [
            "",
            (
                f"Sizes measured: up to {largest:,} order lines. 10,000,000 lines did not fit in "
                "this run on a shared 2-core machine (a lake load alone takes about ten times the "
                "1M figure, and each Spark query about a minute or more); the fit below gives "
                f"for 10M: DuckDB about {a_d + 10 * b_d:.0f} s and local Spark about "
                f"{a_s + 10 * b_s:.0f} s for the five queries together."
            ),
        ]
    out += [
        "",
        "### Sizing",
        "",
        (
            f"Sum of the {len(QUERIES)} queries, fitted as fixed + per-million-lines: DuckDB "
            f"{a_d:.2f} s + {b_d:.2f} s per million lines; Spark (local, 2 cores) {a_s:.2f} s + "
            f"{b_s:.2f} s per million lines."
        ),
    ]
    out.append(sizing(a_d, b_d, a_s, b_s, session_start, max(r[5] for r in rows)))
    return "\n".join(out)


def crossover(a_d: float, b_d: float, a_s: float, b_s: float, cores: int) -> str:
    """Order lines from which ``cores`` of Spark answer before this machine's DuckDB."""
    k = cores / 2  # cluster cores against this machine's 2
    slope = b_d - b_s / k
    if slope <= 0:
        return "never, on these slopes"
    return f"{max(0.0, (a_s - a_d) / slope):.1f} M lines"


def sizing(
    a_d: float, b_d: float, a_s: float, b_s: float, session_start: float, stored: float
) -> str:
    """When a cluster of Spark executors would answer faster than one machine with DuckDB."""
    rows = [
        f"| {cores} | {crossover(a_d, b_d, a_s, b_s, cores)} | "
        f"{crossover(a_d, b_d, a_s + session_start, b_s, cores)} |"
        for cores in (16, 64, 256)
    ]
    return "\n".join(
        [
            "",
            (
                "What grows with the data: reading the lake and the joins and aggregates of the "
                "models (the per-million slopes), for both engines; a cluster divides Spark's "
                "slope by its cores at best. What stays fixed: Spark's session start "
                f"({session_start:.0f} s here, once per process), its planning and code "
                "generation per query (first run against steady run) and its task scheduling, "
                "whatever the size; DuckDB plans in milliseconds. Spark overtakes one DuckDB "
                "machine (2 cores) where its divided slope has paid back its extra fixed cost. "
                "Assuming the slopes stay linear and a cluster scales perfectly (neither is "
                "measured here; the network and a cluster's own scheduling add to the fixed "
                "part), the five queries together are answered sooner by Spark from:"
            ),
            "",
            "| cluster cores | a long-lived session | a session per command (CLI) |",
            "|---:|---:|---:|",
            *rows,
            "",
            (
                "A bigger single machine moves these points up in proportion to its cores. The "
                "dashboard reads the stored models either way (the *stored* column: at most "
                f"{stored:.1f} s at any size measured), so Spark pays off for computing the models "
                "of a lake that outgrows one machine's memory and disk, not for serving pages."
            ),
        ]
    )


if __name__ == "__main__":
    main()
