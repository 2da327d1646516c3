"""Build warehouses for metric tests through the real loader."""

from __future__ import annotations

import shutil
from pathlib import Path

from connectors.load import load_paths
from metrics.catalog import load_catalog
from store.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "metrics"
CONFIG = ROOT / "config" / "metrics.yaml"


def build_fixture_warehouse(tmp: Path, source: Path = FIXTURE) -> Path:
    """Load the fixture extracts into a fresh warehouse file and return its path."""
    data = tmp / "extracts"
    shutil.copytree(source, data)
    db = tmp / "fixture.duckdb"
    load_paths(db, [data], progress=False)
    return db


def catalog_with(tmp: Path, text_replacements: dict[str, str]):
    """The shipped catalogue with some text replaced (e.g. a different setting)."""
    text = CONFIG.read_text()
    for old, new in text_replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp / "metrics.yaml"
    path.write_text(text)
    return load_catalog(path)


def engine(db: Path):
    """The metric engine over the warehouse file ``db``."""
    return Warehouse(db).engine()
