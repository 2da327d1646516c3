"""The per-cell reading rules against the load before them: the validated load (no model
rebuild) of the same 1M-line extracts by this tree and by a baseline revision, in turns.

Two data sets: the canonical CSVs (no mapping: the rules' plain path) and the same company in
the export layout (SAP-style decimal commas and dd.mm.yyyy dates read through sources.yaml).
The baseline is a git worktree of ``--baseline`` (default: the revision before the per-cell
rules). Each figure is the median of ``--runs`` loads into a fresh warehouse, timed inside the
process around ``load_paths`` (imports excluded); the runs of the two trees alternate, so a
drift of the machine's speed falls on both. Writes its section of BENCHMARKS.md.

    python benchmarks/bench_cell_rules.py [--lines 1000000] [--runs 3] [--baseline REV]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.datasets import DATA, extracts  # noqa: E402
from benchmarks.report import median, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "b08d965"  # main before sources.yaml's per-cell rules
ONE_LOAD = """
import sys, time
from pathlib import Path
from connectors.load import load_paths
db, data, sources = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] or None
t = time.perf_counter()
report = load_paths(db, [data], sources=sources, progress=False, fresh=True)
print(time.perf_counter() - t, report.rows_loaded, report.rows_rejected)
"""


def export_extracts(lines: int, seed: int = 2026) -> tuple[Path, Path]:
    """The export layout of the same company, and a sources.yaml mapping it."""
    out = DATA / f"export-{lines}"
    if not (out / "crm").exists():
        subprocess.run(
            [sys.executable, "-m", "cli.main", "generate", "--out", str(out), "--orders",
             str(lines), "--seed", str(seed), "--layout", "export"],
            check=True, cwd=ROOT,
        )  # fmt: skip
    mapping = out / "sources.yaml"
    text = (ROOT / "config" / "sources.yaml").read_text().replace("../sample_data/", "")
    mapping.write_text(text)
    return out, mapping


def baseline_tree(rev: str) -> Path:
    tree = Path(tempfile.gettempdir()) / f"northstar-baseline-{rev}"
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], check=True, cwd=ROOT)
    return tree


def one_load(tree: Path, data: Path, sources: Path | None, work: Path) -> tuple[float, int, int]:
    db = work / "wh.duckdb"
    for leftover in work.glob("wh.duckdb*"):
        leftover.unlink()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", ONE_LOAD, str(db), str(data), str(sources or "")],
        check=True, cwd=tree, env=env, capture_output=True, text=True,
    )  # fmt: skip
    seconds, loaded, rejected = done.stdout.split()
    return float(seconds), int(loaded), int(rejected)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline", default=BASELINE)
    args = ap.parse_args()
    before = baseline_tree(args.baseline)
    sets = {
        "canonical CSVs (no mapping)": (extracts(args.lines), None),
        "export layout (decimal comma, dd.mm.yyyy, mapped)": export_extracts(args.lines),
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, (data, sources) in sets.items():
            times: dict[str, list[float]] = {"before": [], "after": []}
            counts = {}
            for _ in range(args.runs):
                for tag, tree in (("before", before), ("after", ROOT)):
                    seconds, loaded, rejected = one_load(tree, data, sources, work)
                    times[tag].append(seconds)
                    counts[tag] = (loaded, rejected)
            b, a = median(times["before"]), median(times["after"])
            rows.append((name, b, a, a / b, counts))
            print(f"{name}: before {b:.2f} s, after {a:.2f} s, x{a / b:.2f} {counts}", flush=True)
    load = os.getloadavg()[0]
    lines = [
        "## Per-cell reading rules against the load before them",
        "",
        f"The validated load (no model rebuild) of {args.lines:,} order lines and what follows "
        f"from them, by this tree and by `{args.baseline}` (before the per-cell rules), in turns; "
        f"medians of {args.runs} loads each into a fresh warehouse, load average {load:.1f}. "
        "Aim: at most 10% more.",
        "",
        "| data | before | after | after / before | rows loaded, rejected (before; after) |",
        "|---|---|---|---|---|",
    ]
    for name, b, a, ratio, counts in rows:
        lines.append(
            f"| {name} | {b:.2f} s | {a:.2f} s | {ratio:.2f} | "
            f"{counts['before'][0]:,}, {counts['before'][1]:,}; "
            f"{counts['after'][0]:,}, {counts['after'][1]:,} |"
        )
    write_section("cell_rules", "\n".join(lines))


if __name__ == "__main__":
    main()
