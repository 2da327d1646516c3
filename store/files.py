"""File-system steps of a write that must be all or nothing: an exclusive lock beside the
target, removal of leftovers, and fsync before a rename is trusted."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
from pathlib import Path

from store.errors import StoreError
from store.progress import LoadProgress
from store.warehouse import plain_os_error


class WriteLock:
    """Exclusive lock on ``<db>.lock``: a second load waits (up to ``timeout`` seconds)."""

    def __init__(self, db: Path, timeout: float, progress: LoadProgress) -> None:
        self.path = db.with_name(db.name + ".lock")
        self.timeout, self.progress = timeout, progress

    def __enter__(self) -> WriteLock:
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(
                f"cannot write beside the warehouse ({self.path}): {plain_os_error(exc)}"
            ) from None
        deadline, told = time.monotonic() + self.timeout, False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() > deadline:
                os.close(self.fd)
                raise StoreError(
                    f"another load is still writing {self.path.with_suffix('')}; "
                    f"gave up after {self.timeout:.0f}s — try again when it finishes"
                )
            if not told:
                self.progress.message(
                    f"waiting for another load of {self.path.with_suffix('')} to finish…"
                )
                told = True
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def remove(path: str | Path) -> None:
    p = Path(path)
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
