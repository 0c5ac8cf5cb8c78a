"""The rate–distortion tab: the codecs' curves as soon as an image opens, the models' ladder
estimated before it starts and computed in the background with progress, a clicked point
saved as that very file, stop, and nothing to measure before training."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_the_codecs_curves_appear_when_an_image_opens(window, qtbot, other_png) -> None:
    """JPEG, WebP and AVIF of the working image are drawn without any training; a new
    picture gets its own; the models' curves need a run first."""
    from inr_studio.studies.anchors import QUALITIES, available, point

    view = window.rd_view
    assert view is not None  # built with the other views, before the tab is shown
    qtbot.waitUntil(lambda: not view.anchors_running, timeout=60_000)
    working = window.session.working
    assert view.anchor_size == working.shape[:2]
    formats = available()[0]
    assert {"JPEG", "WEBP"} <= set(formats) and set(view._anchors) == set(formats)
    for fmt in formats:
        assert sorted(p.quality for p in view._anchors[fmt]) == sorted(QUALITIES)
        assert len(view._items[("anchor", fmt)].xData) == len(QUALITIES)  # drawn
    first = view._anchors["JPEG"][0]
    assert first == point(working, "JPEG", first.quality)  # of the working image itself
    assert "JPEG, WebP and AVIF at the working size" in view.status.text()
    window.tabs.setCurrentWidget(view)
    assert window.compute_rd() is False
    assert "train the models first" in window.messages.text()

    assert window.open_image(str(other_png)) and window.wait_loaded()
    qtbot.waitUntil(lambda: not view.anchors_running, timeout=60_000)
    assert view.anchor_size == window.session.working.shape[:2] != working.shape[:2]
    assert all(len(v) == len(QUALITIES) for v in view._anchors.values())


def test_the_ladder_is_estimated_before_it_starts(trained, qtbot) -> None:
    view = trained.ensure_rd_view()
    view.qat_steps.setValue(2)
    view.families = ("plain", "qat")
    assert view.estimate_label.text() == ""
    trained.tabs.setCurrentWidget(view)  # looking at the tab after a run starts the estimate
    qtbot.waitUntil(lambda: not view.estimate_lane.busy, timeout=60_000)
    assert view.estimate_label.text().startswith("about ")
    assert set(view.clock.units) == set(trained.session.trainers)
    short = view.clock.total_s(2, view.families)
    view.qat_steps.setValue(40)  # more fine-tuning steps: a longer estimate, not re-measured
    assert view.clock.total_s(40, view.families) > short > 0
    assert "fine-tuning step" in view.estimate_label.toolTip()
    view.qat_steps.setValue(2)
    assert trained.compute_rd()
    assert not view.progress.isHidden()  # the bar shows while the ladder runs
    qtbot.waitUntil(lambda: not view.running, timeout=180_000)
    assert view.progress.value() == view.progress.maximum() > 0
    assert view.estimate_label.text().startswith("took ")


def test_curves_in_the_background_and_a_clicked_point_saves_its_file(
        trained, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
    # a real click on a drawn point asks where, then saves that point's file
    from PySide6.QtWidgets import QFileDialog
    from ui_helpers import click_plot_point, isolated_point

    qtbot.waitUntil(lambda: not view.anchors_running, timeout=60_000)  # the range is final
    item = view._items[("siren", "plain")]
    index = isolated_point(view.plot, item)
    clicked = item.scatter.points()[index].data()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a: (str(tmp_path / "clicked.sinr"), a[-1]))
    click_plot_point(qtbot, view.plot, item, index)
    assert (tmp_path / "clicked.sinr").read_bytes() == clicked.data


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
    old_size = view.anchor_size
    assert trained.open_image(str(other_png)) and trained.wait_loaded()
    assert trained.session.name == "other.png"
    assert not view.points() and view.progress.value() == 0 and view.compute_btn.isEnabled()
    qtbot.waitUntil(lambda: not view.anchors_running, timeout=60_000)
    assert view.anchor_size != old_size and view._anchors  # the new picture's codecs
    assert not [k for k in view._items if k[0] != "anchor"]  # no model curve is left
