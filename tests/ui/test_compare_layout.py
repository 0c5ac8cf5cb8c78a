"""The Compare tab gives the pictures the space: with five models in a 1600×1000 window each
panel is at least 1.5× the ~190 px it had, the curves and table keep their minimum, and the
split the user drags is kept (between sessions too) until *Fit the panels* is chosen."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from ui_helpers import *  # noqa: F403
from ui_helpers import make_window

FIVE = ("siren", "ftc", "qt", "hs", "pe-siren")
BEFORE_PX = 190  # each image's width with five models in the window's default size before


def _five(win, qtbot, size=(1600, 1000)):
    win.resize(*size)
    win.panel.picker.set_models(FIVE)
    win._panel_changed()
    assert win.wait_loaded()
    qtbot.wait(50)


def test_five_panels_fill_the_default_screen(window, qtbot) -> None:
    from inr_studio.ui.compare_split import LOWER_MIN

    _five(window, qtbot)
    sizes = window.compare.panel_sizes()
    assert set(sizes) == {"original", *FIVE}
    assert min(min(wh) for wh in sizes.values()) >= 1.5 * BEFORE_PX, sizes
    upper, lower = window.compare_tab.sizes()
    assert lower >= LOWER_MIN
    table = window.table  # every model's row visible, no scrolling
    rows_h = table.horizontalHeader().height() + sum(table.rowHeight(r)
                                                     for r in range(table.rowCount()))
    assert rows_h <= table.viewport().height() + table.horizontalHeader().height()
    # no empty band: the panels' grid fills the upper part (within a title's height)
    grid_bottom = max(vb.sceneBoundingRect().bottom() for vb in window.compare.boxes.values())
    assert window.compare.canvas.height() - grid_bottom < 40

    _five(window, qtbot, (1200, 800))  # a smaller window: smaller panels, same split rule
    small = min(min(wh) for wh in window.compare.panel_sizes().values())
    assert 60 < small < min(min(wh) for wh in sizes.values())
    assert window.compare_tab.sizes()[1] >= LOWER_MIN


def test_a_moved_split_is_kept_until_fit(qtbot, tiny_png) -> None:
    win = make_window(qtbot, tiny_png)
    try:
        _five(win, qtbot)
        split = win.compare_tab
        total = sum(split.sizes())
        split.moveSplitter(total - 400, 1)  # the user drags the handle: 400 px for the curves
        assert split.sizes()[1] == pytest.approx(400, abs=2)
        win.resize(1500, 950)
        qtbot.wait(20)
        assert split.sizes()[1] == pytest.approx(400, abs=2)  # a resize goes to the panels
    finally:
        win.close()
    again = make_window(qtbot, tiny_png)
    try:
        _five(again, qtbot)
        assert again.compare_tab.sizes()[1] == pytest.approx(400, abs=2)  # remembered
        before = min(min(wh) for wh in again.compare.panel_sizes().values())
        again.fit_panels()  # View ▸ Fit the panels: the automatic split again
        assert again.compare_tab.sizes()[1] < 400
        qtbot.waitUntil(lambda: min(min(wh) for wh in again.compare.panel_sizes().values())
                        > before, timeout=5000)  # once the boxes have been redrawn
        assert again.store.view_value("compare_lower_px", -1, -1, 10_000) == 0
    finally:
        again.shutdown()
        again.close()


def test_first_start_fills_the_screen(qtbot) -> None:
    from inr_studio.ui.main_window import MainWindow

    win = MainWindow(devices=["cpu"])
    qtbot.addWidget(win)
    try:
        assert win.first_start
        assert win.geometry() == win.screen().availableGeometry()
    finally:
        win.shutdown()


def test_a_title_too_long_for_its_column_shows_its_start(window, qtbot) -> None:
    """A panel's title wider than its column is cut at the right, so the model's name stays
    readable; one that fits stays centred."""
    _five(window, qtbot, (1200, 800))
    title = window.compare.titles["siren"]
    title.setText("<b>SIREN</b> · " + "a title much longer than any panel " * 4)
    qtbot.wait(20)
    start = title.mapFromItem(title.item, title.item.boundingRect().topLeft()).x()
    assert title.item.boundingRect().width() > title.rect().width()
    assert start >= title.rect().left() - 1
    title.setText("<b>SIREN</b>")
    qtbot.wait(20)
    start = title.mapFromItem(title.item, title.item.boundingRect().topLeft()).x()
    assert start > title.rect().left() + 10  # centred again
