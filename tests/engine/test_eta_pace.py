"""The ETA's pace (``engine/pace.py``): the recent window's work per second, the whole run's
until a window has passed."""

from __future__ import annotations

import math

import pytest

from inr_studio.engine.pace import RecentPace


def test_the_pace_is_the_whole_run_s_until_a_window_has_passed() -> None:
    pace = RecentPace(window_s=10.0)
    assert pace.rate() == 0.0 and math.isnan(pace.eta_s(5.0))
    pace.add(2.0, 1.0)  # a slow start (building, first-use costs)
    pace.add(4.0, 5.0)
    assert pace.rate() == pytest.approx(5.0 / 4.0)


def test_after_a_window_only_the_recent_pace_counts() -> None:
    """A cheap phase then a dear one: the ETA must follow the phase now running."""
    pace = RecentPace(window_s=10.0)
    for t in range(1, 21):  # 4 units a second for 20 s
        pace.add(float(t), 4.0 * t)
    for t in range(21, 41):  # then 1 unit a second
        pace.add(float(t), 80.0 + (t - 20))
    assert pace.rate() == pytest.approx(1.0)
    assert pace.eta_s(30.0) == pytest.approx(30.0)


def test_the_window_spans_its_whole_length_with_sparse_samples() -> None:
    pace = RecentPace(window_s=10.0)
    pace.add(1.0, 1.0)
    pace.add(12.0, 12.0)
    pace.add(30.0, 48.0)  # 2 units a second since 12 s
    assert pace.rate() == pytest.approx(36.0 / 18.0)
