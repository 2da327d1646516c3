"""First start: build the demo warehouse from sample_data when there is none."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from store.errors import StoreError
from store.warehouse import default_db_path


@st.cache_resource(show_spinner=False)
def _build_demo(path: str) -> str | None:
    """Build once per path (other sessions wait for it); returns a problem, or None."""
    try:
        from connectors.demo import build_demo
    except ImportError:
        return "the demo builder (connectors.demo) is not installed"
    from metrics.materialize import refresher
    from ui.config import config_path

    try:
        build_demo(Path(path), finalize=refresher(config_path()))
    except (StoreError, OSError) as exc:
        return str(exc)
    return None


def build_if_missing() -> str | None:
    """At server start: build the sample warehouse when there is none (sessions arriving
    meanwhile wait for the same build); a problem, or None."""
    db = default_db_path()
    if db.exists() or os.environ.get("NORTHSTAR_LAKE"):
        return None
    problem = _build_demo(str(db))
    if problem is not None:
        _build_demo.clear()
    return problem


def ensure_warehouse() -> None:
    """When the warehouse file is missing, build it from sample_data with a spinner."""
    db = default_db_path()
    if db.exists() or os.environ.get("NORTHSTAR_LAKE"):  # a lake is written by a load only
        return
    with st.spinner(f"First start: building the warehouse {db} from sample_data …"):
        problem = _build_demo(str(db))
    if problem is not None or not db.exists():
        _build_demo.clear()
        st.error(
            f"**No warehouse at {db}, and the demo could not be built:** {problem or 'unknown error'}. "
            "Load extracts with `northstar load PATH` and reload this page."
        )
