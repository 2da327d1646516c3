"""One place that turns the project's errors into a message and exit code 1."""

from __future__ import annotations

import functools
import sys

import click

from metrics.errors import MetricsError
from store.errors import StoreError


def handle_errors(fn):
    """Run a command; on a known error print it plainly and exit 1 (``--debug`` re-raises)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (StoreError, MetricsError) as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper
