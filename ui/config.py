"""The metric definitions the app reads: which metrics.yaml, and its catalogue, read again
whenever the file changes (a lower module than ``ui.data`` and ``ui.access``, which both
need it)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from metrics import home
from metrics.catalog import Catalog, load_catalog
from present import format as fmt


def config_path() -> Path:
    """``$NORTHSTAR_CONFIG``, else the project folder's metrics.yaml (see ``metrics.home``)."""
    return Path(os.environ.get("NORTHSTAR_CONFIG") or home.metrics_config())


def stamp(path: Path) -> str:
    """What changes when the file at ``path`` changes ("missing" when there is none)."""
    try:
        st_ = path.stat()
    except FileNotFoundError:
        return "missing"
    return f"{st_.st_mtime_ns}-{st_.st_size}"


def catalog_at(path: str, stamp: str) -> Catalog:
    """The catalogue of ``path`` as of its ``stamp``; money is written in its reporting
    currency from now on (``present.format.use_currency``)."""
    cat = _catalog_at(path, stamp)
    fmt.use_currency(cat.spec.settings.reporting_currency)
    return cat


@st.cache_resource(show_spinner=False, max_entries=8)
def _catalog_at(path: str, stamp: str) -> Catalog:
    return load_catalog(path)


def catalog() -> Catalog:
    """The metric catalogue (raises ConfigError with every problem)."""
    path = config_path()
    return catalog_at(str(path), stamp(path))
