"""Load progress on stderr: files done of total, and the share of the current file read."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


class LoadProgress:
    """A rich progress display on a terminal; on a log (cron, CI), one plain line per file and
    per step instead of carriage-return frames; nothing when disabled."""

    def __init__(self, total_files: int, *, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._lines = enabled and not self.enabled  # plain lines for a log
        self._total, self._done, self._file = total_files, 0, ""
        self._progress = None
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._files = self._progress.add_task("files", total=total_files, detail="")
            self._current = self._progress.add_task("", total=100, detail="", visible=False)

    def __enter__(self) -> LoadProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def message(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text)
        else:
            print(text, file=sys.stderr)

    def start_file(self, path: Path, table: str) -> None:
        self._file = f"{table}: {path.name}"
        if self._progress is not None:
            self._progress.update(
                self._current,
                description=f"{table}: {path.name}",
                completed=0,
                visible=True,
                detail="",
            )

    def start_step(self, description: str) -> None:
        """A step after the files (e.g. rebuilding derived tables); shown as the current task."""
        if self._lines:
            print(description, file=sys.stderr, flush=True)
        if self._progress is not None:
            self._progress.update(
                self._current, description=description, completed=0, visible=True, detail=""
            )

    def done_file(self, rows_read: int) -> None:
        self._done += 1
        if self._lines:
            print(
                f"file {self._done}/{self._total} {self._file}: {rows_read:,} rows read",
                file=sys.stderr,
                flush=True,
            )
        if self._progress is not None:
            self._progress.update(self._current, completed=100, detail=f"{rows_read:,} rows")
            self._progress.advance(self._files)
            self._progress.update(self._files, detail=f"{rows_read:,} rows in the last file")

    @contextmanager
    def watch(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """Poll DuckDB's progress of the running query from a helper thread."""
        if self._progress is None:
            yield
            return
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(0.2):
                try:
                    pct = con.query_progress()
                except duckdb.Error:
                    return
                if pct >= 0:
                    self._progress.update(self._current, completed=pct)

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
