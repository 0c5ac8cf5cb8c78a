"""The latent-grid model in the window, beside coordinate networks: it trains, its row shows the
rate it trains, the maps tab shows its latent grids, it saves as a latent-grid ``.sinr`` and in
a saved run, and the rate–distortion tab measures its λ ladder beside the others' ladders."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from ui_helpers import check_model, click_tab, fix_run, make_window, wait_idle

KINDS = ("siren", "hs", "latent")
STEPS = 40


@pytest.fixture
def latent_run(window, qtbot):
    """``window`` after training SIREN, HS-LoE and the latent grids side by side; the
    progress batches and preview frames it sent."""
    for kind in ("ftc", "qt"):
        check_model(window, kind, False)
    check_model(window, "latent", True)  # a click on its row in the picker
    assert window.session.settings.models == KINDS
    batches, frames = [], []
    window.controller.progressed.connect(batches.append)
    window.controller.previewed.connect(frames.append)
    fix_run(window.panel, STEPS)
    window.panel.start_btn.click()
    wait_idle(qtbot, window, 120_000)
    assert set(window.session.trainers) == set(KINDS), window.messages.text()
    return window, batches, frames


def test_latent_trains_beside_siren_and_hs(latent_run) -> None:
    window, batches, frames = latent_run
    stats = batches[-1].stats
    for kind in KINDS:
        assert stats[kind].step == STEPS
        steps, psnr = window.plot.series(kind)
        assert len(steps) == STEPS and np.all(np.isfinite(psnr))
        assert math.isfinite(float(window.table.text_at(kind, "PSNR (dB)")))
    # the latent row: a finite rate, as the engine estimated it; the others train none
    bpp = stats["latent"].bpp
    assert math.isfinite(bpp) and bpp > 0
    assert window.table.text_at("latent", "bpp") == f"{bpp:.3f}"
    assert window.table.text_at("siren", "bpp") == window.table.text_at("hs", "bpp") == "—"
    assert window.session.record.final["latent"]["bpp"] == bpp
    col = [window.table.horizontalHeaderItem(c).text()
           for c in range(window.table.columnCount())].index("bpp")
    assert "bits per pixel" in window.table.horizontalHeaderItem(col).toolTip()
    assert window.table.text_at("latent", "MACs/px").replace(",", "").isdigit()
    # it learns: better than its first picture (the synthesis' constant)
    _, psnr = window.plot.series("latent")
    assert psnr[-1] > psnr[0] + 1.0


def test_the_maps_tab_shows_the_latent_grids(latent_run, qtbot) -> None:
    window, _, frames = latent_run
    click_tab(window, qtbot, "Segmentation and expert maps")
    view = window.maps_view.latent
    assert view.isVisible()
    sent = frames[-1].grids["latent"]
    h, w = window.session.working.shape[:2]
    assert sent[0].shape == (h, w)  # finest first, at the image's size
    shown = view.shown("latent")
    assert len(shown) == len(sent) and all(np.array_equal(a, b) for a, b in zip(shown, sent))
    titles = view.title_texts("latent")
    assert titles[0].startswith(f"{w}×{h}") and titles[-1].startswith(
        f"{sent[-1].shape[1]}×{sent[-1].shape[0]}")
    assert set(view.items) == {"latent"}  # the coordinate networks have no grids
    assert "hs" in window.session.maps.layers and "latent" not in window.session.maps.layers
    # a new run clears them until its own frames arrive
    window.panel.picker.set_models(("siren", "hs"))
    window._panel_changed()
    window.start_training()
    assert not view.isVisible()
    wait_idle(qtbot, window, 120_000)
    assert not view.isVisible()


def test_save_sinr_codes_the_latent_grids(latent_run, qtbot, tmp_path: Path) -> None:
    from inr_studio.codec import read_sinr
    from inr_studio.metrics import psnr

    window, _, _ = latent_run
    dialog = window.export_sinr_dialog("latent", modal=False)
    qtbot.addWidget(dialog)
    assert dialog.kind() == "latent" and "own writer" in dialog.weights.text()
    assert not dialog.bits.isEnabled() and not dialog.auto.isEnabled()  # not its options
    qtbot.waitUntil(lambda: dialog.estimate is not None or bool(dialog.error.text()),
                    timeout=120_000)
    est = dialog.estimate
    assert est is not None, dialog.error.text()
    assert "latents" in dialog.result.text() and "bpp" in dialog.result.text()
    assert dialog.save_to(tmp_path / "tiny_latent")
    f = read_sinr(tmp_path / "tiny_latent.sinr")
    assert f.render().shape == window.session.working.shape
    assert psnr(f.render(), window.session.working) == pytest.approx(est.psnr_decoded, abs=1e-6)
    # another model in the same dialog is a coordinate network again, with its options
    dialog.model.setCurrentIndex(dialog.model.findData("siren"))
    assert dialog.auto.isEnabled() and "own writer" not in dialog.weights.text()


def test_the_rd_tab_measures_the_latent_ladder_beside_the_others(latent_run, qtbot) -> None:
    from inr_studio.studies.bdrate import bd_rate

    window, _, _ = latent_run
    view = window.ensure_rd_view()
    view.qat_steps.setValue(0)
    view.families = ("plain",)
    view.lambdas = (2e-2, 6e-4)
    click_tab(window, qtbot, "Rate–distortion")
    qtbot.waitUntil(lambda: not view.estimate_lane.busy, timeout=60_000)
    assert set(view.clock.units) == {"siren", "hs"}
    assert view.clock.latent.settings == ("lambda-0.02", "lambda-0.0006")
    assert window.compute_rd()
    qtbot.waitUntil(lambda: not view.running, timeout=180_000)
    points = view.points()
    assert set(points) == {("siren", "plain"), ("hs", "plain"), ("latent", "latent")}
    assert [p.lam for p in points[("latent", "latent")]] == [2e-2, 6e-4]
    assert "failed" not in window.messages.text()
    # every model curve has its BD-rates against the codecs, as computed from its points
    jpeg = [(p.bpp, p.psnr) for p in view._anchors["JPEG"]]
    for key, pts in points.items():
        expected = bd_rate(jpeg, [(p.bpp, p.psnr) for p in pts])
        shown = view.bd_rates.text_at(view.curve_name(*key), "BD-rate vs JPEG")
        assert shown == ("n/a" if expected != expected else f"{100 * expected:+.1f} %")


def test_a_saved_run_with_latent_grids_opens_again(latent_run, qtbot, other_png,
                                                  tmp_path: Path) -> None:
    window, _, frames = latent_run
    path = window.save_run(tmp_path / "mixed")
    assert path is not None and path.is_file(), window.messages.text()
    shown = window.compare.current_image("latent").copy()
    win = make_window(qtbot, other_png)
    try:
        assert win.open_run(path) and win.wait_run_opened()
        assert "Opened the run" in win.messages.text(), win.messages.text()
        assert win.session.settings.models == KINDS
        assert np.array_equal(win.compare.current_image("latent"), shown)
        assert win.table.text_at("latent", "bpp") == window.table.text_at("latent", "bpp")
        grids = win.maps_view.latent.shown("latent")
        assert [g.shape for g in grids] == [g.shape for g in frames[-1].grids["latent"]]
        assert all(np.array_equal(a, b) for a, b in zip(grids, frames[-1].grids["latent"]))
    finally:
        win.shutdown()
        win.close()
