"""The latent grids' λ ladder on the rate–distortion tab: with only the latent model trained the
compute button runs its ladder in the background (one training per λ, the window's settings),
its curve gets one point per λ, *Stop* ends a training in progress, and a clicked point saves
that very file."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from ui_helpers import (check_model, click_plot_point, click_tab, fix_run, isolated_point,
                        wait_idle)

LAMBDAS = (2e-2, 6e-4)
CURVE = ("latent", "latent")


@pytest.fixture
def latent_only(open_window, other_png: Path, qtbot):
    """A window on a 32×24 picture after 10 steps of the latent grids alone."""
    window = open_window(other_png)
    check_model(window, "latent", True)
    for key in window.session.settings.models:
        if key != "latent":
            check_model(window, key, False)
    assert window.session.settings.models == ("latent",)
    fix_run(window.panel, 10)
    window.panel.start_btn.click()
    wait_idle(qtbot, window, 60_000)
    assert set(window.session.trainers) == {"latent"}, window.messages.text()
    view = window.ensure_rd_view()
    view.lambdas = LAMBDAS
    return window, view


def test_the_compute_button_runs_the_latent_ladder(latent_only, qtbot) -> None:
    from PySide6.QtCore import Qt

    window, view = latent_only
    click_tab(window, qtbot, "Rate–distortion")  # the estimate: one forecast training per λ
    qtbot.waitUntil(lambda: not view.estimate_lane.busy, timeout=60_000)
    assert view.clock.units == {} and view.clock.latent.settings == ("lambda-0.02",
                                                                     "lambda-0.0006")
    assert view.estimate_label.text().startswith("about ")
    assert "one training per λ" in view.estimate_label.toolTip()
    qtbot.waitUntil(lambda: not view.anchors_running, timeout=60_000)
    qtbot.mouseClick(view.compute_btn, Qt.MouseButton.LeftButton)
    assert view.running and not view.compute_btn.isEnabled() and view.stop_btn.isEnabled()
    assert "once per λ" in view.status.text()
    qtbot.waitUntil(lambda: not view.running, timeout=60_000)
    assert "failed" not in window.messages.text()
    assert view.progress.value() == view.progress.maximum() == len(LAMBDAS)
    points = view.points()
    assert list(points) == [CURVE]
    assert [p.lam for p in points[CURVE]] == list(LAMBDAS)
    # a larger λ trades quality for a smaller file: the larger one codes fewer bits
    assert points[CURVE][0].bpp < points[CURVE][1].bpp
    item = view._items[CURVE]
    assert sorted(item.xData) == sorted(p.bpp for p in points[CURVE])  # drawn
    assert "Latent grids λ ladder" in [label.text for _, label in view.legend.items]
    assert view.bd_rates.text_at("Latent grids λ ladder", "points") == str(len(LAMBDAS))
    # two points are too few for a BD-rate: said, not a number made up
    assert view.bd_rates.text_at("Latent grids λ ladder", "BD-rate vs JPEG") == "n/a"
    assert view.estimate_label.text().startswith("took ")


def test_a_clicked_latent_point_saves_its_file(latent_only, qtbot, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    from inr_studio.codec import decode_bytes
    from inr_studio.metrics import psnr

    window, view = latent_only
    window.tabs.setCurrentWidget(view)
    assert window.compute_rd()
    # the codecs' curves too: the plot fits its range to every curve, so a point drawn before
    # the last of them arrives would move under the click
    qtbot.waitUntil(lambda: not view.running and not view.anchors_running, timeout=60_000)
    asked = []

    def save_as(parent, title, suggested, filters):
        asked.append(suggested)
        return str(tmp_path / "picked"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    item = view._items[CURVE]
    index = isolated_point(view.plot, item)
    point = item.scatter.points()[index].data()
    with qtbot.waitSignal(view.saved, timeout=5_000) as saved:
        click_plot_point(qtbot, view.plot, item, index)
    assert asked and asked[0].endswith(f"other_latent_{point.setting}.sinr")
    path = Path(saved.args[0])
    assert path == tmp_path / "picked.sinr"
    data = path.read_bytes()
    assert data == point.data
    decoded = decode_bytes(data)
    assert decoded.bpp == pytest.approx(point.bpp, rel=1e-12)
    assert psnr(decoded.render(), window.session.working) == pytest.approx(point.psnr, abs=1e-9)
    assert point.setting in view.status.text()


def test_stop_ends_a_latent_training_in_progress(latent_only, qtbot) -> None:
    """A training far too long to finish in the test: *Stop* ends it at its next step."""
    from dataclasses import replace

    from PySide6.QtCore import Qt

    from inr_studio.studies.ladder_run import LatentPlan

    window, view = latent_only
    window.tabs.setCurrentWidget(view)
    train = replace(window.session.trainers["latent"].config, iters=1_000_000)
    assert view.start(window.session.working, {}, "other", LatentPlan(train, LAMBDAS))
    qtbot.waitUntil(lambda: view.progress.maximum() == len(LAMBDAS), timeout=10_000)
    job = view.lane.current
    qtbot.wait(300)  # the training is under way
    qtbot.mouseClick(view.stop_btn, Qt.MouseButton.LeftButton)
    assert not view.running and view.compute_btn.isEnabled() and not view.stop_btn.isEnabled()
    assert job.wait(20_000)  # the thread ended within a few steps, not a million
    qtbot.wait(50)  # anything it still sent is dropped
    assert view.points() == {} and CURVE not in view._items
