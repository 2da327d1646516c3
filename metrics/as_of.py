"""The as-of date of a question: the latest date the loaded data reaches, never after today."""

from __future__ import annotations

import datetime as dt

from metrics import clock
from metrics.engine import Compiled, Engine, execute
from metrics.errors import MetricsError


def default_as_of(cur: Engine, today: dt.date | None = None) -> dt.date | None:
    """Latest date in the loaded shipments (ship or delivery), contacts and responses, never later
    than today (``clock.today()`` unless given).

    Dates after today (a call stamped 9999-12-31) are not evidence of how far the data reaches:
    they are left out, so a stray future date neither becomes the as-of nor hides stale data.
    Only when every date lies in the future is the as-of today itself.
    """
    today = today or clock.today()
    dates = (
        ("ship_date", "shipments"),
        ("delivered_date", "shipments"),
        ("CAST(started_at AS DATE)", "calls"),
        ("CAST(responded_at AS DATE)", "surveys"),
    )
    parts = " UNION ALL ".join(
        f"SELECT max({d}) FILTER (WHERE {d} <= $today) AS d, count({d}) AS n FROM {t}"
        for d, t in dates
    )
    sql = f"SELECT max(d), sum(n) FROM ({parts}) AS dated"
    latest, dated = execute(cur, Compiled(sql, {"today": today})).row(0)
    return latest if latest is not None or not dated else today


def resolve_as_of(cur: Engine, requested: dt.date | None) -> dt.date:
    if requested is not None:
        return requested
    found = default_as_of(cur)
    if found is None:
        raise MetricsError(
            "the warehouse holds no shipments, contacts or responses yet, so there is no"
            " as-of date: load extracts first, or pass --as-of DATE"
        )
    return found
