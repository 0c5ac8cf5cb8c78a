"""The window's views through the real window: any set of models side by side, the original
before training, the Edges mode, Restart, maps over the picture, the threshold labels, and
Qt-free export formats."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ui_helpers import check_model, wait_idle

PAPER = ("siren", "ftc", "qt", "hs")


def choose(window, models: tuple[str, ...]) -> None:
    """Check exactly ``models`` in the picker, one click at a time (adding before removing)."""
    picker = window.panel.picker
    for key in models:
        check_model(window, key, True)
    for key in picker.models():
        if key not in models:
            check_model(window, key, False)
    assert picker.models() == tuple(k for k in picker.models() if k in models)
    window.wait_loaded()  # the maps are redrawn off the GUI thread (ui/image_loader.py)


def shown(window) -> dict:
    legend = [sample_label.text for _, sample_label in window.plot.plotItem.legend.items]
    return {"panels": tuple(k for k in window.compare.boxes if k != "original"),
            "curves": tuple(window.plot.curves), "legend": legend,
            "rows": tuple(window.table.item(r, 0).text() for r in range(window.table.rowCount())),
            "maps": tuple(window.maps_view.layer_items)}


@pytest.fixture
def fwindow(extra_models, open_window, tiny_png):
    """A window opened after the fake models were registered: its picker offers them."""
    return open_window(tiny_png)


def test_one_two_and_six_models_change_every_view(fwindow, extra_models) -> None:
    win = fwindow
    picker = win.panel.picker
    keys = [picker.list.item(i).data(256) for i in range(picker.list.count())]
    assert set(PAPER + extra_models) <= set(keys)  # every registry entry is offered
    assert picker.models() == PAPER and shown(win)["panels"] == PAPER  # the paper's four
    assert "HS-LoE (Oh & Bae 2024)" in shown(win)["legend"]
    assert "Oh &amp; Bae 2024" in win.compare.titles["hs"].text or \
        "Oh & Bae 2024" in win.compare.titles["hs"].text
    assert not any("ours" in t for t in shown(win)["legend"] + list(shown(win)["rows"]))

    choose(win, ("siren", "hs"))
    got = shown(win)
    assert got["panels"] == got["curves"] == ("siren", "hs")
    assert got["rows"] == ("SIREN", "HS-LoE") and len(got["legend"]) == 2
    assert got["maps"] == ("hs",)
    assert win.session.settings.models == ("siren", "hs")
    assert win.store.run_settings()["models"] == ["siren", "hs"]  # stored with the settings

    win._device_defaults()  # "Defaults for this device" keeps the chosen models
    assert win.session.settings.models == ("siren", "hs") and picker.models() == ("siren", "hs")

    choose(win, ("hs",))
    check_model(win, "hs", False)  # the last model cannot be unchecked
    assert shown(win)["panels"] == ("hs",) and win.table.rowCount() == 1
    assert win.compare.canvas.ci.layout.rowCount() == 2 * win.compare._shape[0]

    six = ("siren", "ftc", "qt", "hs", "fake0", "fake1")
    choose(win, six)
    check_model(win, "fake2", True)  # a seventh waits
    got = shown(win)
    assert sorted(got["panels"]) == sorted(six) and len(got["curves"]) == 6
    assert "Fake 0" in got["rows"] and len(got["legend"]) == 6
    assert got["maps"] == ("ftc", "qt", "hs")  # fake models have a single expert: no map
    from inr_studio.ui.compare_view import best_grid

    canvas = win.compare.canvas
    rows, cols = win.compare._shape
    assert (rows, cols) == best_grid(7, canvas.width(), canvas.height(), 1.0)[:2]
    assert rows * cols >= 7 and canvas.ci.layout.rowCount() == 2 * rows
    win.compare.resize(400, 900)  # a tall view: the panels wrap
    assert win.compare._shape[0] > rows and canvas.ci.layout.rowCount() == 2 * win.compare._shape[0]
    boxes = win.compare.boxes
    boxes["fake1"].setRange(xRange=(4, 12), yRange=(6, 14), padding=0)  # zoom the last panel
    for vb in boxes.values():  # every panel, the reference included, looks at the same place
        assert np.allclose(np.array(vb.viewRange()).mean(axis=1), (8, 10), atol=0.01)


def test_a_chosen_pair_trains_and_saves(fwindow, qtbot, tmp_path) -> None:
    win = fwindow
    choose(win, ("qt", "fake2"))
    win.panel.iters.setValue(6)
    win.start_training()
    wait_idle(qtbot, win)
    assert set(win.session.trainers) == {"qt", "fake2"}
    assert list(win.plot.series("qt")[0]) == list(range(6))
    assert list(win.plot.series("fake2")[0]) == list(range(10))  # a second phase of 4 steps
    assert win.plot.viewRange()[0][1] >= 10  # the x axis holds the longest schedule
    assert win.table.text_at("fake2", "Step") == "10 / 10"
    assert not win.compare.is_faded("fake2")
    assert len(win.save_pngs(tmp_path)) == 4
    out = win.save_run(tmp_path / "run.csv")
    assert {line.split(",")[0] for line in out.read_text().splitlines()[1:]} == {"qt", "fake2"}
    dialog = win.export_sinr_dialog(modal=False)
    assert [dialog.model.itemData(i) for i in range(dialog.model.count())] == ["qt", "fake2"]
    dialog.close()  # it deletes itself


def test_original_is_visible_before_start(window) -> None:
    cmp = window.compare
    original = cmp.original
    assert original is not None and np.array_equal(cmp.current_image("original"), original)
    assert not cmp.is_faded("original")
    for kind in PAPER:
        assert np.array_equal(cmp.current_image(kind), original) and cmp.is_faded(kind)
        assert "not trained yet" in cmp.titles[kind].text
    frame = synthetic_frame(window, {"ftc": np.full(original.shape, 90, np.uint8)})
    cmp.show_frame(frame)  # the first preview of one model
    assert np.all(cmp.current_image("ftc") == 90) and not cmp.is_faded("ftc")
    assert "dB" in cmp.titles["ftc"].text
    assert cmp.is_faded("siren") and np.array_equal(cmp.current_image("siren"), original)


def synthetic_frame(window, recon: dict):
    from inr_studio.engine.messages import PreviewFrame

    h, w = window.session.working.shape[:2]
    err = {k: np.full((h, w), 0.1, np.float32) for k in recon}
    return PreviewFrame(window.controller.generation, {k: 5 for k in recon}, recon, err,
                        {k: 20.0 for k in recon}, {k: 0.5 for k in recon}, error_scale=0.2)


def test_edges_mode_shows_sobel_magnitudes(window) -> None:
    from inr_studio.edges import sobel_magnitude
    from inr_studio.metrics import to_uint8

    cmp = window.compare
    working = window.session.working
    target = sobel_magnitude(working)
    window.edges_action.setChecked(True)  # View ▸ Edges
    assert cmp.mode == "edges" and cmp.edges_btn.isChecked()
    assert np.array_equal(cmp.current_image("original"), target)  # the target's edges
    assert np.array_equal(cmp.current_image("qt"), target) and cmp.is_faded("qt")
    flat = np.full(working.shape, 128, np.uint8)
    cmp.show_frame(synthetic_frame(window, {"qt": to_uint8(working), "hs": flat}))
    assert np.allclose(cmp.current_image("qt"), target, atol=8 * 2 / 255)
    assert float(cmp.current_image("qt").max()) > 0.5  # real edges of a photograph
    assert np.all(cmp.current_image("hs") == 0)  # a flat picture has no edges
    assert "Sobel" in cmp.scale_label.text()
    cmp.error_btn.setChecked(True)
    assert not window.edges_action.isChecked() and window.error_action.isChecked()
    assert cmp.current_image("qt").ndim == 2 and cmp.current_image("original").ndim == 3
    window.error_action.setChecked(False)
    assert cmp.mode == "recon" and cmp.current_image("hs").ndim == 3


def test_edges_of_large_previews_are_spread_over_event_loop_turns(window, qtbot,
                                                                  monkeypatch) -> None:
    from inr_studio.edges import sobel_magnitude
    from inr_studio.ui import compare_view

    monkeypatch.setattr(compare_view, "EDGE_BUDGET_S", 0.0)  # as if each took too long
    cmp = window.compare
    cmp.set_mode("edges")
    shape = window.session.working.shape
    recon = {k: np.full(shape, 60 * i, np.uint8) for i, k in enumerate(PAPER)}
    recon["hs"][8:] = 255  # an edge
    cmp.show_frame(synthetic_frame(window, recon))
    assert len(cmp._edges) == 1  # one model's edges at once, the rest on later turns
    qtbot.waitUntil(lambda: len(cmp._edges) == 4, timeout=30_000)
    for kind in PAPER:
        assert np.array_equal(cmp.current_image(kind), sobel_magnitude(recon[kind] / 255.0))
    assert cmp.current_image("hs").max() == pytest.approx(4 * 75 / 255)  # 180 → 255 step


def test_restart_runs_again_on_the_same_image(window, qtbot) -> None:
    ctl = window.controller
    window.panel.iters.setValue(100_000)
    window.start_training()
    qtbot.waitUntil(lambda: len(window.plot.series("siren")[0]) >= 3, timeout=20_000)
    generation, working = ctl.generation, window.session.working
    action = next(a for a in window.menuBar().actions()[1].menu().actions()
                  if a.text() == "Restart with these settings")
    action.trigger()
    assert ctl.generation == generation + 1 and ctl.state == "running"
    assert window.session.working is working and window.session.name == "tiny.png"
    assert len(window.plot.series("siren")[0]) < 3  # the curves start again
    qtbot.waitUntil(lambda: len(window.plot.series("siren")[0]) >= 2, timeout=20_000)
    assert window.plot.series("siren")[0][0] == 0
    window.stop_training()
    wait_idle(qtbot, window)


def test_maps_over_the_picture_with_opacity(window) -> None:
    maps = window.maps_view
    picture = window.session.maps.picture
    maps.opacity.setValue(30)
    assert maps.seg_item.opacity() == pytest.approx(0.3)
    assert all(it.opacity() == pytest.approx(0.3) for it in maps.layer_items["hs"])
    assert len(maps.pictures) == 1 + sum(len(v) for v in maps.layer_items.values())
    for p in maps.pictures:
        assert p.isVisible() and np.array_equal(p.image, picture)
    assert "30 %" in maps.opacity_label.text()
    maps.opacity.setValue(100)  # the maps alone
    assert not any(p.isVisible() for p in maps.pictures) and maps.seg_item.opacity() == 1.0
    maps.classes.setValue(3)  # new maps keep the chosen opacity
    maps.opacity.setValue(55)
    assert all(it.opacity() == pytest.approx(0.55) for it in maps.layer_items["ftc"])


@pytest.mark.parametrize("thresholds", [(0.42, 0.61), (0.50, 0.51), (0.30, 0.31, 0.33),
                                        (0.02, 0.5, 0.51, 0.98)])
def test_threshold_labels_never_overlap(window, qtbot, thresholds) -> None:
    from inr_studio.segmentation import Segmentation, SegmentationConfig

    rng = np.random.default_rng(0)
    lum = rng.random((40, 40))
    seg = Segmentation(np.digitize(lum, thresholds).astype(np.uint8), np.array(thresholds), lum,
                       SegmentationConfig("equal", len(thresholds) + 1))
    window.tabs.setCurrentWidget(window.maps_view)
    hist = window.maps_view.histogram
    hist.draw(seg)
    for width in (760, 1500):
        window.resize(width, 700)
        qtbot.wait(50)
        rects = [label.sceneBoundingRect() for label in hist.labels]
        assert len(rects) == len(thresholds)
        assert all(r.width() > 10 and r.height() > 5 for r in rects)
        for a, b in itertools.combinations(rects, 2):
            assert not a.intersects(b), (width, thresholds, a, b)
        plot_rect = hist.plot.getViewBox().sceneBoundingRect()
        assert all(plot_rect.contains(r.center()) for r in rects)  # inside the plot


def test_grid_fits_the_panels_to_the_canvas() -> None:
    from inr_studio.ui.compare_view import best_grid

    assert best_grid(5, 1160, 420, 1.0)[:2] == (1, 5)  # the window's default: one row
    assert best_grid(7, 1160, 420, 1.0)[:2] == (2, 4)  # one row: titles 160 px wide, too narrow
    assert best_grid(7, 2000, 420, 1.0)[:2] == (1, 7)  # a wide screen: one row
    assert best_grid(7, 700, 300, 1.0)[:2] == (2, 4)  # small: the largest images (110 px)
    assert best_grid(7, 700, 200, 1.0)[:2] == (1, 7)  # lower still: one row, titles cut
    assert best_grid(7, 1160, 420, 0.25)[0] > 1  # wide panoramas stack
    assert best_grid(2, 400, 900, 1.0)[:2] == (2, 1)  # a tall canvas: one above the other
    rows, cols, side = best_grid(3, 1000, 300, 1.0)
    assert (rows, cols) == (1, 3) and side == pytest.approx(300 - 18 - 22 - 6)  # one-line title


def test_stagger_levels() -> None:
    from inr_studio.ui.histogram import stagger_levels

    assert stagger_levels([10, 100, 200], [30, 30, 30]) == [0, 0, 0]
    assert stagger_levels([100, 110, 120], [30, 30, 30]) == [0, 1, 2]
    assert stagger_levels([100, 110, 160], [30, 30, 30]) == [0, 1, 0]


def test_export_formats_are_qt_free() -> None:
    import subprocess
    import sys

    code = ("import sys, inr_studio.ui.exports, inr_studio.ui.session; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'shiboken6', 'pyqtgraph')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_chosen_models_come_back_in_a_new_window(extra_models, open_window, tiny_png) -> None:
    first = open_window(tiny_png)
    choose(first, ("ftc", "fake2"))
    first.close()
    second = open_window(tiny_png)
    assert second.session.settings.models == ("ftc", "fake2")
    assert second.panel.picker.models() == ("ftc", "fake2")
    assert shown(second)["panels"] == ("ftc", "fake2")
