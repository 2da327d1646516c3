"""Did the metric move after an action? Its value over the complete periods before the
decision against those after it, each recomputed from its parts (never averaged), in the
action's scope. Too few periods after the decision say so rather than guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from metrics.catalog import Catalog
from metrics.engine import Engine
from metrics.periods import last_complete_period, period_end, period_start, shift_period
from metrics.query import run_query
from metrics.sqlgen import Query

WINDOW = 4  # periods compared on each side
MIN_AFTER = 2  # complete periods after the decision's before a verdict


@dataclass(frozen=True)
class Effect:
    before: float | None
    after: float | None
    periods_after: int  # complete periods since the decision's period (at most WINDOW)
    verdict: str  # 'better', 'worse', 'unchanged', 'too early', 'no data'

    def text(self, fmt_value: Callable[[float | None], str]) -> str:
        if self.verdict == "too early":
            return (
                f"too early to tell: {self.periods_after} complete week(s) since the decision, "
                f"{MIN_AFTER} needed"
            )
        if self.verdict == "no data":
            return "no data before or after the decision"
        return f"{self.verdict}: {fmt_value(self.before)} before, {fmt_value(self.after)} after"


def _value(cur, catalog: Catalog, q: Query, start: dt.date, end: dt.date) -> float | None:
    res = run_query(cur, catalog, q.replace(date_from=start, date_to=end, grain=None, by=()))
    frame = res.values()
    return frame[q.metrics[0]][0] if frame.height else None


def action_effect(
    cur: Engine,
    catalog: Catalog,
    *,
    metric: str,
    decided: dt.date,
    as_of: dt.date,
    grain: str = "week",
    where: tuple[tuple[str, tuple[str, ...]], ...] = (),
    scope: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> Effect:
    """``metric`` over the WINDOW complete periods before the decision's period against the
    (up to WINDOW) complete periods after it, up to ``as_of``; ``where`` is the action's scope,
    ``scope`` the viewer's."""
    first_after = shift_period(period_start(decided, grain), grain, 1)
    last_done = last_complete_period(as_of, grain)
    after_n, p = 0, first_after
    while p <= last_done and after_n < WINDOW:
        after_n, p = after_n + 1, shift_period(p, grain, 1)
    if after_n < MIN_AFTER:
        return Effect(None, None, after_n, "too early")
    q = Query(metrics=(metric,), where=where, scope=scope, as_of=as_of)
    before_start = shift_period(period_start(decided, grain), grain, -WINDOW)
    before_end = period_start(decided, grain) - dt.timedelta(days=1)
    after_end = period_end(shift_period(first_after, grain, after_n - 1), grain)
    before = _value(cur, catalog, q, before_start, before_end)
    after = _value(cur, catalog, q, first_after, after_end)
    if before is None or after is None:
        return Effect(before, after, after_n, "no data")
    up = catalog.metric(metric).direction == "up"
    if abs(after - before) < 1e-9:
        verdict = "unchanged"
    else:
        verdict = "better" if (after > before) == up else "worse"
    return Effect(before, after, after_n, verdict)
