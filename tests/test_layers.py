"""The house's layers run one way: no module imports a layer above its own, and no modules
import each other in a circle, counting imports inside functions (a lazy import hides a cycle,
it does not remove it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top; a package may import its own layer's packages and those below.
LAYERS: list[set[str]] = [
    {"metrics"},  # the pure core: specs, catalogue, SQL, query API, analyses
    {"store"},  # engines and stores: warehouse file, lake, Spark
    {"state", "present"},  # application state in SQLite; chart specs and formatting
    {"connectors", "generator"},  # reading and validating extracts; synthetic extracts
    {"notify", "reports"},  # delivery and documents
    {"ui"},  # Streamlit helpers
    {"cli", "pages", "dashboard"},  # entry points
]
RANK = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}


def modules() -> dict[str, Path]:
    found = {"dashboard": ROOT / "dashboard.py"}
    for pkg in RANK:
        for path in sorted((ROOT / pkg).glob("*.py")) if (ROOT / pkg).is_dir() else []:
            name = pkg if path.stem == "__init__" else f"{pkg}.{path.stem}"
            found[name] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules ``path`` imports anywhere in it (module level or inside functions)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {m: imports(p, known) - {m} for m, p in known.items()}


def climbs(g: dict[str, set[str]]) -> list[str]:
    top = lambda m: m.partition(".")[0]  # noqa: E731
    return sorted(f"{a} -> {b}" for a, bs in g.items() for b in bs if RANK[top(b)] > RANK[top(a)])


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return found


def test_every_package_has_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert packages <= set(RANK), f"give these packages a layer: {sorted(packages - set(RANK))}"


def test_no_import_climbs_a_layer():
    assert climbs(graph()) == []


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_the_checks_catch_a_climb_and_a_cycle():
    g = {"metrics.a": {"ui.b"}, "ui.b": {"metrics.a"}}
    assert climbs(g) == ["metrics.a -> ui.b"]
    assert cycles(g) == [["metrics.a", "ui.b"]]
