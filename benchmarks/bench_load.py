"""Benchmark `northstar load` against a plain DuckDB read of the same CSV files.

    python benchmarks/bench_load.py [--sizes 1000000,10000000] [--runs 3] [--before DIR]

``--before DIR`` names a copy of the code before a change (e.g. ``git archive HEAD | tar -x -C
DIR``): every run then times (a), (d) and (e) with both trees, in turns, against the same (b),
so that before and after come from one run on a shared machine.

For each size, canonical extracts are generated once into benchmarks/data/
(gitignored) with `northstar generate --layout canonical` (1% planted bad
rows). Each run, interleaved, as subprocesses under /usr/bin/time (wall time,
peak RSS), each into a fresh database:
  (a) the full validated `northstar load DIR`; it reports how much of its time
      went to rebuilding the stored metric models, so the validated load of the
      data and the model rebuild are reported apart and together;
  (b) the baseline, a plain `CREATE TABLE t AS SELECT * FROM read_csv(file,
      ignore_errors=true)` of every file: DuckDB sniffs and types the columns
      and skips the malformed lines;
  (c) for reference, `read_csv(file)` with no option: on these files (1% bad
      rows, among them lines with a field too many) the sniffer gives up on
      the delimiter and reads each line as one text column, so it is faster
      than any read that splits the columns.
  (d) a daily delta: the same extracts split by date into a base and the
      newest 2% (benchmarks/delta.py); the base is loaded once, and each run
      loads the delta into a copy of it (the copy is not timed), against (a)
      of the same run: the full load of the same warehouse.
  (e) the floor of the model rebuild: the stored models of (a) copied into
      memory and written into a new file with no computation; against the
      validated load of the same run.
The load's rejects are also checked against the generator's
planted_rejects.json. Medians go to BENCHMARKS.md (section "load").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.delta import split
from benchmarks.load_report import report
from benchmarks.report import median, write_section

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
BASELINE = """
import sys, duckdb
options = sys.argv[2]
con = duckdb.connect(sys.argv[1])
for i, f in enumerate(sys.argv[3:]):
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv(?{options})", [f])
con.close()
"""
# The floor of a model rebuild: the stored models' rows copied into memory, then written
# to a new warehouse file with no computation at all (seconds of the writing only).
WRITE_FLOOR = """
import sys, time, duckdb
con = duckdb.connect()
con.execute(f"ATTACH '{sys.argv[1]}' AS w (READ_ONLY)")
names = [r[0] for r in con.execute(
    "SELECT table_name FROM duckdb_tables() WHERE database_name = 'w' AND schema_name = 'models'"
).fetchall()]
for name in names:
    con.execute(f"CREATE TABLE memory.{name} AS FROM w.models.{name}")
con.execute(f"ATTACH '{sys.argv[2]}' AS out")
con.execute("SET preserve_insertion_order = true")
start = time.perf_counter()
con.execute("BEGIN")
for name in names:
    con.execute(f"CREATE TABLE out.{name} AS FROM memory.{name}")
con.execute("COMMIT")
con.execute("CHECKPOINT out")
print(time.perf_counter() - start)
"""
PLAIN, UNSPLIT = ", ignore_errors=true", ""
TOOK = re.compile(r"took ([0-9.]+) s, of which ([0-9.]+) s rebuilding")
DELTA_SHARE = 0.02


def _data(n: int) -> Path:
    out = DATA / f"canonical-{n}"
    if not (out / "planted_rejects.json").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cli.main",
                "generate",
                "--out",
                str(out),
                "--orders",
                str(n),
                "--layout",
                "canonical",
            ],
            cwd=ROOT,
            check=True,
        )
    return out


def _delta(n: int, folder: Path) -> tuple[Path, Path, dict[str, int]]:
    """The delta folder, a warehouse of the base, and the delta's rows per file (made once)."""
    out = DATA / f"delta-{n}"
    base_db = out / "base.duckdb"
    if not base_db.exists():
        base, delta = split(folder, out, share=DELTA_SHARE)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cli.main",
                "load",
                str(base),
                "--db",
                str(base_db),
                "--config",
                str(ROOT / "config" / "metrics.yaml"),
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    delta = out / "delta"
    rows = {p.stem: sum(1 for _ in p.open()) - 1 for p in sorted(delta.glob("*.csv"))}
    return delta, base_db, rows


def _timed(cmd: list[str], cwd: Path, code: Path = ROOT) -> tuple[float, int, str, float]:
    """Wall seconds, peak RSS (bytes), standard output and processor seconds (user + system)
    of a subprocess running the code in ``code``."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M %U %S", "-o", t.name, *cmd],
            cwd=cwd,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(code)},
        )
        wall, kb, user, system = t.read().split()[-4:]
    return float(wall), int(kb) * 1024, done.stdout, float(user) + float(system)


def _load(code: Path, folder: Path, db: Path, work: Path) -> tuple[float, int, float, float]:
    """`northstar load` of the code in ``code``: wall, peak RSS, model seconds, processor seconds."""
    cmd = [sys.executable, "-m", "cli.main", "load", str(folder), "--db", str(db)]
    wall, rss, out, cpu = _timed(
        [*cmd, "--config", str(code / "config" / "metrics.yaml")], work, code
    )
    took = TOOK.search(out)
    if took is None:
        raise SystemExit(f"northstar load did not report its model rebuild time:\n{out}")
    return wall, rss, float(took.group(2)), cpu


def _clean(db: Path) -> None:
    for p in db.parent.glob(db.name + "*"):
        p.unlink()


def _rejects_match(db: Path, folder: Path) -> bool:
    want = {
        (e["file"], e["row"], e["table"], e["rule"])
        for e in json.loads((folder / "planted_rejects.json").read_text())
    }
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute('SELECT file, "row", "table", rule FROM rejects').fetchall()
    con.close()
    return want == {(Path(f).name, r, t, u) for f, r, t, u in rows}


def _tree_run(code: Path, folder: Path, work: Path, delta: Path, base_db: Path) -> dict:
    """One run of one code tree: the full load, the floor of its models and the daily delta."""
    db = work / "bench.duckdb"
    _clean(db)
    wall, rss, models, cpu = _load(code, folder, db, work)
    floor_db = work / "floor.duckdb"
    _clean(floor_db)
    out = _timed([sys.executable, "-c", WRITE_FLOOR, str(db), str(floor_db)], work)[2]
    _clean(floor_db)
    ok = _rejects_match(db, folder)
    _clean(db)
    shutil.copyfile(base_db, db)
    d_wall, d_rss, d_models, d_cpu = _load(code, delta, db, work)
    _clean(db)
    return {
        "load": wall, "models": models, "peak": rss, "cpu": cpu, "floor": float(out.split()[-1]),
        "ok": ok, "delta": d_wall, "delta_models": d_models, "delta_peak": d_rss, "delta_cpu": d_cpu,
    }  # fmt: skip


def bench(n: int, runs: int, work: Path, trees: dict[str, Path]) -> dict:
    folder = _data(n)
    files = sorted(str(p) for p in folder.glob("*.csv"))
    db = work / "bench.duckdb"
    delta, base_db, delta_rows = _delta(n, folder)
    per: dict[str, list[dict]] = {tag: [] for tag in trees}
    bases, unsplit = [], []
    for i in range(runs):
        order = list(trees) if i % 2 == 0 else list(reversed(trees))
        for tag in order:
            r = _tree_run(trees[tag], folder, work, delta, base_db)
            per[tag].append(r)
            print(
                f"{n:,} lines, run {i + 1}, {tag}: load {r['load']:.1f}s (models {r['models']:.1f}s, "
                f"peak {r['peak'] / 2**30:.2f} GiB, cpu {r['cpu']:.1f}s; writing them alone "
                f"{r['floor']:.1f}s), delta {r['delta']:.1f}s (models {r['delta_models']:.1f}s)",
                flush=True,
            )
        for options, times in ((PLAIN, bases), (UNSPLIT, unsplit)):
            _clean(db)
            times.append(
                _timed([sys.executable, "-c", BASELINE, str(db), options, *files], work)[0]
            )
        print(f"{n:,} lines, run {i + 1}: read_csv {bases[-1]:.1f}s", flush=True)
    _clean(db)
    size = sum(Path(f).stat().st_size for f in files)
    out = {"n": n, "bytes": size, "base": median(bases), "unsplit": median(unsplit)}
    out["trees"] = {tag: _summary(rs, bases) for tag, rs in per.items()}
    out["delta_rows"] = delta_rows
    out["runs"] = runs
    return out


def _summary(rs: list[dict], bases: list[float]) -> dict:
    """Medians (and the per-run ratios' medians) of one tree's runs against the same baselines."""
    data = [r["load"] - r["models"] for r in rs]
    col = {k: [r[k] for r in rs] for k in rs[0]}
    return {
        "load": median(col["load"]),
        "data": median(data),
        "models": median(col["models"]),
        "peak": max(col["peak"]),
        "ok": all(col["ok"]),
        "cpu": median(col["cpu"]),
        "loads": col["load"],
        "datas": data,
        "bases": bases,
        "end_ratio": median([a / b for a, b in zip(col["load"], bases)]),
        "model_share": median([m / d for m, d in zip(col["models"], data)]),
        "delta": median(col["delta"]),
        "delta_models": median(col["delta_models"]),
        "deltas": col["delta"],
        "delta_ratios": [d / f for d, f in zip(col["delta"], col["load"])],
        "delta_cpu_ratio": median([d / f for d, f in zip(col["delta_cpu"], col["cpu"])]),
        "delta_peak": max(col["delta_peak"]),
        "model_ratios": [d / f for d, f in zip(col["delta_models"], col["models"])],
        "floor": median(col["floor"]),
        "floor_ratios": [f / d for f, d in zip(col["floor"], data)],
        "floor_end_ratios": [(d + f) / b for d, f, b in zip(data, col["floor"], bases)],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--runs", default="3", help="runs per size, or one number per size: 3,1")
    ap.add_argument("--before", type=Path, help="a copy of the code before the change")
    args = ap.parse_args()
    trees = {"after": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA) as work:
        sizes = [int(n) for n in args.sizes.split(",")]
        runs = [int(r) for r in args.runs.split(",")]
        runs += runs[-1:] * (len(sizes) - len(runs))
        results = [bench(n, r, Path(work), trees) for n, r in zip(sizes, runs)]
    text = report(results)
    print(text)
    write_section("load", text)


if __name__ == "__main__":
    main()
