"""The bundled demo: ``sample_data/`` loaded with ``config/sources.yaml`` into a fresh warehouse."""

from __future__ import annotations

from pathlib import Path

import connectors
from connectors.errors import ConnectorError
from connectors.load import Finalize, LoadReport, load_paths

REPO_ROOT = Path(connectors.__file__).resolve().parent.parent
SAMPLE_DATA = REPO_ROOT / "sample_data"
SAMPLE_SOURCES = REPO_ROOT / "config" / "sources.yaml"


def build_demo(db_path: Path | str, *, progress: bool = False,
               finalize: Finalize | None = None) -> LoadReport:
    """Build a fresh warehouse at ``db_path`` from the bundled sample data (see ``load_paths``)."""
    if not SAMPLE_DATA.is_dir():
        raise ConnectorError(f"no bundled sample data at {SAMPLE_DATA}")
    sources = SAMPLE_SOURCES if SAMPLE_SOURCES.exists() else None
    return load_paths(db_path, [SAMPLE_DATA], sources=sources, progress=progress, fresh=True, finalize=finalize)
