"""Shared fixtures: write extract files, run the CLI (in-process), query a warehouse."""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    demo_warehouse,
    free_port,
    start_server,
    stop_server,
)
from tests.cli_support import run_cli  # noqa: F401 (tests import it from here)

pytest_plugins = ["tests.spark_fixtures"]  # the Spark tests' shared session fixtures

REPO = Path(__file__).resolve().parent.parent

# The servers and pages under test warm no caches in the background (a test of warming turns
# it on): background queries would compete with the tests for the machine's two cores.
os.environ.setdefault("NORTHSTAR_WARM", "off")


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], *, sep: str = ",", bom: bool = False
) -> Path:
    """A CSV with the given header and rows (cells written as given, no quoting)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(sep.join(r) for r in [header, *rows]) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "wh.duckdb"


# ---- the browser tests' shared session: one Chromium, one app server ---------------------
# (defined once here: two Playwright sessions cannot run in one process)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing on CI: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    return CHROMIUM


# ---- spreading the suite over workers (pytest-xdist, --dist loadgroup) ---------------------
# A module runs on one worker, so its module fixtures (a server, a warehouse) are built once;
# every Spark test runs on one worker, so one JVM starts. The groups that take longest start
# first (Spark, then the browser, then the slow tests), so no worker is left with a long one at
# the end. A test marked ``alone`` (it shares only session fixtures, or none worth keeping) is a
# group of its own, so the long ones of a module spread over the workers instead of queueing.


def _group(item: pytest.Item) -> str:
    if item.get_closest_marker("spark"):
        return "spark"
    module = item.nodeid.split("::")[0]
    return item.nodeid if item.get_closest_marker("alone") else module


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "alone: may run on any worker, apart from its module (tests/conftest.py)"
    )


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            item.add_marker(pytest.mark.xdist_group(_group(item)))
    rank: dict[str, int] = {}
    for item in items:
        group = _group(item)
        rank[group] = min(rank.get(group, 3), _start_order(item))
    items.sort(key=lambda i: rank[_group(i)])  # stable: a module keeps its order


def _start_order(item: pytest.Item) -> int:
    """Spark first, then the browser, then the slow tests (with their modules), then the rest."""
    for order, marker in enumerate(("spark", "browser", "slow")):
        if item.get_closest_marker(marker):
            return order
    return 3


@pytest.fixture(autouse=True, scope="module")
def streamlit_caches_per_module():
    """Each test module starts with empty Streamlit caches; within a module, pages share them
    (they are keyed on the warehouse version and the config, as on a server)."""
    yield
    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()


# ---- the bundled sample, loaded once per run (the workers share it) ----------------------
# Each user gets a copy in a folder of its own (the state file beside a warehouse is its own).


def built_once(tmp_path_factory, name: str, build: Callable[[Path], object]) -> Path:
    """The file ``name``, built by ``build`` once per run: the first worker to ask builds it,
    the others wait for it (the same file; every user copies it before opening it)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # this run's folder
    path = shared / name
    with open(shared / f".{name}.once", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not path.exists():
            folder = Path(tempfile.mkdtemp(dir=shared, prefix=f"{name}-"))
            build(folder / name)
            os.replace(folder / name, path)
    return path


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> Path:
    return built_once(tmp_path_factory, "demo.duckdb", demo_warehouse)


def copy_warehouse(src: Path, folder: Path, name: str = "demo.duckdb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, folder / name))


@pytest.fixture(scope="session")
def demo_db(demo_build, tmp_path_factory) -> Path:
    """The sample warehouse for tests that only read it (AppTest pages, queries)."""
    return copy_warehouse(demo_build, tmp_path_factory.mktemp("wh"))


@pytest.fixture(scope="session")
def demo_models_build(tmp_path_factory) -> Path:
    """The sample warehouse with its stored metric models, as ``northstar demo`` builds it
    (copy it before writing)."""
    from connectors.demo import build_demo
    from metrics.materialize import refresher

    finalize = refresher(REPO / "config" / "metrics.yaml")
    return built_once(
        tmp_path_factory, "demo-models.duckdb", lambda path: build_demo(path, finalize=finalize)
    )


@pytest.fixture
def demo_copy(demo_build, tmp_path) -> Path:
    """A copy of the sample warehouse of this test's own, to write to."""
    return copy_warehouse(demo_build, tmp_path / "wh")


@pytest.fixture(scope="session")
def warehouse(demo_build, tmp_path_factory) -> Path:
    """The sample warehouse the session's app server serves."""
    return copy_warehouse(demo_build, tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="session")
def app_url(warehouse, chromium_path):
    port = free_port()
    proc = start_server(warehouse, port=port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()
