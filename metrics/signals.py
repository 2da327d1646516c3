"""Signal or noise, read against the target: process-behaviour signals with known error rates.

A series of period values (oldest first, each with the units it was measured over, ``n``) is
read in the spirit of Wheeler's XmR chart, with limits that know each period's volume:

- **Scale.** Each period's standard error is the binomial one for a proportion
  (``sqrt(p(1-p)/n)``, as a p-chart), widened by the series' own extra variation measured from
  its moving ranges (Laney's p'-chart; never narrower than binomial chance). Without volumes
  (or for a value that is no proportion) the moving ranges alone set it, as XmR does
  (limits = centre +/- 2.66 x average moving range). Moving ranges beyond Wheeler's upper
  range limit (3.27 x their mean) are left out, so a step does not widen the limits.
- **Shifts.** A level change is claimed where the two sides of a split differ by more than a
  threshold in standard errors of their difference (a change-point test, searched by binary
  segmentation, so each new level is judged afresh: re-based after a confirmed shift). The
  threshold is Bonferroni-corrected over every split the window allows, so over a whole stable
  window the claim is rare; ``tests/test_signal_operating.py`` measures it at the sample's
  volumes (stable 52 weeks: a claim in about 2 of 100 series; a 3-standard-error step 8 weeks
  before the end: found in all but a few, dated within 2 weeks).
- **Outside the limits.** The latest period beyond centre +/- 3 standard errors of the current
  level (the periods since the last shift, the latest left out).

``read_series`` gives the verdict of the review (``stable``, ``shift``, ``outside_limits``,
``too_few_periods``); ``read_signal`` puts it together with the target into the one case a
reviewer acts on:

- ``shift_better`` / ``shift_worse``: the latest period is outside the limits, or the level
  changed within the last ``RECENT`` periods;
- ``off_target_stable``: no recent signal, but the process runs off target: a system problem,
  waiting will not fix it, changing the process will;
- ``on_target``: no recent signal and on target: no reaction needed;
- ``no_target``: no recent signal, and no target to judge against;
- ``too_short``: too little history to tell signal from noise.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import polars as pl

MIN_HISTORY = 6  # earlier periods needed for natural limits (XmR)
MIN_PERIODS = 8  # periods needed for a verdict (two levels of MIN_LEVEL)
MIN_LEVEL = 4  # periods a level needs before a shift to it is claimed
RECENT = 8  # a shift starting within this many periods of the latest is news
RUN_LENGTH = 8  # kept for callers: the periods a recent shift spans
FALSE_CLAIMS = 0.05  # chance of a claimed shift per stable window (before Bonferroni)
SIGMA_LIMITS = 3.0  # natural process limits: centre +/- 3 standard errors
D2 = 1.128  # mean moving range / sigma, for two points
URL = 3.267  # Wheeler's upper range limit, in mean moving ranges

Case = Literal[
    "shift_better", "shift_worse", "off_target_stable", "on_target", "no_target", "too_short"
]
Verdict = Literal["stable", "shift", "outside_limits", "too_few_periods"]


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
    before: float  # mean of the level before it (since the previous shift)
    after: float  # mean from it on (up to the next shift)
    rule: str  # the rule that fired, in words
    start_date: dt.date | None = None  # first day of the first period at the new level

    @property
    def up(self) -> bool:
        return self.after > self.before

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start_date.isoformat() if self.start_date else None,
            "direction": "up" if self.up else "down",
            "before": self.before,
            "after": self.after,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class SeriesSignal:
    """The review's verdict on a series: JSON-ready (``as_json``)."""

    verdict: Verdict
    centre: float | None  # mean of the current level (since the last shift, latest left out)
    limits: tuple[float, float] | None  # natural limits of the current level, at the latest n
    shifts: tuple[Shift, ...]  # newest first
    rule: str  # the verdict in words
    since: int = 0  # index of the first period of the current level

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "centre": self.centre,
            "limits": list(self.limits) if self.limits else None,
            "shifts": [s.as_json() for s in self.shifts],
        }


@dataclass(frozen=True)
class Reading:
    case: Case
    gap: float | None  # latest - target (signed); None without a target or a value
    signal: Signal  # the latest value against the process as it runs since its last shift
    shifts: tuple[Shift, ...]  # sustained shifts in history + latest, oldest first
    since: int  # index of the first point of the current process (its last shift, or 0)
    series: SeriesSignal | None = None  # the verdict the review states


def _clean(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(v)]


def xmr_signal(history: Sequence[float], latest: float, *, run_length: int = RUN_LENGTH) -> Signal:
    """Is ``latest`` a real change against ``history``? Wheeler's XmR rules, plain.

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


# ---- the series model: values, weights, standard errors ---------------------------------------


@dataclass(frozen=True)
class _Series:
    v: tuple[float, ...]
    w: tuple[float, ...]  # weights: units measured (1 each without volumes)
    proportion: bool  # binomial scale, never narrower than chance
    phi: float  # extra variation: standard error = base(mean) x phi / sqrt(w)

    def mean(self, a: int, b: int) -> float:
        w = sum(self.w[a:b])
        return sum(x * y for x, y in zip(self.v[a:b], self.w[a:b])) / w

    def base(self, mean: float) -> float:
        return math.sqrt(max(mean * (1 - mean), 1e-9)) if self.proportion else 1.0

    def se(self, mean: float, w: float) -> float:
        return self.base(mean) * self.phi / math.sqrt(w)


def _series(values: list[float], n: list[float] | None, proportion: bool | None) -> _Series:
    w = [max(float(x), 1.0) for x in n] if n is not None else [1.0] * len(values)
    if proportion is None:
        proportion = n is not None and all(0.0 <= x <= 1.0 for x in values)
    proportion = proportion and n is not None
    s = _Series(tuple(values), tuple(w), proportion, 1.0)
    m = s.mean(0, len(values))
    z = [(x - m) * math.sqrt(wi) / s.base(m) for x, wi in zip(values, w)]
    ranges = [abs(a - b) for a, b in zip(z[1:], z[:-1])]
    mr = sum(ranges) / len(ranges) if ranges else 0.0
    kept = [r for r in ranges if r <= URL * mr] or ranges
    phi = (sum(kept) / len(kept)) / D2 if kept else 0.0
    if proportion:
        phi = max(phi, 1.0)  # a share over n units varies at least by binomial chance
    return _Series(s.v, s.w, s.proportion, max(phi, 1e-12))


def threshold(candidates: int, false_claims: float = FALSE_CLAIMS) -> float:
    """The standardized difference a split must pass: two-sided, Bonferroni over the splits."""
    return NormalDist().inv_cdf(1 - false_claims / (2 * max(candidates, 1)))


def _best_split(s: _Series, a: int, b: int) -> tuple[int, float] | None:
    """The split of ``[a, b)`` whose two sides differ most, in standard errors of their
    difference; None when too short to split."""
    if b - a < 2 * MIN_LEVEL:
        return None
    m = s.mean(a, b)
    unit = s.base(m) * s.phi
    best: tuple[int, float] | None = None
    w_left = vw_left = 0.0
    w_all = sum(s.w[a:b])
    vw_all = sum(x * y for x, y in zip(s.v[a:b], s.w[a:b]))
    for k in range(a, b - MIN_LEVEL):
        w_left += s.w[k]
        vw_left += s.v[k] * s.w[k]
        if k + 1 - a < MIN_LEVEL:
            continue
        w_right = w_all - w_left
        diff = vw_left / w_left - (vw_all - vw_left) / w_right
        stat = abs(diff) / (unit * math.sqrt(1 / w_left + 1 / w_right))
        if best is None or stat > best[1]:
            best = (k + 1, stat)
    return best


def _splits(s: _Series, a: int, b: int) -> list[tuple[int, float, float]]:
    """Binary segmentation: (start of the new level, its statistic, the threshold passed)."""
    found = _best_split(s, a, b)
    if found is None:
        return []
    k, stat = found
    limit = threshold(b - a - 2 * MIN_LEVEL + 1)
    if stat <= limit:
        return []
    return [*_splits(s, a, k), (k, stat, limit), *_splits(s, k, b)]


def find_shifts(
    points: Sequence[float],
    *,
    n: Sequence[float] | None = None,
    proportion: bool | None = None,
    run_length: int = RUN_LENGTH,  # noqa: ARG001 (kept for callers)
    baseline: int = MIN_HISTORY,  # noqa: ARG001 (kept for callers)
) -> tuple[Shift, ...]:
    """Level shifts in a series, oldest first: each with the mean of the level before and after
    it (each level judged afresh, as Wheeler recomputes limits after a change)."""
    values = _clean(points)
    if n is not None and len(n) != len(points):
        raise ValueError("n must give one volume per point")
    if n is not None:
        n = [x for x, v in zip(n, points) if v is not None and not math.isnan(v)]
    if len(values) < MIN_PERIODS:
        return ()
    s = _series(values, list(n) if n is not None else None, proportion)
    found = _splits(s, 0, len(values))
    bounds = [0, *(k for k, _, _ in found), len(values)]
    shifts = []
    for i, (k, stat, limit) in enumerate(found):
        before, after = s.mean(bounds[i], k), s.mean(k, bounds[i + 2])
        side = "up" if after > before else "down"
        shifts.append(
            Shift(
                k,
                before,
                after,
                f"level {side}: {stat:.1f} standard errors between the {k - bounds[i]} periods "
                f"before and the {bounds[i + 2] - k} from it (claimed beyond {limit:.1f})",
            )
        )
    return tuple(shifts)


def read_series(
    values: Sequence[float | None],
    *,
    n: Sequence[float] | None = None,
    periods: Sequence[dt.date] | None = None,
    proportion: bool | None = None,
) -> SeriesSignal:
    """The verdict on a series of complete periods (oldest first, the latest last), with the
    units each was measured over (``n``; None: plain XmR) and their first days (``periods``,
    to date the shifts)."""
    keep = [i for i, v in enumerate(values) if v is not None and not math.isnan(v)]
    vals = [float(values[i]) for i in keep]  # type: ignore[arg-type]
    ns = [float(n[i]) for i in keep] if n is not None else None
    days = [periods[i] for i in keep] if periods is not None else None
    if len(vals) < MIN_PERIODS:
        return SeriesSignal(
            "too_few_periods", None, None, (), f"needs {MIN_PERIODS} periods, has {len(vals)}"
        )
    s = _series(vals, ns, proportion)
    shifts = find_shifts(vals, n=ns, proportion=s.proportion)
    if days is not None:
        shifts = tuple(Shift(x.start, x.before, x.after, x.rule, days[x.start]) for x in shifts)
    since = shifts[-1].start if shifts else 0
    last = len(vals) - 1
    base_end = last if last - since >= 2 else last + 1  # the current level, latest left out
    centre = s.mean(since, base_end)
    half = SIGMA_LIMITS * s.se(centre, s.w[last])
    limits = (centre - half, centre + half)
    newest_first = tuple(reversed(shifts))
    latest = vals[last]
    if not limits[0] <= latest <= limits[1]:
        side = "above" if latest > limits[1] else "below"
        rule = f"outside the natural limits ({side})"
        return SeriesSignal("outside_limits", centre, limits, newest_first, rule, since)
    if shifts:
        return SeriesSignal("shift", centre, limits, newest_first, shifts[-1].rule, since)
    return SeriesSignal("stable", centre, limits, (), "within the natural limits", since)


def read_signal(
    history: Sequence[float],
    latest: float | None,
    *,
    target: float | None,
    direction: str = "up",
    run_length: int = RUN_LENGTH,  # noqa: ARG001 (kept for callers)
    n: Sequence[float] | None = None,
    periods: Sequence[dt.date] | None = None,
    proportion: bool | None = None,
) -> Reading:
    """The case that applies to ``latest`` after ``history`` (complete periods, oldest first;
    ``n``: the units of each, history then latest; ``periods``: their first days).

    The latest value is tested against the process as it runs since its last shift, so a step
    weeks ago does not pass for noise forever, nor does the new level read as a signal every
    week.
    """
    gap = None if latest is None or target is None else latest - target
    if latest is None or math.isnan(latest):
        return Reading("too_short", None, Signal("too_short", "no value"), (), 0)
    keep = [i for i, v in enumerate(history) if v is not None and not math.isnan(v)]
    values = [float(history[i]) for i in keep] + [float(latest)]  # type: ignore[arg-type]
    ns = [n[i] for i in keep] + [n[len(history)]] if n is not None else None
    days = [periods[i] for i in keep] + [periods[len(history)]] if periods is not None else None
    series = read_series(values, n=ns, periods=days, proportion=proportion)
    if series.verdict == "too_few_periods":
        return Reading("too_short", gap, Signal("too_short", series.rule), (), 0, series)
    oldest_first = tuple(reversed(series.shifts))
    lower, upper = series.limits or (None, None)
    recent = series.shifts and series.shifts[0].start > len(values) - 1 - RECENT
    if series.verdict == "outside_limits" or recent:
        signal = Signal("signal", series.rule, series.centre, lower, upper)
        if series.verdict == "outside_limits":
            better = (latest > (series.centre or 0.0)) == (direction == "up")
        else:
            better = series.shifts[0].up == (direction == "up")
        case: Case = "shift_better" if better else "shift_worse"
        return Reading(case, gap, signal, oldest_first, series.since, series)
    signal = Signal("noise", "within the natural limits", series.centre, lower, upper)
    if target is None:
        case = "no_target"
    else:
        on = latest >= target if direction == "up" else latest <= target
        case = "on_target" if on else "off_target_stable"
    return Reading(case, gap, signal, oldest_first, series.since, series)


def readable_periods(history: pl.DataFrame, start: dt.date) -> pl.DataFrame:
    """The periods a signal is read against: complete, large enough, measured, before
    ``start`` (the period under review), oldest first."""
    return history.filter(
        ~pl.col("partial")
        & pl.col("significant")
        & pl.col("value").is_not_null()
        & (pl.col("period") < start)
    ).sort("period")


def period_reading(
    history: pl.DataFrame, head: dict[str, Any] | None, start: dt.date, direction: str
) -> tuple[Reading, list[dt.date]]:
    """The signal of the period under review (starting ``start``, its run_details row ``head``)
    against the complete, large-enough periods of ``history`` (one metric's run_details by
    period) before it; and those periods with ``start``, to name a shift's start. One reading
    for the review page and the review pack."""
    done = readable_periods(history, start)
    latest = head.get("value") if head else None
    target = head.get("target") if head else None
    periods = [*done["period"].to_list(), start]
    ns = None
    if "n" in done.columns and head and head.get("n") is not None and done["n"].null_count() == 0:
        ns = [*done["n"].to_list(), head["n"]]
    reading = read_signal(
        done["value"].to_list(),
        latest,
        target=target,
        direction=direction,
        n=ns,
        periods=periods,
    )
    return reading, periods
