"""Edge strength of an image: the Sobel gradient magnitude the window's Edges view shows.

The Sobel kernels of EoREN's target (docs/models.md; Kx = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
Ky = Kxᵀ, y growing with the row index), applied per RGB channel as a *correlation* with edge
replication at the borders, on [0, 1] values. The response is the raw one (8 × the per-pixel
derivative): a view compares models against the target on one scale, so no unit conversion is
needed here.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import correlate

SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=np.float32)
SOBEL_Y = SOBEL_X.T.copy()


def sobel_magnitude(img01: np.ndarray) -> np.ndarray:
    """H×W(×C) image in [0, 1] → H×W float32: √(gx² + gy²) per channel, channels averaged."""
    arr = np.asarray(img01, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[..., None]
    out = np.zeros(arr.shape[:2], dtype=np.float32)
    for c in range(arr.shape[2]):
        channel = arr[..., c]
        gx = correlate(channel, SOBEL_X, mode="nearest")
        gy = correlate(channel, SOBEL_Y, mode="nearest")
        out += np.sqrt(gx * gx + gy * gy)
    return out / arr.shape[2]
