"""The rate–distortion tab: curves of the codecs and of each trained model computed in the
background with progress, a clicked point saved as that very file, stop, and nothing to
measure before training."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_nothing_to_measure_before_training(window) -> None:
    assert window.rd_view is None  # built on first use, not at start-up
    window.tabs.setCurrentIndex(window.tabs.count() - 1)
    assert window.rd_view is not None and window.tabs.currentWidget() is window.rd_view
    assert window.compute_rd() is False
    assert "train the models first" in window.messages.text()


def test_curves_in_the_background_and_a_clicked_point_saves_its_file(trained, qtbot,
                                                                      tmp_path: Path) -> None:
    from inr_studio.codec import read_sinr
    from inr_studio.metrics import psnr

    view = trained.ensure_rd_view()
    view.qat_steps.setValue(2)
    view.families = ("plain", "qat")
    assert trained.compute_rd()
    assert view.running and not view.compute_btn.isEnabled()
    qtbot.waitUntil(lambda: not view.running, timeout=180_000)
    assert view.progress.value() == view.progress.maximum() > 0
    pts = view.points()
    keys = set(trained.session.trainers)
    assert {k for k, _ in pts} == keys and {f for _, f in pts} == {"plain", "qat"}
    assert {"JPEG", "WEBP"} <= set(view._anchors)
    point = pts[("siren", "qat")][0]
    path = view.save_point(point, tmp_path / "picked")
    assert path == tmp_path / "picked.sinr" and path.read_bytes() == point.data
    f = read_sinr(path)
    assert psnr(f.render(), trained.session.working) == pytest.approx(point.psnr, abs=1e-9)


def test_stop_ends_the_measurement(trained, qtbot) -> None:
    view = trained.ensure_rd_view()
    view.qat_steps.setValue(50)
    assert trained.compute_rd()
    view.stop()
    assert not view.running and view.compute_btn.isEnabled()
    assert view.lane.wait(60_000)  # the measurement's thread ends at its next point
    assert view.progress.value() < max(1, view.progress.maximum())


def test_a_new_image_clears_the_curves(trained, qtbot, other_png) -> None:
    view = trained.ensure_rd_view()
    view.qat_steps.setValue(1)
    view.families = ("plain",)
    assert trained.compute_rd()
    qtbot.waitUntil(lambda: not view.running, timeout=180_000)
    assert view.points() and view._anchors
    assert trained.open_image(str(other_png)) and trained.wait_loaded()
    assert trained.session.name == "other.png"
    assert not view.points() and not view._anchors and view.progress.value() == 0
    assert "New picture" in view.status.text() and view.compute_btn.isEnabled()
