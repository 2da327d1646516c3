"""Benchmark `northstar load` against a plain DuckDB read of the same CSV files.

    python benchmarks/bench_load.py [--sizes 1000000,10000000] [--runs 3]

For each size, canonical extracts are generated once into benchmarks/data/
(gitignored) with `northstar generate --layout canonical` (1% planted bad
rows). Each run, interleaved: (a) the full validated `northstar load DIR` into
a fresh warehouse, (b) the baseline `CREATE TABLE t AS SELECT * FROM
read_csv(file)` of every file into a fresh database; both as subprocesses
under /usr/bin/time for wall time and peak RSS. The load's rejects are also
checked against the generator's planted_rejects.json. Medians go to
BENCHMARKS.md (section "load").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.report import median, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
BASELINE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
for i, f in enumerate(sys.argv[2:]):
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv(?)", [f])
con.close()
"""


def _data(n: int) -> Path:
    out = DATA / f"canonical-{n}"
    if not (out / "planted_rejects.json").exists():
        subprocess.run([sys.executable, "-m", "cli.main", "generate", "--out", str(out),
                        "--orders", str(n), "--layout", "canonical"], cwd=ROOT, check=True)
    return out


def _timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of a subprocess."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, *cmd], cwd=cwd, check=True,
                       stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
        wall, kb = t.read().split()[-2:]
    return float(wall), int(kb) * 1024


def _clean(db: Path) -> None:
    for p in db.parent.glob(db.name + "*"):
        p.unlink()


def _rejects_match(db: Path, folder: Path) -> bool:
    want = {(e["file"], e["row"], e["table"], e["rule"])
            for e in json.loads((folder / "planted_rejects.json").read_text())}
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute('SELECT file, "row", "table", rule FROM rejects').fetchall()
    con.close()
    return want == {(Path(f).name, r, t, u) for f, r, t, u in rows}


def bench(n: int, runs: int, work: Path) -> dict:
    folder = _data(n)
    files = sorted(str(p) for p in folder.glob("*.csv"))
    size = sum(Path(f).stat().st_size for f in files)
    db = work / "bench.duckdb"
    loads, bases, peaks, ok = [], [], [], True
    for i in range(runs):
        _clean(db)
        wall, rss = _timed([sys.executable, "-m", "cli.main", "load", str(folder), "--db", str(db)], work)
        loads.append(wall)
        peaks.append(rss)
        if i == 0:
            ok = _rejects_match(db, folder)
        _clean(db)
        wall, _ = _timed([sys.executable, "-c", BASELINE, str(db), *files], work)
        bases.append(wall)
        print(f"{n:,} lines, run {i + 1}: load {loads[-1]:.1f}s (peak {rss / 2**30:.2f} GiB), "
              f"plain read_csv {bases[-1]:.1f}s", flush=True)
    _clean(db)
    return {"n": n, "bytes": size, "load": median(loads), "base": median(bases),
            "peak": max(peaks), "ok": ok, "loads": loads, "bases": bases}


def report(results: list[dict], runs: int) -> str:
    lines = [
        f"`northstar load` of canonical CSV extracts (orders, shipments ~1.1x, calls ~0.6x, "
        f"surveys ~0.16x, customers; 1% planted bad rows) into a fresh warehouse, against plain "
        f"DuckDB `CREATE TABLE AS SELECT * FROM read_csv(file)` of the same files. Median of "
        f"{runs} interleaved runs; peak RSS of the load process. "
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, duckdb {duckdb.__version__}.",
        "",
        "| order lines | CSV size | validated load (s) | plain read_csv (s) | ratio | peak RSS (GiB) | rejects = planted |",
        "|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in results:
        lines.append(f"| {r['n']:,} | {r['bytes'] / 2**20:,.0f} MiB | {r['load']:.1f} | {r['base']:.1f} | "
                     f"{r['load'] / r['base']:.2f}x | {r['peak'] / 2**30:.2f} | {'yes' if r['ok'] else 'NO'} |")
    lines += ["", "Runs (load / plain, seconds): " + "; ".join(
        f"{r['n']:,}: " + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(r["loads"], r["bases"])) for r in results)]
    lines += ["", "Aim: ratio <= 2x and peak < 4 GiB at 10M lines. The load time is `northstar load` end to end: validation, rejects, the atomic swap and rebuilding the stored metric models for the new data. Run: `python benchmarks/bench_load.py`."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA) as work:
        results = [bench(int(n), args.runs, Path(work)) for n in args.sizes.split(",")]
    text = report(results, args.runs)
    print(text)
    write_section("load", text)


if __name__ == "__main__":
    main()
