"""Metric engine latency: the queries each dashboard page needs, cold and warm, and the
engine against hand-written SQL computing the same result, in the same run.

    python benchmarks/bench_engine.py [--lines 1000000,10000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.datasets import warehouse  # noqa: E402
from benchmarks.report import median, write_section  # noqa: E402

# What each page asks of the engine on opening (13 weeks of trend, the week under review).
PAGES = {
    "north_star": [
        ("details", dict(metrics=("otif",), grain="week", weeks=14)),
        ("query", dict(metrics=("csat", "nps", "fcr", "contacts_per_100_orders"), weeks=1)),
        ("query", dict(metrics=("measured_orders",), by=("miss_reason",), weeks=1)),
        ("query", dict(metrics=("otif", "measured_orders"), by=("region",), weeks=1)),
        ("query", dict(metrics=("otif_line",), by=("site",), weeks=1)),
        ("query", dict(metrics=("otif_line",), by=("carrier",), weeks=1)),
        ("query", dict(metrics=("otif", "measured_orders"), by=("portfolio",), weeks=1)),
    ],
    "old_vs_new": [
        (
            "details",
            dict(
                metrics=(
                    "fill_rate",
                    "otif",
                    "on_time_shipment",
                    "on_time",
                    "aht_sec",
                    "fcr",
                    "csat",
                    "fcr_agent",
                    "service_level",
                ),
                weeks=1,
            ),
        ),
        (
            "query",
            dict(
                metrics=(
                    "fill_rate",
                    "otif",
                    "on_time_shipment",
                    "on_time",
                    "aht_sec",
                    "fcr",
                    "csat",
                    "fcr_agent",
                    "service_level",
                ),
                grain="week",
                weeks=13,
            ),
        ),
    ],
    "explore": [
        ("details", dict(metrics=("otif",), by=("region",), grain="week", weeks=13)),
        ("rows", dict(metric="otif", weeks=1)),
    ],
}

# Hand-written SQL over the canonical tables, for results the engine also computes.
HAND_OTIF_BY_WEEK = """
WITH inc AS (
  SELECT order_id, line_id, requested_date AS due, qty_ordered FROM orders
  WHERE coalesce(status, 'open') <> 'cancelled' AND qty_ordered > 0),
done AS (SELECT order_id FROM inc GROUP BY order_id HAVING max(due) <= $as_of),
by_line AS (
  SELECT i.order_id, i.due,
         coalesce(sum(s.qty_shipped) FILTER (WHERE s.delivered_date <= i.due AND s.delivered_date <= $as_of
                                              AND s.ship_date <= $as_of), 0) >= i.qty_ordered AS ok
  FROM inc i JOIN done USING (order_id) LEFT JOIN shipments s USING (order_id, line_id)
  GROUP BY i.order_id, i.line_id, i.due, i.qty_ordered),
by_order AS (SELECT order_id, max(due) AS due, bool_and(ok) AS ok FROM by_line GROUP BY order_id)
SELECT CAST(date_trunc('week', due) AS DATE) AS period, avg(ok::INT) AS otif
FROM by_order GROUP BY 1 ORDER BY 1
"""
HAND_AHT_BY_QUEUE = """
SELECT queue, avg(coalesce(talk_sec, 0) + coalesce(hold_sec, 0) + coalesce(acw_sec, 0)) AS aht_sec
FROM calls WHERE NOT coalesce(abandoned, false) AND CAST(started_at AS DATE) <= $as_of
GROUP BY 1 ORDER BY 1 NULLS LAST
"""
HAND = {
    "otif by week": (HAND_OTIF_BY_WEEK, dict(metrics=("otif",), grain="week")),
    "aht_sec by queue": (HAND_AHT_BY_QUEUE, dict(metrics=("aht_sec",), by=("queue",))),
}

# A query for another as-of than the stored models': the models are computed live.
OTHER_AS_OF = {"metrics": ("otif", "fcr", "csat"), "by": ("region",), "grain": "week", "weeks": 13}
OTHER_AS_OF_DAYS_BACK = 28

# A child process runs one page's queries on a fresh connection: the "cold" case.
CHILD = """
import json, sys, time, datetime as dt
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from benchmarks.bench_engine import run_page
from store.warehouse import Warehouse
from metrics.catalog import load_catalog
catalog = load_catalog({config!r})
wh = Warehouse({db!r})
t1 = time.perf_counter()
run_page(wh, catalog, {page!r})
t2 = time.perf_counter()
run_page(wh, catalog, {page!r})
t3 = time.perf_counter()
print(json.dumps({{"cold": t2 - t1, "warm": t3 - t2}}))
"""


def _query(spec: dict, as_of: dt.date):
    from metrics.sqlgen import Query

    weeks = spec.get("weeks", 1)
    end = as_of - dt.timedelta(days=as_of.weekday() + 1)  # the last complete week's Sunday
    start = end - dt.timedelta(days=7 * weeks - 1)
    return Query(
        metrics=spec.get("metrics", ()),
        by=spec.get("by", ()),
        grain=spec.get("grain"),
        date_from=start,
        date_to=end,
        as_of=as_of,
    )


def run_page(wh, catalog, page: str) -> None:
    from metrics.details import run_details
    from metrics.query import default_as_of, fetch_rows, run_query

    as_of = default_as_of(wh.engine())
    for kind, spec in PAGES[page]:
        q = _query(spec, as_of)
        if kind == "details":
            run_details(wh.engine(), catalog, q)
        elif kind == "query":
            run_query(wh.engine(), catalog, q)
        else:
            fetch_rows(wh.engine(), catalog, spec["metric"], q, failing=True, limit=1000)


def _cold_warm(db: Path, page: str, runs: int) -> tuple[float, float]:
    code = CHILD.format(
        root=str(ROOT), config=str(ROOT / "config/metrics.yaml"), db=str(db), page=page
    )
    cold, warm = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
        r = json.loads(out)
        cold.append(r["cold"])
        warm.append(r["warm"])
    return median(cold), median(warm)


def _timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return median(times)


def _hand_vs_engine(db: Path, runs: int) -> list[tuple[str, float, float, float]]:
    from metrics.catalog import load_catalog
    from metrics.query import default_as_of, execute, run_query
    from metrics.sqlgen import Compiled, Query, compile_query, used_params
    from store.warehouse import Warehouse

    catalog = load_catalog(ROOT / "config/metrics.yaml")
    wh = Warehouse(db)
    as_of = default_as_of(wh.engine())
    rows = []
    for label, (sql, spec) in HAND.items():
        q = Query(as_of=as_of, **spec)
        hand = Compiled(sql, used_params(sql, {"as_of": as_of}))
        live = compile_query(catalog, q, as_of)  # models computed from the canonical tables
        check_hand = execute(wh.engine(), hand)
        check_engine = run_query(wh.engine(), catalog, q).values()
        assert check_hand.shape[0] == check_engine.shape[0], label
        t_hand = _timed(lambda hand=hand: execute(wh.engine(), hand), runs)
        t_live = _timed(lambda live=live: execute(wh.engine(), live), runs)
        t_engine = _timed(lambda q=q: run_query(wh.engine(), catalog, q), runs)
        rows.append((label, t_hand, t_live, t_engine))
    return rows


def _other_as_of(db: Path, runs: int) -> tuple[float, float, float, float]:
    """Seconds for OTHER_AS_OF four weeks before the default as-of: the first question (the
    stored models moved there, on a new connection), the next one at that as-of, the models
    computed live, and the hand-written OTIF by week at that as-of (the baseline, same run)."""
    from metrics.catalog import load_catalog
    from metrics.query import default_as_of, execute, run_query, stored_models
    from metrics.sqlgen import Compiled, compile_query, used_params
    from store.warehouse import Warehouse

    catalog = load_catalog(ROOT / "config/metrics.yaml")
    first, warm = [], []
    for _ in range(runs):
        wh = Warehouse(db)
        as_of = default_as_of(wh.engine()) - dt.timedelta(days=OTHER_AS_OF_DAYS_BACK)
        assert not stored_models(wh.engine(), catalog, as_of)
        q = _query(OTHER_AS_OF, as_of)
        first.append(_timed(lambda q=q, wh=wh: run_query(wh.engine(), catalog, q), 1))
        warm.append(_timed(lambda q=q, wh=wh: run_query(wh.engine(), catalog, q), 1))
        wh.close()
    wh = Warehouse(db)
    live = compile_query(catalog, q, as_of)  # every model computed from the canonical tables
    hand = Compiled(HAND_OTIF_BY_WEEK, used_params(HAND_OTIF_BY_WEEK, {"as_of": as_of}))
    return (
        median(first),
        median(warm),
        _timed(lambda: execute(wh.engine(), live), runs),
        _timed(lambda: execute(wh.engine(), hand), runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", default="1000000,10000000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    md = [
        "## Metric engine",
        "",
        f"Run {dt.date.today()}; medians of {args.runs} runs. *Cold*: a new process opens the warehouse and runs",
        "the page's queries once; *warm*: the same queries again on that connection. Models are the",
        "tables a load materialises (`models` schema) for the default as-of.",
        f"Load average (1 min) when written: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(a shared machine: compare the ratios).",
        "",
        "| order lines | page | queries | cold (s) | warm (s) |",
        "|---:|---|---:|---:|---:|",
    ]
    hand_md = [
        "",
        "Engine against hand-written SQL over the canonical tables, same run (ratio = engine / hand):",
        "",
        "| order lines | result | hand-written (s) | engine, live models (s) | ratio | engine, stored models (s) | ratio |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    asof_md = [
        "",
        (
            f"A query for another as-of ({OTHER_AS_OF_DAYS_BACK} days before the stored models'): "
            f"{', '.join(OTHER_AS_OF['metrics'])} by region and week, 13 weeks. The first question "
            "at that as-of moves the stored models there (metrics/moved_models.py) on a new "
            "connection; the next question at that as-of reads the moved models; *live* computes "
            "every model from the canonical tables (before the move existed). Baseline: the "
            "hand-written OTIF by week at that as-of, same run. Aim: within 3 s at 10M lines."
        ),
        "",
        "| order lines | first question (s) | next question (s) | models live (s) "
        "| hand-written OTIF by week (s) | first / hand | live / hand |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lines in [int(x) for x in args.lines.split(",")]:
        db = warehouse(lines)
        first, warm, live, hand = _other_as_of(db, args.runs)
        asof_md.append(
            f"| {lines:,} | {first:.3f} | {warm:.3f} | {live:.3f} | {hand:.3f} "
            f"| {first / hand:.2f} | {live / hand:.2f} |"
        )
        print(asof_md[-1], flush=True)
        for page in PAGES:
            cold, warm = _cold_warm(db, page, args.runs)
            md.append(f"| {lines:,} | {page} | {len(PAGES[page])} | {cold:.3f} | {warm:.3f} |")
            print(md[-1], flush=True)
        for label, hand, live, engine in _hand_vs_engine(db, args.runs):
            hand_md.append(
                f"| {lines:,} | {label} | {hand:.3f} | {live:.3f} | {live / hand:.2f} | "
                f"{engine:.3f} | {engine / hand:.2f} |"
            )
            print(hand_md[-1], flush=True)
    write_section("engine", "\n".join(md + hand_md + asof_md))


if __name__ == "__main__":
    main()
