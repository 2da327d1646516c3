"""Operating characteristics of the review's signals, measured by simulation at the sample's
volumes (spec: metrics.md, "Statistics on the pages").

The weekly OTIF volumes below are the measured orders of the sample's 52 complete weeks before
the week of 9 Nov 2026 (``northstar demo``, then OTIF by week: the review's shift window).
Stable series: every week's OTIF drawn binomially around one true rate. Step: the true rate
moves by 3 standard errors (at the median week's volume) 8 weeks before the end. The review
claims a change when its verdict is not ``stable`` (a shift, or the latest week outside the
limits); a step is found when a shift is claimed, dated when one starts within 2 weeks of it.
"""

from __future__ import annotations

import numpy as np
import pytest

from metrics.signals import read_series, read_signal

SAMPLE_WEEKLY_N = (
    *(367, 386, 412, 380, 350, 366, 409, 381, 384, 413, 420, 348, 421, 368, 380, 419, 392),
    *(424, 399, 407, 377, 380, 440, 377, 369, 409, 362, 410, 407, 397, 382, 362, 384, 421),
    *(392, 369, 402, 360, 367, 376, 397, 360, 366, 380, 374, 388, 399, 380, 402, 392, 391),
    360,
)
SERIES = 1000
STEP_SE = 3.0
STEP_BEFORE_END = 8


def simulate(window: int, rate: float, step: float, *, seed: int) -> dict[str, float]:
    """Claim rate, find rate, dated-within-2 rate and mean dating error over ``SERIES`` series."""
    rng = np.random.default_rng(seed)
    n = np.array(SAMPLE_WEEKLY_N[-window:])
    true = np.full(window, rate)
    at = window - STEP_BEFORE_END
    true[at:] += step * np.sqrt(rate * (1 - rate) / np.median(n))
    claimed = found = dated = 0
    errors = []
    for _ in range(SERIES):
        values = rng.binomial(n, true) / n
        verdict = read_series(values.tolist(), n=n.tolist())
        claimed += verdict.verdict != "stable"
        if verdict.shifts:
            found += 1
            error = min(abs(s.start - at) for s in verdict.shifts)
            dated += error <= 2
            errors.append(error)
    return {
        "claimed": claimed / SERIES,
        "found": found / SERIES,
        "dated": dated / SERIES,
        "error": float(np.mean(errors)) if errors else float("nan"),
    }


@pytest.mark.parametrize("window", [52, 13])  # the review's shift window; its trend window
@pytest.mark.parametrize("rate", [0.75, 0.86])  # the sample's OTIF now, and a year ago
def test_stable_series_are_read_as_stable(window, rate):
    got = simulate(window, rate, 0.0, seed=window * 100 + int(rate * 100))
    print(f"stable, {window} weeks at {rate:.0%}: a change claimed in {got['claimed']:.1%}")
    assert got["claimed"] <= 0.10


@pytest.mark.parametrize("window", [52, 13])
@pytest.mark.parametrize("sign", [-1, 1])
def test_a_three_standard_error_step_is_found_and_dated(window, sign):
    got = simulate(window, 0.75, sign * STEP_SE, seed=window * 10 + sign)
    print(
        f"step {sign * STEP_SE:+.0f} SE, {window} weeks: claimed {got['claimed']:.1%}, "
        f"shift found {got['found']:.1%}, dated within 2 weeks {got['dated']:.1%}, "
        f"mean dating error {got['error']:.2f} weeks"
    )
    assert got["claimed"] >= 0.90
    assert got["dated"] >= 0.90


def test_the_review_reading_follows_the_verdict():
    """``read_signal`` (the review page, pack and alerts) reads the same verdict: a step 8
    weeks ago is a recent shift, for the worse when the metric should go up."""
    rng = np.random.default_rng(7)
    n = np.array(SAMPLE_WEEKLY_N)
    true = np.full(52, 0.86)
    true[-8:] -= 3 * np.sqrt(0.86 * 0.14 / np.median(n))
    values = (rng.binomial(n, true) / n).tolist()
    reading = read_signal(values[:-1], values[-1], target=0.92, n=n.tolist())
    assert reading.series is not None and reading.series.verdict in ("shift", "outside_limits")
    assert reading.case == "shift_worse"
    assert abs(reading.shifts[-1].start - 44) <= 2
