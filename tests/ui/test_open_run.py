"""File ▸ Save run… then File ▸ Open run…: the run comes back with its panels, curves, table
and settings, equal to what was saved; it can be restarted and exported; a damaged or foreign
file is one message and the window keeps what it had."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from ui_helpers import *  # noqa: F403
from ui_helpers import make_window, wait_idle

KINDS = ("siren", "hs")


@pytest.fixture
def saved(window, qtbot, tmp_path: Path):
    window.panel.picker.set_models(KINDS)
    window._panel_changed()
    window.panel.seed.setValue(3)
    window.panel.iters.setValue(12)
    assert window.wait_loaded()
    window.start_training()
    wait_idle(qtbot, window)
    path = window.save_run(tmp_path / "astronaut")
    assert path == tmp_path / "astronaut.inrrun" and path.is_file(), window.messages.text()
    shown = {k: window.compare.current_image(k).copy() for k in KINDS}
    table = {k: window.table.text_at(k, "PSNR (dB)") for k in KINDS}
    return window, path, shown, table


def test_a_saved_run_opens_again_as_it_was(saved, qtbot, other_png, tmp_path) -> None:
    first, path, shown, table = saved
    rec = first.session.record
    curves = {k: (list(rec.steps[k]), list(rec.psnr[k]), list(rec.seconds[k])) for k in KINDS}
    final_psnr = {k: rec.final[k]["psnr_db"] for k in KINDS}
    settings = first.session.settings

    win = make_window(qtbot, other_png)  # another window, on another picture
    try:
        assert win.open_run(path) and win.wait_run_opened()
        assert "Opened the run" in win.messages.text(), win.messages.text()
        s = win.session
        assert s.settings == settings and win.panel.settings(s.settings) == settings
        assert s.name == "tiny.png" and np.array_equal(s.working, first.session.working)
        for k in KINDS:
            assert (s.record.steps[k], s.record.psnr[k], s.record.seconds[k]) == curves[k]
            steps, psnr = win.plot.series(k)
            assert list(steps) == curves[k][0] and list(psnr) == curves[k][1]
            assert np.array_equal(win.compare.current_image(k), shown[k])  # the same panels
            assert not win.compare.is_faded(k)
            assert win.table.text_at(k, "PSNR (dB)") == table[k]
            assert win.table.text_at(k, "Step") == "12 / 12"
            assert win.compare.frame.psnr[k] == final_psnr[k]  # re-rendered: the same PSNR
        qtbot.waitUntil(lambda: s.maps is not None, timeout=10_000)  # and its maps
        assert "hs" in s.maps.layers

        assert len(win.save_pngs(tmp_path / "pngs")) == 4  # its networks export
        dialog = win.export_sinr_dialog(modal=False)
        assert [dialog.model.itemData(i) for i in range(dialog.model.count())] == list(KINDS)
        dialog.close()

        win.restart_training()  # and it trains again with its settings
        wait_idle(qtbot, win)
        assert s.record.final["hs"]["step"] == 12 and s.record is not None
        assert list(win.plot.series("siren")[0]) == list(range(12))
    finally:
        win.shutdown()
        win.close()


def test_a_damaged_run_keeps_the_window_as_it_was(saved, qtbot, tmp_path) -> None:
    window, path, shown, _ = saved
    record, image = window.session.record, window.session.image
    damaged = tmp_path / "damaged.inrrun"
    damaged.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    assert window.open_run(damaged) and window.wait_run_opened()
    text = window.messages.text()
    assert "damaged.inrrun" in text and window.messages.level == "error"
    assert window.session.record is record and window.session.image is image
    assert np.array_equal(window.compare.current_image("hs"), shown["hs"])
    assert window.open_image(str(damaged)) and window.wait_run_opened()  # a drop goes there too
    assert "damaged.inrrun" in window.messages.text()
