"""BD-rate against cases whose answer is known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inr_studio.studies.bdrate import bd_rate, monotone, overlap, rate_at


def curve(a: float, b: float, psnrs) -> list[tuple[float, float]]:
    """Points of log(rate) = a + b·PSNR."""
    return [(math.exp(a + b * p), p) for p in psnrs]


def test_same_curve_is_zero() -> None:
    pts = curve(-5.0, 0.15, [25, 28, 31, 34, 37])
    assert bd_rate(pts, pts) == pytest.approx(0.0, abs=1e-12)


def test_constant_rate_ratio_is_that_ratio() -> None:
    anchor = [(0.2, 26.0), (0.45, 29.5), (0.8, 31.0), (1.6, 35.2), (2.9, 38.0)]
    test = [(0.8 * r, p) for r, p in anchor]
    assert bd_rate(anchor, test) == pytest.approx(-0.2, abs=1e-12)
    assert bd_rate(test, anchor) == pytest.approx(0.25, abs=1e-12)


def test_shifted_exponential_curves_at_other_psnrs() -> None:
    # log r = a + b·P with the same slope: the log-rate gap is a' − a at every PSNR, whatever
    # points each curve was sampled at (PCHIP reproduces a straight line exactly).
    anchor = curve(-6.0, 0.2, [24, 27, 30, 33, 36])
    test = curve(-6.0 + math.log(1.37), 0.2, [25.5, 28, 29, 31.5, 34, 38])
    assert bd_rate(anchor, test) == pytest.approx(0.37, abs=1e-12)
    assert overlap(anchor, test) == (25.5, 36)


def test_nonlinear_gap_is_the_mean_log_difference() -> None:
    # anchor: log r = P/10 ; test: log r = P/10 + (P − 30)²/100 over [26, 34] both.
    ps = np.linspace(26, 34, 41)
    anchor = [(math.exp(p / 10), p) for p in ps]
    test = [(math.exp(p / 10 + (p - 30) ** 2 / 100), p) for p in ps]
    mean_gap = (2 * 4 ** 3 / 3) / 100 / 8  # ∫(P−30)²/100 dP over [26, 34], divided by 8
    assert bd_rate(anchor, test) == pytest.approx(math.expm1(mean_gap), rel=1e-4)


def test_too_few_points_or_no_overlap_is_nan() -> None:
    anchor = curve(-5.0, 0.15, [25, 28, 31, 34])
    assert math.isnan(bd_rate(anchor, anchor[:3]))
    assert math.isnan(bd_rate(anchor, curve(-5.0, 0.15, [40, 41, 42, 43])))


def test_points_off_the_curve_are_dropped_and_rates_read_back() -> None:
    pts = [(1.0, 30.0), (2.0, 29.0), (0.5, 27.0), (3.0, 33.0)]
    assert monotone(pts) == [(0.5, 27.0), (1.0, 30.0), (3.0, 33.0)]
    assert rate_at(pts, 30.0) == pytest.approx(1.0)
    assert math.isnan(rate_at(pts, 34.0))


def test_the_best_front_keeps_the_settings_nothing_beats() -> None:
    from inr_studio.studies.ladder_report import Mean, bd_table, best_front

    pts = [(0.5, 20.0), (0.4, 21.0), (0.6, 20.5), (0.8, 25.0), (0.8, 24.0), (1.0, 24.5),
           (1.2, 28.0)]
    assert best_front(pts) == [(0.4, 21.0), (0.8, 25.0), (1.2, 28.0)]
    # in the table: a "best" row per model, over every family, measured like the others
    ms = [Mean("jpeg", "jpeg", f"q{q}", 1, 0.25 * q, 20.0 + 2 * q, math.nan) for q in range(1, 7)]
    ms += [Mean("m", "plain", f"p{b}", 1, 0.2 * b, 18.0 + 2 * b, 25.0) for b in range(1, 6)]
    ms += [Mean("m", "alloc", f"a{b}", 1, 0.2 * b - 0.05, 18.0 + 2 * b, 25.0) for b in range(1, 6)]
    rows = {r[1]: r for r in bd_table(ms)}
    assert rows["best"][2] == 5 and rows["best"][6] < 0  # the alloc points, fewer bits than plain
    assert rows["best"][3] == pytest.approx(rows["alloc"][3])
