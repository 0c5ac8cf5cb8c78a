"""Bjøntegaard delta rate: how many more (or fewer) bits a codec needs than an anchor for the
same PSNR, averaged over the PSNR range both curves cover.

Interpolation (stated, so results can be compared): each curve is log(rate) as a function of PSNR,
through its points sorted by PSNR, by piecewise-cubic Hermite interpolation (PCHIP, SciPy's
``PchipInterpolator``: monotone, no overshoot between points — the variant later Bjøntegaard
tools use instead of the original single cubic polynomial). The mean log-rate difference over
the overlapping PSNR interval [max of the lows, min of the highs] is integrated exactly (PCHIP
pieces are cubics), and BD-rate = exp(mean difference) − 1. Each curve needs at least
:data:`MIN_POINTS` points; points that do not raise the PSNR over a cheaper point are dropped
first (a setting with more bits and less quality is off the curve); a curve left with too few
points, or no overlap, gives NaN.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.interpolate import PchipInterpolator

MIN_POINTS = 4


def monotone(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (rate, PSNR) points, by rate, each one of higher PSNR than every cheaper one."""
    out: list[tuple[float, float]] = []
    for rate, quality in sorted((float(r), float(p)) for r, p in points
                                if np.isfinite(r) and np.isfinite(p) and r > 0):
        if not out or quality > out[-1][1]:
            out.append((rate, quality))
    return out


def _log_rate_curve(points: list[tuple[float, float]]) -> PchipInterpolator:
    rates, psnrs = zip(*points)
    return PchipInterpolator(np.asarray(psnrs), np.log(np.asarray(rates)))


def bd_rate(anchor: Iterable[tuple[float, float]], test: Iterable[tuple[float, float]],
            min_points: int = MIN_POINTS) -> float:
    """BD-rate of ``test`` against ``anchor``, as a fraction (−0.2: 20 % fewer bits at equal
    PSNR); points are (rate, PSNR) — any rate unit, bpp here. NaN when it cannot be measured."""
    a, t = monotone(anchor), monotone(test)
    if len(a) < min_points or len(t) < min_points:
        return float("nan")
    lo = max(a[0][1], t[0][1])
    hi = min(a[-1][1], t[-1][1])
    if not hi > lo:
        return float("nan")
    fa, ft = _log_rate_curve(a), _log_rate_curve(t)
    diff = (ft.integrate(lo, hi) - fa.integrate(lo, hi)) / (hi - lo)
    return float(np.expm1(diff))


def rate_at(points: Iterable[tuple[float, float]], psnr: float) -> float:
    """The rate of a curve at ``psnr`` (the same PCHIP of log-rate); NaN outside its range or
    with fewer than two points."""
    pts = monotone(points)
    if len(pts) < 2 or not pts[0][1] <= psnr <= pts[-1][1]:
        return float("nan")
    return float(np.exp(_log_rate_curve(pts)(psnr)))


def overlap(anchor: Iterable[tuple[float, float]], test: Iterable[tuple[float, float]]
            ) -> tuple[float, float]:
    """The PSNR interval both curves cover (lo ≥ hi: none)."""
    a, t = monotone(anchor), monotone(test)
    if not a or not t:
        return float("nan"), float("nan")
    return max(a[0][1], t[0][1]), min(a[-1][1], t[-1][1])
