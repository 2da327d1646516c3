"""Turn the engine's and the connectors' errors into plain messages on the page."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from metrics.access import AccessError
from metrics.errors import ConfigError, MetricsError
from present.format import escape_markdown, plural
from store.errors import StoreError

log = logging.getLogger("northstar.ui")
WAREHOUSE_ERRORS = (StoreError, MetricsError)  # a missing, empty or unreadable store


class NoData(Exception):
    """The warehouse exists but holds nothing to measure yet."""


def show_config_error(err: ConfigError) -> None:
    st.error(
        f"**The metric definitions have {plural(len(err.problems), 'problem')}**, so no number "
        "can be computed until they are fixed:"
    )
    # Code spans show each problem literally (a backtick inside would end the span).
    st.markdown("\n".join("- `" + p.replace("`", "'") + "`" for p in err.problems))


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
        st.error(f"**The warehouse cannot be read.** {escape_markdown(str(err))}")
    except AccessError as err:
        st.warning(
            f"**Not in your access.** {escape_markdown(str(err))}. Ask whoever runs North Star "
            "if you need it.",
            icon=":material/lock:",
        )
    except MetricsError as err:
        st.error(f"**The numbers could not be computed.** {escape_markdown(str(err))}")
    except Exception:  # last resort: a plain message on the page, the traceback in the server log
        error_id = uuid.uuid4().hex[:8]
        log.exception("page failed (error id %s)", error_id)
        st.error(
            f"**This part of the page failed.** Error id {error_id}: whoever runs the dashboard "
            "finds the details under this id in the server log."
        )
