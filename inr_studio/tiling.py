"""Expert tilings as data (docs/models.md): which expert of a layer each coordinate uses.

A layer is either *single* (one expert: a plain SIREN layer), a *grid* of 2×2 repeating cells
with scale A and shift β (LoE, nearest blending), or a *segment* layer whose expert is the
luminance class of the pixel (HS-LoE). FtC, QT and HS-LoE are tuples of these, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import OptionError
from .segmentation import class_at

TILING_KINDS = ("single", "grid", "segment")
#: Longest side of a Kodak image: the paper's tile sizes are stated for 768×512.
PAPER_LONG_SIDE = 768


@dataclass(frozen=True)
class LayerTiling:
    kind: str = "single"
    scale: float = 0.0  # A_i, grid only
    shift: float = 0.0  # β_i, grid only
    classes: int = 1  # segment only

    def __post_init__(self) -> None:
        if self.kind not in TILING_KINDS:
            raise OptionError(f"tiling kind {self.kind!r} is unknown; use one of {TILING_KINDS}.")
        if self.kind == "grid" and not (self.scale > 0 and np.isfinite(self.scale)):
            raise OptionError(f"a grid tiling needs a positive scale A, got {self.scale}.")
        if self.kind == "segment" and not 2 <= self.classes <= 16:
            raise OptionError(f"a segment tiling needs 2..16 classes, got {self.classes}.")

    @property
    def experts(self) -> int:
        return {"single": 1, "grid": 4, "segment": self.classes}[self.kind]

    def label(self) -> str:
        if self.kind == "grid":
            return f"grid A={self.scale:g}"
        if self.kind == "segment":
            return f"segmentation ({self.classes} classes)"
        return "single expert"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "scale": self.scale, "shift": self.shift, "classes": self.classes}

    @staticmethod
    def from_dict(d: dict) -> "LayerTiling":
        return LayerTiling(kind=str(d["kind"]), scale=float(d.get("scale", 0.0)),
                           shift=float(d.get("shift", 0.0)), classes=int(d.get("classes", 1)))


def grid(scale: float, shift: float = 0.0) -> LayerTiling:
    return LayerTiling("grid", scale=float(scale), shift=float(shift))


def expert_ids(tiling: LayerTiling, coords: np.ndarray, class_map: np.ndarray | None) -> np.ndarray:
    """Expert id (int64) of every (x, y) row of ``coords`` for one layer.

    Grid: ``ix = floor(A·x + β) mod 2``, ``iy = floor(A·y + β) mod 2``, ``id = 2·iy + ix``, in
    float64 so a pixel centre never lands on the wrong side of a cell border by rounding.
    """
    if tiling.kind == "single":
        return np.zeros(len(coords), dtype=np.int64)
    if tiling.kind == "grid":
        a, b = tiling.scale, tiling.shift
        ix = np.mod(np.floor(a * coords[:, 0] + b), 2).astype(np.int64)
        iy = np.mod(np.floor(a * coords[:, 1] + b), 2).astype(np.int64)
        return 2 * iy + ix
    if class_map is None:
        raise OptionError("this model has a segmentation layer but no segmentation map was given.")
    ids = class_at(class_map, coords)
    return np.minimum(ids, tiling.classes - 1)


def cell_size_pixels(tiling: LayerTiling, height: int, width: int) -> tuple[float, float] | None:
    """(width, height) of one grid cell in pixels at this resolution; ``None`` if not a grid."""
    if tiling.kind != "grid":
        return None
    return width / (2.0 * tiling.scale), height / (2.0 * tiling.scale)


def aliasing_warning(tilings: tuple[LayerTiling, ...], height: int, width: int) -> str | None:
    """A sentence if any grid cell is smaller than a pixel at H×W (the tiling then aliases)."""
    bad = []
    for i, t in enumerate(tilings, start=1):
        size = cell_size_pixels(t, height, width)
        if size is not None and min(size) < 1.0:
            bad.append(f"L{i} (A={t.scale:g}: {size[0]:.2f}×{size[1]:.2f} px)")
    if not bad:
        return None
    return (
        f"at {width}×{height} the grid cells of {', '.join(bad)} are smaller than one pixel and "
        f"alias; use tile scale 'auto' ({auto_tile_scale(height, width):.3g}) to keep the paper's "
        "cell sizes in pixels."
    )


def auto_tile_scale(height: int, width: int) -> float:
    """Factor on every A_i that keeps the paper's cell sizes in pixels at this image size."""
    return max(height, width) / PAPER_LONG_SIDE
