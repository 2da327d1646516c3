"""Signal or noise: Wheeler's XmR process behaviour chart rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    verdict: str  # "signal" | "noise" | "too_short"
    rule: str  # which rule fired, in words
    centre: float | None = None
    lower: float | None = None
    upper: float | None = None


def xmr_signal(history: Sequence[float], latest: float, *, run_length: int = 8) -> Signal:
    """Is ``latest`` a real change against ``history``? Wheeler's XmR rules.

    Limits are the history's mean +/- 2.66 x its average moving range. A signal
    is a point outside the limits, or the latest ``run_length`` points (history
    + latest) all on one side of the centre line.
    """
    points = [float(v) for v in history if v is not None]
    if len(points) < 6:
        return Signal("too_short", f"needs 6 earlier periods, has {len(points)}")
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
