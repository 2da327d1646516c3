"""The bundled sample_data/: reproducible, documented, and rejected exactly as planted."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from generator.layouts import sources_yaml
from generator.run import Options, generate

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
# The command documented in sample_data/README.md.
COMMAND = Options(out=SAMPLE, lines=50_000, seed=2026, layout="export")


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }


def _manifest() -> list[dict]:
    return json.loads((SAMPLE / "planted_rejects.json").read_text())


def test_sample_data_is_what_the_documented_command_writes(tmp_path):
    generate(Options(**{**COMMAND.__dict__, "out": tmp_path}))
    assert _files(tmp_path) == _files(SAMPLE)
    assert (
        "northstar generate --out sample_data --orders 50000 --seed 2026 --layout export"
        in (SAMPLE / "README.md").read_text()
    )


def test_sample_data_size_and_mapping():
    assert sum(len(b) for b in _files(SAMPLE).values()) < 25_000_000
    assert (SAMPLE / "sources.yaml").read_text() == sources_yaml()


def test_readme_counts_the_planted_rows_by_rule():
    readme = (SAMPLE / "README.md").read_text()
    totals = Counter(e["rule"] for e in _manifest())
    for rule, n in totals.items():
        line = next(x for x in readme.splitlines() if x.startswith(f"| `{rule}` |"))
        assert line.rstrip(" |").endswith(f"{n:,}"), line
    assert re.search(rf"\| \*\*total\*\* \|.*\| {sum(totals.values()):,} \|", readme)


def test_loading_sample_data_rejects_exactly_the_planted_rows(tmp_path):
    load = pytest.importorskip("connectors.load")
    import duckdb

    db = tmp_path / "sample.duckdb"
    load.load_paths(db, [SAMPLE], sources=REPO / "config/sources.yaml", progress=False, fresh=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute('select file, "row", "table", rule from rejects').fetchall()
    finally:
        con.close()
    got = sorted((Path(f).resolve().relative_to(SAMPLE).as_posix(), r, t, u) for f, r, t, u in rows)
    want = sorted((e["file"], e["row"], e["table"], e["rule"]) for e in _manifest())
    assert got == want
