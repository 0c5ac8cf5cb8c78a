"""Colour tables shared by every view. A model's name and colour come from the model registry
(:mod:`inr_studio.models.registry`), so a model looks the same in every panel, curve and row."""

from __future__ import annotations

from functools import cache

import numpy as np


@cache
def inferno() -> np.ndarray:
    """256×4 uint8 'inferno' RGBA colours, the error and edge maps' table (pyqtgraph ships it)."""
    import pyqtgraph as pg

    lut = np.asarray(pg.colormap.get("inferno").getLookupTable(nPts=256, alpha=True))
    lut.setflags(write=False)
    return lut

#: A qualitative palette (Okabe–Ito, then Tableau) for classes and expert ids: neighbouring ids
#: get clearly different hues, which a sequential colour map would not give.
QUALITATIVE = np.array([
    (0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233),
    (213, 94, 0), (240, 228, 66), (90, 90, 90), (148, 103, 189), (140, 86, 75),
    (188, 189, 34), (23, 190, 207), (255, 152, 150), (174, 199, 232), (197, 176, 213),
    (196, 156, 148),
], dtype=np.uint8)


def colour_ids(ids: np.ndarray) -> np.ndarray:
    """H×W integer ids → H×W×3 uint8 colours (ids wrap around the palette)."""
    return QUALITATIVE[np.mod(ids, len(QUALITATIVE))]


def hex_of(index: int) -> str:
    r, g, b = (int(v) for v in QUALITATIVE[index % len(QUALITATIVE)])
    return f"#{r:02x}{g:02x}{b:02x}"
