"""Saving from the window: .sinr (size and bpp shown first) and reopening it, PNGs, the run as
CSV/JSON, the view as PNG; failed exports and bad .sinr files become messages."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from ui_helpers import drop_files

KINDS = ("siren", "ftc", "qt", "hs")


def test_nothing_to_save_before_training(window) -> None:
    assert window.export_sinr_dialog(modal=False) is None
    assert "train the models first" in window.messages.text()


def test_export_sinr_then_reopen(trained, qtbot, tmp_path: Path) -> None:
    dialog = trained.export_sinr_dialog("hs", modal=False)
    qtbot.addWidget(dialog)
    assert dialog.kind() == "hs"
    step, best = trained.session.trainers["hs"].returned_step()
    assert best and dialog.weights.text() == (
        f"Codes the best step's weights (step {step:,} of 12).")  # what a save codes, said
    # The default: the smallest file within 0.1 dB, searched in the background on opening.
    assert dialog.auto.isChecked() and dialog.searching and dialog.estimate is None
    qtbot.waitUntil(lambda: dialog.estimate is not None or bool(dialog.error.text()),
                    timeout=120_000)
    est = dialog.estimate
    assert est is not None, dialog.error.text()
    assert est.psnr_trained - est.psnr_decoded <= 0.1 + 1e-9
    dialog.auto.setChecked(False)  # the old default: every weight dense at 16 bits
    dialog.plain.setChecked(True)
    dense16 = dialog.compute()
    assert dense16 is not None and len(est.data) < len(dense16.data)
    dialog.auto.setChecked(True)
    qtbot.waitUntil(lambda: dialog.estimate is not None, timeout=120_000)
    assert dialog.estimate.data == est.data
    h, w = trained.session.working.shape[:2]
    assert est.bpp == pytest.approx(8 * len(est.data) / (h * w))
    assert f"{len(est.data):,} bytes" in dialog.result.text() and "bpp" in dialog.result.text()
    assert dialog.save_to(tmp_path / "tiny_hs")  # the suffix is added
    path = tmp_path / "tiny_hs.sinr"
    assert path.read_bytes() == est.data

    assert trained.open_sinr(str(path))
    viewer = trained.sinr_viewer
    qtbot.addWidget(viewer)
    assert viewer.image.shape == (h, w, 3)
    from inr_studio.metrics import psnr

    assert psnr(viewer.image, trained.session.working) == pytest.approx(est.psnr_decoded, abs=1e-3)
    viewer.h.setValue(2 * h)
    viewer.w.setValue(3 * w)
    assert viewer.render().shape == (2 * h, 3 * w, 3)  # decoded at another resolution
    assert viewer.save_to(tmp_path / "big.png") and (tmp_path / "big.png").stat().st_size > 0
    viewer.close()

    drop_files(trained, [path])  # dropping a .sinr opens it too
    assert trained.sinr_viewer is not viewer and trained.session.name == "tiny.png"
    trained.sinr_viewer.close()


def test_plain_option_changes_the_size(trained, qtbot) -> None:
    dialog = trained.export_sinr_dialog("siren", modal=False)
    qtbot.addWidget(dialog)
    dialog.auto.setChecked(False)
    dialog.plain.setChecked(True)
    dialog.bits.setCurrentIndex(dialog.bits.findData(8))
    small = dialog.compute()
    dialog.bits.setCurrentIndex(dialog.bits.findData(16))
    big = dialog.compute()
    assert small is not None and big is not None and len(small.data) < len(big.data)


def test_failed_sinr_write_is_reported(trained, qtbot, tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    dialog = trained.export_sinr_dialog("qt", modal=False)
    qtbot.addWidget(dialog)
    assert not dialog.save_to(blocker / "out.sinr")  # still searching: nothing written
    assert "Still searching" in dialog.error.text()
    dialog.auto.setChecked(False)  # chosen options instead: the search stops, saving encodes
    dialog.plain.setChecked(True)
    assert not dialog.searching
    assert not dialog.save_to(blocker / "out.sinr")
    assert dialog.estimate is not None and "Could not save" in dialog.error.text()
    assert dialog.isVisible() and trained.isVisible()


def test_bad_sinr_file_is_a_message(window, tmp_path: Path) -> None:
    bad = tmp_path / "broken.sinr"
    bad.write_bytes(b"SINR" + b"\x00" * 40)
    assert not window.open_sinr(str(bad))
    assert "broken.sinr" in window.messages.text() and window.messages.level == "error"


def test_save_pngs_run_and_view(trained, tmp_path: Path) -> None:
    from PIL import Image

    written = trained.save_pngs(tmp_path)
    assert len(written) == 8
    for p in written:
        with Image.open(p) as im:
            assert im.size == (32, 32) and im.mode == "RGB"
    rec = np.asarray(Image.open(tmp_path / "tiny_hs_reconstruction.png"), dtype=np.float32) / 255
    expected = trained.session.trainers["hs"].reconstruct()
    assert np.abs(rec - expected).max() <= 1 / 255 + 1e-6

    out = trained.save_run(tmp_path / "run.json")
    data = json.loads(out.read_text())
    assert data["working_size"] == {"height": 32, "width": 32}
    assert data["models"]["hs"]["curve"]["step"] == list(range(12))
    assert data["models"]["ftc"]["final"]["psnr_db"] == pytest.approx(
        float(trained.table.text_at("ftc", "PSNR (dB)")), abs=0.01)
    out = trained.save_run(tmp_path / "run.csv")
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 4 * 12 and {r["model"] for r in rows} == set(KINDS)

    assert trained.save_view(tmp_path / "view.png")
    with Image.open(tmp_path / "view.png") as im:
        assert im.size[0] > 300 and im.size[1] > 200


def test_failed_png_export_is_reported(trained, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert trained.save_pngs(blocker / "sub") == []
    assert "Could not save the PNGs" in trained.messages.text()


def test_compute_size_with_chosen_options_encodes_off_the_gui_thread(trained, qtbot) -> None:
    """"Compute size" with manual options runs in a worker: the dialog answers at once and the
    estimate arrives later, equal to the synchronous encode of the same options."""
    import threading

    from inr_studio.ui import export_dialog as ed

    dialog = trained.export_sinr_dialog("siren", modal=False)
    dialog.auto.setChecked(False)
    dialog.plain.setChecked(True)
    threads = []
    real = ed.encode_target

    def spy(*args):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*args)

    ed.encode_target = spy
    try:
        dialog.compute_btn.click()
        assert dialog.searching and dialog.estimate is None  # returned at once
        qtbot.waitUntil(lambda: dialog.estimate is not None, timeout=60_000)
    finally:
        ed.encode_target = real
    assert threads == [False]
    assert dialog.estimate.data == dialog.compute().data
