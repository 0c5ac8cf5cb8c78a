"""When a tile map can be drawn legibly (Qt-free): the rule and the cell borders.

A grid layer's expert ids repeat in 2×2 cells. Drawn nearest-neighbour, a cell narrower than
a few screen pixels comes out 1 or 2 (n or n+1) pixels wide at random, and the alternation
beats into stripes that look like structure (moiré); averaged down it blends into a flat tint.
Neither shows the tiling. So a map whose cells are under :data:`MIN_CELL_PX` screen pixels is
not drawn: its panel says how small the cells are and that the wheel zooms in. Cells of
:data:`BORDER_PX` screen pixels or more get a thin border, so neighbouring cells of similar
colours stay apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Screen pixels a cell needs before its map is drawn.
MIN_CELL_PX = 3.0
#: Screen pixels a cell needs before its borders are drawn.
BORDER_PX = 6.0


@dataclass(frozen=True)
class CellView:
    draw: bool  # draw the map (nearest neighbour)
    borders: bool  # and the cell borders over it
    note: str = ""  # why not, when not drawn


def cell_view(cell_px: tuple[float, float] | None, screen_per_px: tuple[float, float]) -> CellView:
    """How to show a layer whose cells are ``cell_px`` (width, height) image pixels (None: not
    a grid) at ``screen_per_px`` screen pixels per image pixel (x, y)."""
    if cell_px is None:
        return CellView(True, False)
    on_screen = (cell_px[0] * screen_per_px[0], cell_px[1] * screen_per_px[1])
    if min(on_screen) < MIN_CELL_PX:
        return CellView(False, False,
                        f"cells too small to draw: {_size(cell_px)} px<br>"
                        f"({_size(on_screen)} px on screen)<br>wheel to zoom in")
    return CellView(True, min(on_screen) >= BORDER_PX)


def _size(wh: tuple[float, float]) -> str:
    return f"{wh[0]:.2g}×{wh[1]:.2g}" if max(wh) < 10 else f"{wh[0]:.3g}×{wh[1]:.3g}"


def grid_edges(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The x and y (pixel edges, 0..W and 0..H) where a grid layer's cells meet: where the
    column bit (id mod 2) changes along a row, and the row bit (id div 2) down a column."""
    xs = np.flatnonzero(np.diff(ids[0] % 2)) + 1
    ys = np.flatnonzero(np.diff(ids[:, 0] // 2)) + 1
    return xs.astype(np.float64), ys.astype(np.float64)


def edge_segments(xs: np.ndarray, ys: np.ndarray, height: int,
                  width: int) -> tuple[np.ndarray, np.ndarray]:
    """The borders as pairs of points (for one line item drawn with ``connect="pairs"``)."""
    vx = np.repeat(xs, 2)
    vy = np.tile([0.0, float(height)], len(xs))
    hx = np.tile([0.0, float(width)], len(ys))
    hy = np.repeat(ys, 2)
    return np.concatenate([vx, hx]), np.concatenate([vy, hy])
