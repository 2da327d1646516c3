"""Where the project folder is, for the command line and the dashboard.

The project folder holds ``config/metrics.yaml`` (with ``config/sources.yaml``
and, for the demo, ``sample_data/``). It is ``$NORTHSTAR_HOME``, else the
nearest folder at or above the current directory that holds
``config/metrics.yaml``; without either, the sample shipped with the package
serves (the source tree of an editable install, else the installed package data).
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "NORTHSTAR_HOME"
METRICS = Path("config", "metrics.yaml")
SOURCES = Path("config", "sources.yaml")
SAMPLE_DATA = "sample_data"
# The source tree (editable install), or site-packages, where the wheel puts the
# sample under northstar_data/ (see pyproject.toml).
_INSTALLED = Path(__file__).resolve().parent.parent
_SHIPPED = (_INSTALLED, _INSTALLED / "northstar_data")


def project_home(cwd: Path | None = None) -> Path | None:
    """``$NORTHSTAR_HOME``, else the nearest folder at or above ``cwd`` holding config/metrics.yaml."""
    if env := os.environ.get(HOME_ENV):
        return Path(env).expanduser()
    here = (cwd or Path.cwd()).resolve()
    return next((d for d in (here, *here.parents) if (d / METRICS).is_file()), None)


def installed_sample() -> Path | None:
    """The folder of the sample shipped with the package (config/ and sample_data/), if any."""
    return next((d for d in _SHIPPED if (d / METRICS).is_file()), None)


def _folder(cwd: Path | None) -> Path:
    return project_home(cwd) or installed_sample() or Path()


def metrics_config(cwd: Path | None = None) -> Path:
    """The metrics.yaml to use when none is given (it may not exist: loading it says where)."""
    return _folder(cwd) / METRICS


def sources_config(cwd: Path | None = None) -> Path | None:
    """The project folder's config/sources.yaml, or None when it has none."""
    path = _folder(cwd) / SOURCES
    return path if path.is_file() else None


def sample_data(cwd: Path | None = None) -> Path:
    """The project folder's sample_data/, else the one shipped with the package."""
    for folder in (project_home(cwd), installed_sample()):
        if folder is not None and (folder / SAMPLE_DATA).is_dir():
            return folder / SAMPLE_DATA
    return _folder(cwd) / SAMPLE_DATA


def where_from(cwd: Path | None = None) -> str:
    """How the project folder was found, for messages."""
    if os.environ.get(HOME_ENV):
        return f"${HOME_ENV}"
    if project_home(cwd) is not None:
        return "the nearest folder above the current directory holding config/metrics.yaml"
    if installed_sample() is not None:
        return "the sample shipped with North Star"
    return "no project folder found"
