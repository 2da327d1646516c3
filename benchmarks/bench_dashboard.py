"""Dashboard speed in a real browser, at 1M and 10M order lines.

For each size: build the warehouse once (``northstar generate`` + ``northstar
load``), then, ``--runs`` times, start ``streamlit run dashboard.py`` afresh
(empty caches) and time in headless Chromium, from navigation to
``[data-test-script-state="notRunning"]`` with the page's title drawn:
  - cold open: each page's first open after the server starts, right after it answers its
    health check (the server warms its caches in the background from its start, so this
    open may wait for that work);
  - cold open after warm-up: the same on a server that has finished warming (the first
    visitor of a server that has been up a few seconds);
  - warm open (once that server has warmed its caches): the same page again in a new
    browser session (cached results) and a new browser profile (empty HTTP cache: a
    first-time visitor downloads Streamlit's scripts);
  - return visit: then the page again in a new tab of that browser profile (a new
    session; the browser has Streamlit's scripts cached, as a returning reader's has);
  - filter change: picking a region in the sidebar until the page shows it (single
    values are warmed in the background once the server has warmed the default views);
  - second region: then adding a second region (a combination: never warmed).
Baseline in the same run: opening a Streamlit page that only draws a title.
Medians go to BENCHMARKS.md (section "dashboard").

    python benchmarks/bench_dashboard.py [--sizes 1000000 10000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.report import median, write_section  # noqa: E402 (after the path)
from tests.browser_support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    EXCEPTION,
    free_port,
    start_server,
    stop_server,
    wait_ready,
)
from ui.warmup import WARMED  # noqa: E402  what the server prints once its caches are warm

DATA = ROOT / "benchmarks" / "data"
PAGES = {
    "North Star": "/",
    "Old KPIs vs North Star": "/pairs",
    "Explore": "/explore?metric=otif&by=region",
    "Data & definitions": "/data",
}
FILTERED = (
    "North Star",
    "Old KPIs vs North Star",
    "Explore",
)  # pages whose numbers follow the filters
EMPTY_APP = 'import streamlit as st\n\nst.title("Empty page")\n'
USABLE_S, RESPONSIVE_S = 3.0, 1.0
HEADER = (
    "| order lines | stored models | page | cold open (s) | cold open after warm-up (s) "
    "| warm open (s) | return visit (s) | filter: one region (s) | filter: add a second (s) "
    "| warm / baseline | return / baseline |"
)


@dataclass
class Timings:
    cold: dict[str, list[float]] = field(default_factory=dict)
    settled: dict[str, list[float]] = field(default_factory=dict)
    warm: dict[str, list[float]] = field(default_factory=dict)
    revisit: dict[str, list[float]] = field(default_factory=dict)
    healthy: list[float] = field(default_factory=list)  # server start -> health check answers
    warmed: list[float] = field(default_factory=list)  # server start -> caches warmed
    filtered: dict[str, list[float]] = field(default_factory=dict)  # one region
    combined: dict[str, list[float]] = field(default_factory=dict)  # then a second region
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str, page: str, seconds: float) -> None:
        getattr(self, kind).setdefault(page, []).append(seconds)


def northstar(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "cli.main", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )


def warehouse(lines: int, *, keep_extracts: bool) -> tuple[Path, str]:
    """The benchmark warehouse for ``lines`` order lines, built once; returns it and how it was built."""
    db = DATA / f"dashboard-{lines}.duckdb"
    note = db.with_suffix(".built.txt")
    if db.exists():
        return db, note.read_text().strip() if note.exists() else "reused"
    extracts = DATA / f"dashboard-extracts-{lines}"
    t0 = time.perf_counter()
    if not extracts.exists():
        northstar("generate", "--out", str(extracts), "--orders", str(lines))
    t1 = time.perf_counter()
    northstar("load", str(extracts), "--db", str(db))
    t2 = time.perf_counter()
    if not keep_extracts:
        shutil.rmtree(extracts)
    note.write_text(f"generated in {t1 - t0:.0f} s, loaded in {t2 - t1:.0f} s")
    return db, note.read_text()


def with_stored_models(db: Path) -> Path:
    """A copy of the warehouse with every model materialised (what a load does once it calls
    ``metrics.materialize.refresh_models``); built once."""
    import duckdb

    from metrics.catalog import load_catalog
    from metrics.materialize import refresh_models
    from metrics.query import default_as_of
    from store.warehouse import DuckDBEngine

    stored = db.with_name(db.stem + "-stored.duckdb")
    if stored.exists() and materialised(stored):
        return stored
    shutil.copyfile(db, stored)
    con = duckdb.connect(str(stored))
    try:
        engine = DuckDBEngine(con)
        refresh_models(
            engine, load_catalog(ROOT / "config" / "metrics.yaml"), default_as_of(engine.fork())
        )
    finally:
        con.close()
    return stored


def materialised(db: Path) -> bool:
    from metrics.materialize import read_materialized
    from store.warehouse import Warehouse

    engine = Warehouse(db).engine()
    try:
        return read_materialized(engine) is not None
    finally:
        engine.close()


def regions(db: Path) -> list[str]:
    from metrics.customers import customer_dimension_values
    from store.warehouse import Warehouse

    return customer_dimension_values(Warehouse(db).engine(), "region")


def open_timed(browser, url: str, errors: list[str], context=None) -> tuple[float, object]:
    """Seconds to open ``url`` in a new tab of ``context`` (default: a new browser profile)."""
    context = context or browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    wait_ready(page, timeout_ms=600_000)
    seconds = time.perf_counter() - t0
    if page.locator(EXCEPTION).count():
        errors.append(f"exception on {url}")
    return seconds, page


def change_region(page, region: str, errors: list[str], shown: list[str] | None = None) -> float:
    """Pick a region in the sidebar; time until the page shows numbers for it (its stamp
    reads one of ``shown``, by default 'region: <region>')."""
    page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
    option = page.get_by_role("option", name=region, exact=True)
    t0 = time.perf_counter()
    option.click()
    page.wait_for_function(
        "s => s.some(x => document.body.innerText.includes(x))"
        " && document.querySelector('[data-test-script-state=\"notRunning\"]')",
        arg=shown or [f"region: {region}"],
        timeout=600_000,
    )
    seconds = time.perf_counter() - t0
    if page.locator(EXCEPTION).count():
        errors.append(f"exception after picking region {region}")
    return seconds


def wait_warmed(server, started: float, timeout: float = 600) -> float:
    """Seconds from the server's start until it printed that its caches are warm."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if WARMED in server.log_path.read_text(errors="replace"):
            return time.perf_counter() - started
        time.sleep(0.1)
    raise RuntimeError(f"the server did not finish warming within {timeout:.0f} s")


def measure_dashboard(browser, db: Path, runs: int) -> Timings:
    timings, names = Timings(), regions(db)
    for run in range(runs):
        port = free_port()
        started = time.perf_counter()
        server = start_server(db, port=port)
        timings.healthy.append(time.perf_counter() - started)
        try:
            base = f"http://127.0.0.1:{port}"
            for name, path in PAGES.items():
                seconds, page = open_timed(browser, base + path, timings.errors)
                timings.add("cold", name, seconds)
                page.context.close()
            wait_warmed(server, started)  # the rest is a server in its steady state
            for name, path in PAGES.items():
                seconds, page = open_timed(browser, base + path, timings.errors)
                timings.add("warm", name, seconds)
                if name in FILTERED:
                    i = run + list(PAGES).index(name)
                    first, second = names[i % len(names)], names[(i + 1) % len(names)]
                    timings.add("filtered", name, change_region(page, first, timings.errors))
                    both = [f"region: {first}, {second}", f"region: {second}, {first}"]
                    timings.add("combined", name, change_region(page, second, timings.errors, both))
                seconds, _ = open_timed(browser, base + path, timings.errors, page.context)
                timings.add("revisit", name, seconds)
                page.context.close()
        finally:
            stop_server(server)
        # A server that has finished warming: its first visitor.
        port = free_port()
        started = time.perf_counter()
        server = start_server(db, port=port)
        try:
            timings.warmed.append(wait_warmed(server, started))
            for name, path in PAGES.items():
                seconds, page = open_timed(
                    browser, f"http://127.0.0.1:{port}{path}", timings.errors
                )
                timings.add("settled", name, seconds)
                page.context.close()
        finally:
            stop_server(server)
    return timings


def measure_baseline(browser, runs: int) -> tuple[list[float], list[float]]:
    """An empty page: opens in a new browser profile, and return visits in a new tab of it."""
    app = DATA / "bench_empty_app.py"
    app.write_text(EMPTY_APP)
    port = free_port()
    server = start_server(DATA / "unused.duckdb", port=port, app=str(app))
    try:
        fresh, again = [], []
        for _ in range(runs + 1):
            seconds, page = open_timed(browser, f"http://127.0.0.1:{port}/", [])
            fresh.append(seconds)
            again.append(open_timed(browser, f"http://127.0.0.1:{port}/", [], page.context)[0])
            page.context.close()
        return fresh[1:], again[1:]  # the first open compiles the script: keep the steady state
    finally:
        stop_server(server)
        app.unlink(missing_ok=True)


def table(lines: int, t: Timings, baseline: tuple[float, float], stored: str) -> str:
    rows = [
        f"| {lines:,} | {stored} | {name} | {median(t.cold[name]):.2f} | {median(t.settled[name]):.2f} "
        f"| {median(t.warm[name]):.2f} | {median(t.revisit[name]):.2f} | "
        + (
            f"{median(t.filtered[name]):.2f} | {median(t.combined[name]):.2f}"
            if name in t.filtered
            else "– | –"
        )
        + f" | {median(t.warm[name]) / baseline[0]:.1f}× | {median(t.revisit[name]) / baseline[1]:.1f}× |"
        for name in PAGES
    ]
    return "\n".join(rows)


def verdict(t: Timings) -> str:
    cold = max(median(v) for v in t.cold.values())
    settled = max(median(v) for v in t.settled.values())
    warm = max(median(v) for v in t.warm.values())
    revisit = max(median(v) for v in t.revisit.values())
    filt = max(median(v) for v in t.filtered.values())
    both = max(median(v) for v in t.combined.values())

    def ok(x: float, limit: float) -> str:
        return "meets" if x <= limit else "misses"

    return (
        f"server answers its health check {median(t.healthy):.1f} s after start and has warmed its "
        f"caches {median(t.warmed):.1f} s after start; slowest cold open {cold:.2f} s "
        f"({ok(cold, USABLE_S)} the {USABLE_S:.0f} s goal), after warm-up {settled:.2f} s "
        f"({ok(settled, USABLE_S)}), slowest warm open {warm:.2f} s ({ok(warm, USABLE_S)}), "
        f"slowest return visit {revisit:.2f} s ({ok(revisit, USABLE_S)}), "
        f"slowest filter change to one region {filt:.2f} s ({ok(filt, RESPONSIVE_S)} the "
        f"{RESPONSIVE_S:.0f} s goal), to a second region {both:.2f} s ({ok(both, RESPONSIVE_S)})"
    )


def report(runs: int, baseline: tuple[float, float], sections: list[str], notes: list[str]) -> None:
    intro = (
        f"`python benchmarks/bench_dashboard.py --runs {runs}` on {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, headless Chromium on the "
        "same 2 cores as the server. Seconds from navigation until the script is idle with the page "
        f"drawn (no exception); medians of {runs} server starts.\n\n"
        "- *Cold*: first open after a server start, measured as soon as the server answers its "
        "health check (the server warms its caches in the background from its start, "
        "`ui/warmup.py`, so a cold open may wait for that work and competes with it).\n"
        "- *Cold after warm-up*: the first open on a server that has printed that its caches are "
        "warm (a visitor arriving a few seconds after a restart).\n"
        "- *Warm*, *return visit* and *filter* are measured on that server once it has "
        "printed that its caches are warm (its steady state).\n"
        "- *Warm*: the same page in a new session and a new browser profile, whose empty HTTP "
        "cache downloads and compiles Streamlit's scripts (a first-time visitor).\n"
        "- *Return visit*: the page again in a new tab of that profile: a new session, with "
        "Streamlit's scripts in the browser's cache (a reader who has opened the dashboard before).\n"
        "- *Filter: one region*: picking a region in the sidebar until the page shows it. Once "
        "the default views are warm, the server computes the weekly review and the pairs of "
        "each single region, segment and portfolio in the background, so on North Star and "
        "Old KPIs vs North Star this reads cached results; Explore computes it.\n"
        "- *Filter: add a second*: then adding another region, a combination nothing warms: "
        "every page computes it.\n\n"
        f"Baseline, an empty Streamlit page in the same run: **{baseline[0]:.2f} s** in a new "
        f"profile, **{baseline[1]:.2f} s** on a return visit; the ratios compare each kind of open "
        "with the same kind for the empty page. Stored models = the warehouse holds every model "
        "materialised (`metrics.materialize.refresh_models`). Load average (1 min) when written: "
        f"{os.getloadavg()[0]:.1f} (the benchmark's own server and browser load the 2 cores)."
    )
    lines = [
        "## Dashboard in a real browser",
        intro,
        "",
        HEADER,
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    write_section("dashboard", "\n".join([*lines, *sections, "", *notes]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep-extracts", action="store_true")
    parser.add_argument(
        "--models",
        nargs="+",
        choices=["as-loaded", "stored"],
        default=["stored", "as-loaded"],
        help="as-loaded: the warehouse as `northstar load` leaves it; stored: with every "
        "model materialised",
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    DATA.mkdir(parents=True, exist_ok=True)
    sections, notes = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        fresh, again = measure_baseline(browser, args.runs)
        baseline = (median(fresh), median(again))
        for lines in args.sizes:
            loaded, built = warehouse(lines, keep_extracts=args.keep_extracts)
            for variant in args.models:
                db = loaded if variant == "as-loaded" else with_stored_models(loaded)
                stored = "yes" if materialised(db) else "no"
                t = measure_dashboard(browser, db, args.runs)
                sections.append(table(lines, t, baseline, stored))
                notes.append(
                    f"- {lines:,} lines, materialised models: {stored} ({built}; "
                    f"{db.stat().st_size / 1e6:,.0f} MB): {verdict(t)}."
                    + (f" Errors: {'; '.join(t.errors)}" if t.errors else "")
                )
                print(sections[-1], notes[-1], sep="\n", flush=True)
                report(args.runs, baseline, sections, notes)  # a long run keeps what it has
        browser.close()


if __name__ == "__main__":
    main()
