"""Today's date, the one clock every rule reads (as-of cap, plausible dates, freshness).

``NORTHSTAR_TODAY`` (an ISO date) pins it, for tests and for replaying a past day.
"""

from __future__ import annotations

import datetime as dt
import os

from metrics.errors import MetricsError


def today() -> dt.date:
    pinned = os.environ.get("NORTHSTAR_TODAY", "").strip()
    if not pinned:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(pinned)
    except ValueError:
        raise MetricsError(
            f"NORTHSTAR_TODAY={pinned!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-16"
        ) from None
