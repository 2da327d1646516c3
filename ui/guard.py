"""Turn the engine's and the connectors' errors into plain messages on the page.

A message names a file relative to the project folder (or by its name alone): no absolute
server path reaches the screen; the server log keeps the full message.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from metrics import home
from metrics.access import AccessError, policy_path
from metrics.errors import ConfigError, MetricsError
from present.format import escape_markdown, plural
from store.errors import StoreError
from ui.config import config_path

log = logging.getLogger("northstar.ui")


def logged_failure(what: str) -> str:
    """Log the exception being handled under a new error id, and return the id for the page."""
    error_id = uuid.uuid4().hex[:8]
    log.exception("%s failed (error id %s)", what, error_id)
    return error_id


WAREHOUSE_ERRORS = (StoreError, MetricsError)  # a missing, empty or unreadable store


class NoData(Exception):
    """The warehouse exists but holds nothing to measure yet."""


# An absolute path: "/" not inside a word, a URL or a relative path, up to a space or a delimiter.
_ABSOLUTE = re.compile(r"(?<![\w.:/~-])/[^\s:'\"`,;()\[\]<>]+")


def _short(path: str, base: Path) -> str:
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except (ValueError, OSError):
        return Path(path).name or path


def without_paths(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with each absolute path (``known`` ones first: they may hold spaces) written
    relative to the project folder, or as its file name outside it."""
    base = (home.project_home() or Path.cwd()).resolve()
    for path in sorted({str(k) for k in known if Path(k).is_absolute()}, key=len, reverse=True):
        text = text.replace(path, _short(path, base))
    return _ABSOLUTE.sub(lambda m: _short(m.group(0), base), text)


def _shown(text: str) -> str:
    """A message for the screen; the full one goes to the server log."""
    short = without_paths(text, (config_path(), policy_path()))
    if short != text:
        log.warning("shown without its server paths: %s", text)
    return short


def show_config_error(err: ConfigError, *, what: str = "The metric definitions") -> None:
    """Every problem of metrics.yaml (or of ``what``: the access policy too), each file named
    relative to the project."""
    st.error(
        f"**{what} have {plural(len(err.problems), 'problem')}**, so no number can be computed "
        "until they are fixed:"
    )
    # Code spans show each problem literally (a backtick inside would end the span).
    st.markdown("\n".join("- `" + _shown(p).replace("`", "'") + "`" for p in err.problems))


@contextmanager
def guarded() -> Iterator[None]:
    """Run a page body; show a config, warehouse or query problem as a message, never a traceback."""
    try:
        yield
    except ConfigError as err:
        show_config_error(err)
    except NoData as err:
        st.info(str(err))
    except StoreError as err:
        st.error(f"**The warehouse cannot be read.** {escape_markdown(_shown(str(err)))}")
    except AccessError as err:
        st.warning(
            f"**Not in your access.** {escape_markdown(_shown(str(err)))}. Ask whoever runs North Star "
            "if you need it.",
            icon=":material/lock:",
        )
    except MetricsError as err:
        st.error(f"**The numbers could not be computed.** {escape_markdown(_shown(str(err)))}")
    except Exception:  # last resort: a plain message on the page, the traceback in the server log
        error_id = logged_failure("page")
        st.error(
            f"**This part of the page failed.** Error id {error_id}: whoever runs the dashboard "
            "finds the details under this id in the server log."
        )
