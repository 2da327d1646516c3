"""Turn the engine's and the connectors' errors into plain messages on the page."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import streamlit as st

from connectors.errors import ConnectorError
from metrics.errors import ConfigError, MetricsError

log = logging.getLogger("northstar.ui")
WAREHOUSE_ERRORS = (
    ConnectorError,
    MetricsError,
    duckdb.Error,
)  # a missing, empty or unreadable warehouse


class NoData(Exception):
    """The warehouse exists but holds nothing to measure yet."""


def show_config_error(err: ConfigError) -> None:
    st.error(
        f"**The metric definitions have {len(err.problems)} problem(s)**, so no number can be "
        "computed until they are fixed:"
    )
    st.markdown("\n".join(f"- `{p}`" for p in err.problems))


@contextmanager
def guarded() -> Iterator[None]:
    """Run a page body; show a config, warehouse or query problem as a message, never a traceback."""
    try:
        yield
    except ConfigError as err:
        show_config_error(err)
    except NoData as err:
        st.info(str(err))
    except ConnectorError as err:
        st.error(f"**The warehouse cannot be read.** {err}")
    except MetricsError as err:
        st.error(f"**The numbers could not be computed.** {err}")
    except duckdb.Error as err:
        st.error(f"**The warehouse query failed.** {str(err).splitlines()[0]}")
    except Exception as err:  # last resort: a message on the page, the traceback in the server log
        log.exception("page failed")
        st.error(
            f"**This part of the page failed** ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})."
            " The details are in the server log."
        )
