"""The bundled demo: ``sample_data/`` loaded with ``config/sources.yaml`` into a fresh warehouse."""

from __future__ import annotations

from pathlib import Path

import connectors
from connectors.errors import ConnectorError
from connectors.key_rules import DEFAULT_REPORTING_CURRENCY
from connectors.load import Finalize, LoadReport, load_paths

REPO_ROOT = Path(connectors.__file__).resolve().parent.parent
SAMPLE_DATA = REPO_ROOT / "sample_data"
SAMPLE_SOURCES = REPO_ROOT / "config" / "sources.yaml"


def build_demo(
    db_path: Path | str,
    *,
    progress: bool = False,
    finalize: Finalize | None = None,
    sample_data: Path = SAMPLE_DATA,
    reporting_currency: str = DEFAULT_REPORTING_CURRENCY,
) -> LoadReport:
    """Build a fresh warehouse at ``db_path`` from the sample data (see ``load_paths``).

    Another ``sample_data`` folder is mapped by the sources.yaml inside it.
    """
    if not sample_data.is_dir():
        raise ConnectorError(f"no bundled sample data at {sample_data}")
    sources = SAMPLE_SOURCES if sample_data == SAMPLE_DATA else sample_data / "sources.yaml"
    sources = sources if sources.exists() else None
    return load_paths(
        db_path,
        [sample_data],
        sources=sources,
        progress=progress,
        fresh=True,
        finalize=finalize,
        reporting_currency=reporting_currency,
    )
