"""Shared fixtures: write extract files, run the CLI as a subprocess, query a warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
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

REPO = Path(__file__).resolve().parent.parent


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


def run_cli(
    *args: str | Path, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("NORTHSTAR_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *map(str, args)],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


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


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Path:
    return demo_warehouse(tmp_path_factory.mktemp("browser") / "demo.duckdb")


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


def pytest_collection_modifyitems(items):
    """Browser tests may retry twice: page layout timing on a busy machine, not logic.
    A real defect fails every attempt."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.flaky(reruns=2, reruns_delay=2))
