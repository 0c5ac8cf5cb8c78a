"""Tile maps are drawn only where their cells can be seen: nearest neighbour, cell borders
once cells are large on screen, and in place of cells too small to draw, a note that says
so; zooming in draws them."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from ui_helpers import *  # noqa: F403
from ui_helpers import make_window, write_png


def test_the_rule() -> None:
    from inr_studio.ui.map_cells import BORDER_PX, MIN_CELL_PX, cell_view

    assert cell_view(None, (0.01, 0.01)).draw  # not a grid (segmentation, one expert)
    small = cell_view((3.0, 2.0), (0.64, 0.64))  # 1.9×1.3 screen px: stripes, not cells
    assert not small.draw and not small.borders
    assert small.note.startswith("cells too small to draw: 3×2 px")
    assert "1.9×1.3 px on screen" in small.note
    plain = cell_view((3.0, 3.0), (MIN_CELL_PX / 3.0, 1.5))  # just large enough
    assert plain.draw and not plain.borders and plain.note == ""
    assert cell_view((3.0, 3.0), (BORDER_PX / 3.0, BORDER_PX / 3.0)).borders


def test_borders_fall_where_the_ids_change() -> None:
    from inr_studio.coords import pixel_centres
    from inr_studio.tiling import expert_ids, grid
    from inr_studio.ui.map_cells import grid_edges

    h, w = 18, 24
    ids = expert_ids(grid(4.0), pixel_centres(h, w), None).reshape(h, w)  # 3×2.25 px cells
    xs, ys = grid_edges(ids)
    assert list(xs) == [j for j in range(1, w) if ids[0, j] % 2 != ids[0, j - 1] % 2]
    assert list(ys) == [i for i in range(1, h) if ids[i, 0] // 2 != ids[i - 1, 0] // 2]
    assert list(xs) == [3, 6, 9, 12, 15, 18, 21]  # A = 4 over 24 px: a cell every 3 px


def test_fine_maps_say_why_and_draw_when_zoomed(qtbot, tmp_path, small_image) -> None:
    from inr_studio.imaging import resize_image

    photo = write_png(tmp_path / "photo.png", resize_image(small_image, 192, 192))
    win = make_window(qtbot, photo)
    try:
        win.tabs.setCurrentWidget(win.maps_view)
        maps = win.maps_view
        qtbot.waitUntil(lambda: bool(maps.panels.get("ftc")), timeout=10_000)
        qtbot.wait(50)
        fine = maps.panels["ftc"][0]  # L1, A = 128 scaled to 192 px: 3×3 px cells
        assert win.session.maps.cells["ftc"][0] == pytest.approx((3.0, 3.0))
        dx, _ = fine.box.viewPixelSize()
        assert 3.0 / dx < 3.0  # smaller than three screen pixels here
        qtbot.waitUntil(lambda: maps.notes("ftc")[0] != "", timeout=5000)
        assert maps.notes("ftc")[0].startswith("cells too small to draw: 3×3 px")
        assert not fine.item.isVisible() and fine.picture.isVisible()
        assert maps.notes("ftc")[-1] == ""  # L4's 96-px cells are drawn
        assert maps.panels["ftc"][-1].item.isVisible()
        maps.opacity.setValue(100)  # maps alone: the picture stays only where no map is
        assert fine.picture.isVisible() and not maps.panels["ftc"][-1].picture.isVisible()

        fine.box.setRange(xRange=(0, 12), yRange=(0, 12), padding=0)  # zoom in (the wheel)
        qtbot.waitUntil(lambda: maps.notes("ftc")[0] == "", timeout=5000)
        assert fine.item.isVisible() and fine.borders.isVisible()
        xs, _ = fine.borders.getData()
        assert len(xs) > 0 and np.allclose(np.unique(xs[xs > 0])[:3], [3, 6, 9])
    finally:
        win.shutdown()
        win.close()
