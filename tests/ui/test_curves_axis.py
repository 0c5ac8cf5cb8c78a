"""The PSNR curves against iterations, each model's own seconds, or the operations it
computed, chosen above the plot (and remembered); MACs per pixel in the table."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from ui_helpers import *  # noqa: F403
from ui_helpers import wait_idle


def _index(window, axis: str) -> int:
    return [window.axis_choice.itemData(i) for i in range(window.axis_choice.count())].index(axis)


def test_the_axis_switch_redraws_the_same_points(window, qtbot) -> None:
    from inr_studio.engine.operations import operations

    window.panel.picker.set_models(("siren", "siren-matched"))
    window._panel_changed()
    window.panel.iters.setValue(12)
    assert window.wait_loaded()
    window.start_training()
    wait_idle(qtbot, window)
    plot, s = window.plot, window.session
    specs = {sp.key: sp for sp in s.model_specs()}
    h, w = s.working.shape[:2]
    train = s.settings.train_config()
    for kind in specs:  # MACs per pixel beside the parameters
        assert window.table.text_at(kind, "MACs/px") == f"{specs[kind].macs_per_pixel():,}"
    wide, narrow = specs["siren-matched"].macs_per_pixel(), specs["siren"].macs_per_pixel()
    assert wide > 2 * narrow

    steps, psnr = plot.series("siren")
    assert list(steps) == list(range(12))
    assert list(plot.curves["siren"].xData) == list(steps)

    window.axis_choice.setCurrentIndex(_index(window, "operations"))
    assert plot.axis == "operations" and "multiply-accumulates" in \
        plot.getAxis("bottom").labelText
    for kind, spec in specs.items():
        st, ps = plot.series(kind)
        assert np.array_equal(plot.curves[kind].xData, operations(spec, train, h, w, st))
        assert np.array_equal(plot.curves[kind].yData, ps)
    # equal steps, unequal work: the wide SIREN's curve reaches further right
    assert plot.curves["siren-matched"].xData[-1] > 2 * plot.curves["siren"].xData[-1]
    assert plot.viewRange()[0][1] >= plot.curves["siren-matched"].xData[-1]

    window.axis_choice.setCurrentIndex(_index(window, "seconds"))
    for kind in specs:
        x = plot.curves[kind].xData
        own = s.record.final[kind]["step"] / s.record.final[kind]["iters_per_s"]
        assert np.all(np.diff(x) >= 0) and 0 < x[-1] <= own + 1e-9
        assert np.array_equal(x, np.asarray(s.record.seconds[kind]))  # the record's too
    assert window.store.view_value("curves_axis", -1, -1, 9) == _index(window, "seconds")

    window.axis_choice.setCurrentIndex(_index(window, "iterations"))
    assert list(plot.curves["siren"].xData) == list(range(12))


def test_compute_clock_places_points_between_batches() -> None:
    from inr_studio.ui.curves import ComputeClock

    clock = ComputeClock()
    # 10 steps in 2 s of the model's own time, then 10 more in 1 s
    assert list(clock.seconds("a", np.arange(10), 10, 5.0)) == pytest.approx(
        [0.2 * i for i in range(10)])
    assert list(clock.seconds("a", np.arange(10, 20), 20, 20 / 3.0)) == pytest.approx(
        [2.0 + 0.1 * i for i in range(10)])
