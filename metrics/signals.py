"""Signal or noise, read against the target: Wheeler's XmR process behaviour chart rules.

``xmr_signal`` tests one value against a history; ``find_shifts`` finds sustained shifts
anywhere in a series (a step that happened weeks ago and stayed); ``read_signal`` puts the
two together with the target into the one case a reviewer acts on:

- ``shift_better`` / ``shift_worse``: a real change in the latest period (a rule fired);
- ``off_target_stable``: no signal, but the process runs off target: a system problem,
  waiting will not fix it, changing the process will;
- ``on_target``: no signal and on target: no reaction needed;
- ``no_target``: no signal, and no target to judge against;
- ``too_short``: too little history to tell signal from noise.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

MIN_HISTORY = 6  # earlier periods needed for natural limits
RUN_LENGTH = 8  # points in a row on one side of the centre line that make a shift

Case = Literal[
    "shift_better", "shift_worse", "off_target_stable", "on_target", "no_target", "too_short"
]


@dataclass(frozen=True)
class Signal:
    verdict: str  # "signal" | "noise" | "too_short"
    rule: str  # which rule fired, in words
    centre: float | None = None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class Shift:
    start: int  # index of the first point at the new level
    before: float  # mean of the points before it (since the previous shift)
    after: float  # mean from it on (up to the next shift)
    rule: str  # the rule that fired, in words

    @property
    def up(self) -> bool:
        return self.after > self.before


@dataclass(frozen=True)
class Reading:
    case: Case
    gap: float | None  # latest - target (signed); None without a target or a value
    signal: Signal  # the latest value against the process as it runs since its last shift
    shifts: tuple[Shift, ...]  # sustained shifts in history + latest, oldest first
    since: int  # index of the first point of the current process (its last shift, or 0)


def _clean(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(v)]


def xmr_signal(history: Sequence[float], latest: float, *, run_length: int = RUN_LENGTH) -> Signal:
    """Is ``latest`` a real change against ``history``? Wheeler's XmR rules.

    Limits are the history's mean +/- 2.66 x its average moving range. A signal
    is a point outside the limits, or the latest ``run_length`` points (history
    + latest) all on one side of the centre line.
    """
    points = _clean(history)
    if len(points) < MIN_HISTORY:
        return Signal("too_short", f"needs {MIN_HISTORY} earlier periods, has {len(points)}")
    centre = sum(points) / len(points)
    mr = sum(abs(a - b) for a, b in zip(points[1:], points[:-1])) / (len(points) - 1)
    lower, upper = centre - 2.66 * mr, centre + 2.66 * mr
    limits = {"centre": centre, "lower": lower, "upper": upper}
    if latest > upper or latest < lower:
        side = "above" if latest > upper else "below"
        return Signal("signal", f"outside the natural limits ({side})", **limits)
    run = (points + [latest])[-run_length:]
    if len(run) == run_length and (all(v > centre for v in run) or all(v < centre for v in run)):
        side = "above" if latest > centre else "below"
        return Signal("signal", f"{run_length} periods in a row {side} the average", **limits)
    return Signal("noise", "within the natural limits", **limits)


def find_shifts(
    points: Sequence[float], *, run_length: int = RUN_LENGTH, baseline: int = MIN_HISTORY
) -> tuple[Shift, ...]:
    """Sustained shifts in a series, oldest first.

    A shift starts where ``run_length`` points in a row fall on one side of the centre
    line of the points before them (at least ``baseline`` of them, since the previous
    shift); the process is then judged afresh from the shift on, as Wheeler
    recomputes limits after a change.
    """
    values = _clean(points)
    found: list[tuple[int, int, float]] = []  # (segment start, shift start, centre before)
    seg, i = 0, baseline
    while i + run_length <= len(values):
        centre = sum(values[seg:i]) / (i - seg)
        run = values[i : i + run_length]
        if all(v > centre for v in run) or all(v < centre for v in run):
            found.append((seg, i, centre))
            seg, i = i, i + baseline
        else:
            i += 1
    shifts = []
    for k, (_, start, before) in enumerate(found):
        end = found[k + 1][1] if k + 1 < len(found) else len(values)
        after = sum(values[start:end]) / (end - start)
        side = "above" if after > before else "below"
        shifts.append(
            Shift(start, before, after, f"{run_length} periods in a row {side} the earlier average")
        )
    return tuple(shifts)


def read_signal(
    history: Sequence[float],
    latest: float | None,
    *,
    target: float | None,
    direction: str = "up",
    run_length: int = RUN_LENGTH,
) -> Reading:
    """The case that applies to ``latest`` after ``history`` (complete periods, oldest first).

    The latest value is tested against the process as it runs since its last sustained
    shift, so a step weeks ago does not pass for noise forever, nor does the new level
    read as a signal every week.
    """
    points = _clean(history)
    gap = None if latest is None or target is None else latest - target
    if latest is None or math.isnan(latest):
        return Reading("too_short", None, Signal("too_short", "no value"), (), 0)
    shifts = find_shifts([*points, latest], run_length=run_length)
    since = shifts[-1].start if shifts else 0
    if shifts and since + run_length > len(points):  # the shift's run ends with the latest value
        since = shifts[-2].start if len(shifts) > 1 else 0
    signal = xmr_signal(points[since:], latest, run_length=run_length)
    if signal.verdict == "too_short":
        case: Case = "too_short"
    elif signal.verdict == "signal":
        better = (latest > signal.centre) == (direction == "up")
        case = "shift_better" if better else "shift_worse"
    elif target is None:
        case = "no_target"
    else:
        on = latest >= target if direction == "up" else latest <= target
        case = "on_target" if on else "off_target_stable"
    return Reading(case, gap, signal, shifts, since)


def period_reading(
    history: pl.DataFrame, head: dict[str, Any] | None, start: dt.date, direction: str
) -> tuple[Reading, list[dt.date]]:
    """The signal of the period under review (starting ``start``, its run_details row ``head``)
    against the complete, large-enough periods of ``history`` (one metric's run_details by
    period) before it; and those periods with ``start``, to name a shift's start. One reading
    for the review page and the review pack."""
    done = history.filter(
        ~pl.col("partial")
        & pl.col("significant")
        & pl.col("value").is_not_null()
        & (pl.col("period") < start)
    ).sort("period")
    latest = head.get("value") if head else None
    target = head.get("target") if head else None
    reading = read_signal(done["value"].to_list(), latest, target=target, direction=direction)
    return reading, [*done["period"].to_list(), start]
