"""Signal against target: the case a reviewer acts on, from hand-made series."""

from __future__ import annotations

import pytest

from metrics.signals import find_shifts, read_series, read_signal, xmr_signal

WOBBLE = [0.01, -0.01, 0.005, -0.005, 0.008, -0.008, 0.003, -0.003, 0.006, -0.006]


def level(value: float, n: int, offset: int = 0) -> list[float]:
    """``n`` points alternating above and below ``value`` (never two on one side)."""
    return [value + WOBBLE[(i + offset) % len(WOBBLE)] for i in range(n)]


def test_stable_far_below_target_is_a_system_problem_not_noise():
    history = level(0.75, 12)
    reading = read_signal(history, 0.755, target=0.92)
    assert reading.case == "off_target_stable"
    assert reading.gap == pytest.approx(-0.165)
    assert reading.signal.verdict == "noise" and reading.shifts == ()


def test_stable_on_target_needs_no_reaction():
    reading = read_signal(level(0.95, 12), 0.951, target=0.92)
    assert reading.case == "on_target" and reading.gap == pytest.approx(0.031)


def test_lower_is_better_metrics_are_on_target_below_it():
    assert read_signal(level(30.0, 12), 30.0, target=40, direction="down").case == "on_target"
    assert (
        read_signal(level(45.0, 12), 45.0, target=40, direction="down").case == "off_target_stable"
    )


def test_a_point_outside_the_limits_is_a_shift_named_by_its_rule():
    reading = read_signal(level(0.80, 12), 0.60, target=0.92)
    assert reading.case == "shift_worse"
    assert "outside the natural limits (below)" in reading.signal.rule
    better = read_signal(level(0.80, 12), 0.95, target=0.92)
    assert better.case == "shift_better"
    down_good = read_signal(level(50.0, 12), 20.0, target=40, direction="down")
    assert down_good.case == "shift_better"


def test_a_step_weeks_ago_is_found_with_its_start_and_levels():
    series = level(0.86, 9) + level(0.74, 14, offset=3)
    shifts = find_shifts(series)
    assert len(shifts) == 1
    assert shifts[0].start == 9  # the first period at the new level
    assert shifts[0].before == pytest.approx(0.86, abs=0.005)
    assert shifts[0].after == pytest.approx(0.74, abs=0.005)
    assert not shifts[0].up and "level down" in shifts[0].rule


def test_after_a_step_the_new_level_is_judged_on_its_own():
    series = level(0.86, 9) + level(0.74, 14, offset=3)
    reading = read_signal(series[:-1], series[-1], target=0.92)
    assert reading.case == "off_target_stable"  # not a signal every week at the new level
    assert reading.since == 9
    assert reading.signal.centre == pytest.approx(0.74, abs=0.005)


def test_a_step_eight_periods_ago_is_a_recent_shift():
    series = level(0.86, 9) + [0.84, 0.845, 0.84, 0.842, 0.843, 0.841, 0.844]
    reading = read_signal(series, 0.842, target=0.80)
    assert reading.case == "shift_worse"
    assert "level down" in reading.signal.rule
    assert reading.shifts[-1].start == 9
    assert reading.series is not None and reading.series.verdict == "shift"


def test_small_wobbles_are_no_shift():
    assert find_shifts(level(0.86, 30)) == ()
    assert read_series(level(0.86, 30)).verdict == "stable"


def test_a_level_needs_min_level_periods():
    series = level(0.86, 12) + [0.80]
    assert find_shifts(series) == ()  # one low week is no level
    assert read_series(series).verdict == "outside_limits"  # but the latest is a signal


def test_verdict_as_review_json_with_dates_newest_first():
    import datetime as dt

    series = level(0.86, 10) + level(0.74, 12, offset=3) + level(0.80, 10, offset=5)
    days = [dt.date(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(len(series))]
    verdict = read_series(series, periods=days)
    data = verdict.as_json()
    assert data["verdict"] == "shift"
    assert [s["from"] for s in data["shifts"]] == ["2026-06-08", "2026-03-16"]
    assert [s["direction"] for s in data["shifts"]] == ["up", "down"]
    assert data["shifts"][0]["before"] == pytest.approx(0.74, abs=0.005)
    lower, upper = data["limits"]
    assert lower < data["centre"] < upper
    assert data["centre"] == pytest.approx(0.80, abs=0.005)
    assert read_series(series[:5]).verdict == "too_few_periods"


def test_proportions_use_binomial_limits_per_volume():
    # 80% over 400 units a week: the binomial standard error is 2 points
    flat = [0.80] * 20
    verdict = read_series(flat, n=[400] * 20)
    assert verdict.limits == (pytest.approx(0.74), pytest.approx(0.86))
    assert read_series([*flat[:-1], 0.73], n=[400] * 20).verdict == "outside_limits"
    assert read_series([*flat[:-1], 0.73], n=[*[400] * 19, 40]).verdict == "stable"


def test_no_target_and_too_short():
    assert read_signal(level(0.8, 12), 0.8, target=None).case == "no_target"
    short = read_signal([0.8, 0.9], 0.85, target=0.92)
    assert short.case == "too_short" and short.gap == pytest.approx(-0.07)
    assert read_signal(level(0.8, 12), None, target=0.92).case == "too_short"


def test_xmr_limits_from_the_moving_range():
    sig = xmr_signal([1.0, 2.0, 1.0, 2.0, 1.0, 2.0], 1.5)
    assert sig.centre == pytest.approx(1.5)
    assert (sig.lower, sig.upper) == (pytest.approx(1.5 - 2.66), pytest.approx(1.5 + 2.66))
