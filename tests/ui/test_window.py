"""The window without training: start on the sample, drops (good and bad), maps, settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from paths import REPO
from ui_helpers import drop_files, write_png


def test_starts_on_bundled_sample_ready_to_train(open_window) -> None:
    win = open_window(sample=True)
    assert win.session.name == "astronaut.png"
    assert win.session.working.shape == (256, 256, 3)  # CPU default working size
    assert win.compare.original is not None
    assert win.maps_view.seg_item.image is not None
    assert win.panel.start_btn.isEnabled()
    assert "256×256" in win.panel.size_label.text() and "512×512" in win.panel.size_label.text()
    assert "cpu" in win.device_label.text()
    assert win.samples_menu.actions(), "the sample menu lists the bundled images"


def test_real_drop_replaces_image(window, other_png: Path) -> None:
    before = window.session.working
    accepted = drop_files(window, [other_png])
    assert accepted == (True, True)
    assert window.session.name == "other.png"
    assert window.session.working.shape == (24, 32, 3)
    assert window.session.working is not before
    assert np.array_equal(window.compare.original.shape, (24, 32, 3))
    assert str(other_png.resolve()) in window.store.recent_files()
    assert window.messages.text() == ""


@pytest.mark.parametrize("case", ["corrupt", "folder", "two files", "text"])
def test_bad_drop_keeps_image_and_shows_message(window, tmp_path: Path, other_png: Path,
                                                case: str) -> None:
    if case == "corrupt":
        bad = tmp_path / "broken.png"
        bad.write_bytes(other_png.read_bytes()[:60])  # a truncated PNG
        paths, expect = [bad], "broken.png"
    elif case == "folder":
        paths, expect = [tmp_path], "folder"
    elif case == "two files":
        paths, expect = [other_png, other_png], "one image at a time"
    else:
        bad = tmp_path / "notes.txt"
        bad.write_text("not an image")
        paths, expect = [bad], "notes.txt"
    name, working = window.session.name, window.session.working
    drop_files(window, paths)
    assert expect in window.messages.text()
    assert window.messages.level == "error"
    assert window.session.name == name and window.session.working is working


def test_large_image_gets_a_working_size(window, tmp_path: Path, small_image) -> None:
    from inr_studio.imaging import resize_image

    big = write_png(tmp_path / "big.png", resize_image(small_image, 300, 400))
    panel = window.panel
    panel.long_side.setCurrentIndex(panel.long_side.findData(64))
    assert window.open_image(str(big)) and window.wait_loaded()
    assert window.session.working.shape == (48, 64, 3)
    assert "64×48" in panel.size_label.text() and "400×300" in panel.size_label.text()
    assert "working 64×48" in window.image_label.text()
    panel.long_side.setCurrentIndex(panel.long_side.findData(128))
    assert window.wait_loaded()  # the new working copy is made off the GUI thread
    assert window.session.working.shape == (96, 128, 3)
    assert window.compare.original.shape == (96, 128, 3)
    assert window.session.maps.segmentation.class_map.shape == (96, 128)
    panel.long_side.setCurrentIndex(panel.long_side.findData(0))  # the image's own size
    assert window.wait_loaded()
    assert window.session.working.shape == (300, 400, 3)


def test_segmentation_controls_update_maps(window) -> None:
    maps = window.maps_view

    def seg_colours() -> int:
        img = maps.seg_item.image
        return len(np.unique(img.reshape(-1, 3), axis=0))

    assert seg_colours() == 4 and len(maps.threshold_lines) == 3
    maps.classes.setValue(3)
    window.wait_loaded()  # maps are made off the GUI thread
    assert window.session.settings.seg_classes == 3
    assert seg_colours() == 3 and len(maps.threshold_lines) == 2
    otsu = [line.value() for line in maps.threshold_lines]
    maps.method.setCurrentIndex(maps.method.findData("equal"))
    window.wait_loaded()  # maps are made off the GUI thread
    equal = [line.value() for line in maps.threshold_lines]
    assert window.session.settings.seg_method == "equal" and equal != otsu
    counts = window.session.maps.segmentation.class_counts
    assert counts.max() - counts.min() <= 0.1 * counts.sum()  # equal bins: about equal classes
    maps.classes.setValue(6)  # more classes: equal bins only
    window.wait_loaded()  # maps are made off the GUI thread
    assert seg_colours() == 6 and window.session.settings.seg_classes == 6
    maps.method.setCurrentIndex(maps.method.findData("multiotsu"))
    window.wait_loaded()  # maps are made off the GUI thread
    assert window.session.settings.seg_classes == 4 and seg_colours() == 4
    maps.method.setCurrentIndex(maps.method.findData("equal"))
    window.wait_loaded()  # maps are made off the GUI thread

    hs = maps.layer_items["hs"]
    last = hs[-1].image.copy()
    first = hs[0].image.copy()
    maps.layer.setCurrentIndex(maps.layer.findData(1))
    window.wait_loaded()  # maps are made off the GUI thread
    labels = [label for label, _ in window.session.maps.layers["hs"]]
    assert "segmentation" in labels[0] and "segmentation" not in labels[-1]
    assert not np.array_equal(hs[0].image, first) and not np.array_equal(hs[-1].image, last)
    assert window.session.settings.effective_seg_layer == 1


def test_original_on_space_and_error_toggle(window, qtbot) -> None:
    from PySide6.QtCore import Qt

    from inr_studio.engine.messages import PreviewFrame

    h, w = window.session.working.shape[:2]
    kinds = ("siren", "ftc", "qt", "hs")
    rec = {k: np.full((h, w, 3), 40 + i, np.uint8) for i, k in enumerate(kinds)}
    err = {k: np.full((h, w), 0.1, np.float32) for k in rec}
    frame = PreviewFrame(window.controller.generation, {k: 1 for k in rec}, rec, err,
                         {k: 20.0 for k in rec}, {k: 0.5 for k in rec}, error_scale=0.2)
    window.compare.show_frame(frame)
    assert np.array_equal(window.compare.current_image("ftc"), rec["ftc"])
    window.compare.setFocus()
    qtbot.keyPress(window.compare, Qt.Key.Key_Space)
    assert np.array_equal(window.compare.current_image("ftc"), window.compare.original)
    qtbot.keyRelease(window.compare, Qt.Key.Key_Space)
    assert np.array_equal(window.compare.current_image("ftc"), rec["ftc"])
    window.original_action.setChecked(True)  # the O toggle
    assert np.array_equal(window.compare.current_image("hs"), window.compare.original)
    window.original_action.setChecked(False)
    window.compare.error_btn.setChecked(True)
    assert window.compare.current_image("qt").ndim == 2 and window.error_action.isChecked()
    assert "0.200" in window.compare.scale_label.text()


def test_panels_zoom_and_pan_together(window) -> None:
    """Linked X/Y: the four panels look at the same place (aspect lock may widen a range a
    little where a panel is a few pixels wider, so compare centres and spans)."""
    boxes = window.compare.boxes

    def centre_span(kind: str) -> np.ndarray:
        r = np.array(boxes[kind].viewRange())
        return np.concatenate([r.mean(axis=1), r[:, 1] - r[:, 0]])

    before = centre_span("siren")
    boxes["qt"].setRange(xRange=(4, 12), yRange=(6, 14), padding=0)  # zoom into one panel
    target = centre_span("qt")
    assert np.allclose(target[:2], (8, 10)) and target[2] < 0.6 * before[2]
    for kind in ("siren", "ftc", "hs"):
        got = centre_span(kind)
        assert np.allclose(got[:2], target[:2], atol=0.01)
        assert np.allclose(got[2:], target[2:], rtol=0.2)
    boxes["siren"].translateBy(x=3, y=-2)  # pan another one
    for kind in ("ftc", "qt", "hs"):
        assert np.allclose(centre_span(kind)[:2], target[:2] + (3, -2), atol=0.01)


def test_settings_and_geometry_persist(open_window, tiny_png: Path) -> None:
    first = open_window(tiny_png)
    first.panel.seed.setValue(7)
    first.maps_view.classes.setValue(3)
    first.maps_view.opacity.setValue(35)
    first.resize(787, 711)  # within the 800×800 offscreen screen
    first.close()
    second = open_window()
    s = second.session.settings
    assert (s.seed, s.seg_classes) == (7, 3)
    assert second.panel.seed.value() == 7
    assert second.maps_view.classes.value() == 3
    assert second.maps_view.opacity.value() == 35  # the maps' opacity is kept too
    assert (second.size().width(), second.size().height()) == (787, 711)
    assert str(tiny_png.resolve()) in second.store.recent_files()
    assert second.recent_menu.actions()[0].text() == str(tiny_png.resolve())


RUN_APP = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from inr_studio.ui.app import run_app
from inr_studio.ui.main_window import MainWindow
app = QApplication(sys.argv[:1])
import time
t0 = time.monotonic()
def check_and_quit():  # the image loads in a thread after the first paint: poll for it
    wins = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if (not wins or not all(w.session.name for w in wins)) and time.monotonic() - t0 < 60:
        QTimer.singleShot(50, check_and_quit)
        return
    print("opened:", [w.session.name for w in wins], flush=True)
    for w in wins:
        w.close()
QTimer.singleShot(50, check_and_quit)
sys.exit(run_app(sys.argv[1] if len(sys.argv) > 1 else None))
"""


def test_run_app_opens_window_and_exits(tiny_png: Path, settings_dir: Path) -> None:
    """The real entry point in its own interpreter (after a QApplication.exec() inside the
    pytest process, later event loops there starved worker threads): it opens the window on
    the image given and returns 0 when the window is closed. (The bundled sample at start is
    tested in-process above.)"""
    import os
    import subprocess
    import sys

    repo = REPO
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", INR_STUDIO_SETTINGS_DIR=str(settings_dir),
               PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    args = [sys.executable, "-c", RUN_APP, str(tiny_png)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, cwd=repo)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "opened: ['tiny.png']" in proc.stdout
    assert (settings_dir / "inr-studio.ini").is_file()  # geometry and settings saved on exit


def test_a_damaged_stored_view_value_falls_back_to_its_default(tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from inr_studio.ui.settings import SettingsStore

    q = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    store = SettingsStore(q)
    for bad in ("lots", "250", "-3", ""):
        q.setValue("view/maps_opacity", bad)
        assert store.view_value("maps_opacity", 60, 0, 100) == 60, bad
    store.set_view_value("maps_opacity", 35)
    assert store.view_value("maps_opacity", 60, 0, 100) == 35
