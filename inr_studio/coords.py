"""Pixel-centre coordinates (docs/models.md, "Signal and coordinates").

``x_j = -1 + (2j + 1)/W`` and ``y_i = -1 + (2i + 1)/H``, each axis normalised on its own, in the
input order (x, y). ``linspace(-1, 1, W)`` would put the end points on tile borders and move
the last pixel of the finest LoE layers into the wrong tile.
"""

from __future__ import annotations

import numpy as np


def axis_centres(n: int) -> np.ndarray:
    """Normalised centres of ``n`` pixels along one axis, float64."""
    return -1.0 + (2.0 * np.arange(n, dtype=np.float64) + 1.0) / n


def pixel_centres(height: int, width: int) -> np.ndarray:
    """(H*W, 2) float64 array of (x, y) pixel centres in row-major (raster) order."""
    ys = axis_centres(height)
    xs = axis_centres(width)
    grid_x = np.broadcast_to(xs[None, :], (height, width))
    grid_y = np.broadcast_to(ys[:, None], (height, width))
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def pixel_centres_rows(height: int, width: int, start: int, stop: int) -> np.ndarray:
    """Centres of raster indices ``start..stop-1`` only: lets a renderer work in chunks."""
    idx = np.arange(start, stop, dtype=np.int64)
    rows, cols = np.divmod(idx, width)
    xs = -1.0 + (2.0 * cols + 1.0) / width
    ys = -1.0 + (2.0 * rows + 1.0) / height
    return np.stack([xs, ys], axis=1)
