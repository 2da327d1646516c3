"""The command line run in-process through click's CliRunner, answering like a subprocess.

A test gets ``returncode``, ``stdout`` and ``stderr`` as from ``subprocess.run``; an exception
that escapes a command is printed to ``stderr`` as a traceback with exit code 1, as Python does,
so "no traceback" assertions keep their teeth. A few tests still run the installed entry point
as a real process (tests/test_cli_home.py, the kill and serve tests).
"""

from __future__ import annotations

import contextlib
import traceback
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str | None] | None = None,
    timeout: float | None = None,  # noqa: ARG001 (kept for the subprocess-shaped signature)
    input: str | None = None,
) -> Run:
    """``northstar ARGS`` in this process, from ``cwd`` (default the project folder), with
    ``env`` over the current environment (None unsets; NORTHSTAR_DB is unset unless given)."""
    from cli.main import cli  # imported on first use: collecting the tests stays light

    argv = [str(a) for a in args]
    env = {"NORTHSTAR_DB": None, **(env or {})}
    with contextlib.chdir(cwd or REPO):
        result = CliRunner(env=env).invoke(cli, argv, prog_name="northstar", input=input)
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        exc = result.exception
        stderr += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__)
        )
        code = 1
    return Run(argv, code, result.stdout, stderr, result.stdout_bytes)
