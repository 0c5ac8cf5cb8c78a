"""An HS-LoE class map that a ``.sinr`` decoder rebuilds from a small luminance thumbnail.

The full-resolution map costs 0.44–0.65 bpp to store on Kodak (docs/results.md). Instead the
file can carry an 8-bit thumbnail of the luminance (a few hundred bytes) and the integer
thresholds; the map is the thumbnail's classes (``count of thresholds ≤ value``) upsampled by
integer nearest-neighbour. Every step after the thumbnail is integer arithmetic, so the encoder, the
trainer and any decoder build the identical map on any machine — and the network must be
trained on exactly that map (:func:`thumbnail_segmentation` gives a :class:`Segmentation` a
:class:`~inr_studio.problem.FitProblem` takes as it is).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage.transform import resize

from .errors import OptionError
from .segmentation import Segmentation, SegmentationConfig, luminance, thresholds_for

#: Largest thumbnail side the file format allows.
MAX_THUMB_SIDE = 4096


@dataclass(frozen=True)
class ThumbnailMap:
    """What the file stores: the u8 thumbnail (h × w), the thresholds, the full map's size."""

    thumbnail: np.ndarray
    thresholds: tuple[int, ...]
    height: int
    width: int

    def class_map(self) -> np.ndarray:
        return class_map_from_thumbnail(self.thumbnail, self.thresholds, self.height, self.width)

    def labels(self) -> np.ndarray:
        return thumbnail_labels(self.thumbnail, self.thresholds)


def class_map_from_thumbnail(thumbnail: np.ndarray, thresholds, height: int,
                             width: int) -> np.ndarray:
    """The H×W class map (uint8) of a u8 thumbnail: class = number of thresholds ≤ the
    thumbnail value, then row ``i`` takes thumbnail row ``i·h // H`` (columns likewise)."""
    return upsample_labels(thumbnail_labels(thumbnail, thresholds), height, width)


def thumbnail_labels(thumbnail: np.ndarray, thresholds) -> np.ndarray:
    """The thumbnail's classes: the number of thresholds ≤ each value (uint8)."""
    thr = np.asarray(thresholds, dtype=np.int64)
    return (thumbnail.astype(np.int64)[..., None] >= thr).sum(axis=-1).astype(np.uint8)


def upsample_labels(labels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Integer nearest-neighbour: row ``i`` takes row ``i·h // H``, column ``j`` ``j·w // W``."""
    th, tw = labels.shape
    rows = (np.arange(height, dtype=np.int64) * th) // height
    cols = (np.arange(width, dtype=np.int64) * tw) // width
    return labels[rows[:, None], cols[None, :]]


def thumbnail_size(height: int, width: int, side: int) -> tuple[int, int]:
    """(h, w) of a thumbnail whose longer side is ``side`` (at most the image's own)."""
    if not 1 <= side <= MAX_THUMB_SIDE:
        raise OptionError(f"the thumbnail side must be 1..{MAX_THUMB_SIDE}, got {side}.")
    s = min(1.0, side / max(height, width))
    return max(1, round(height * s)), max(1, round(width * s))


def thumbnail_of(pixels: np.ndarray, side: int) -> np.ndarray:
    """The u8 luminance thumbnail (anti-aliased resize; only the encoder computes it)."""
    h, w = thumbnail_size(pixels.shape[0], pixels.shape[1], side)
    lum = resize(luminance(pixels), (h, w), anti_aliasing=True, preserve_range=True)
    return np.clip(np.rint(lum * 255.0), 0, 255).astype(np.uint8)


def integer_thresholds(thumbnail: np.ndarray, config: SegmentationConfig) -> tuple[int, ...]:
    """The segmentation's thresholds on the thumbnail's 0..255 levels, as strictly increasing
    integers in 1..255 (class = number of thresholds ≤ value)."""
    thr = thresholds_for(thumbnail.astype(np.float64), config)
    out: list[int] = []
    for t in np.ceil(thr).astype(int):
        t = max(int(t), out[-1] + 1 if out else 1)
        out.append(t)
    if out and out[-1] > 255:
        raise OptionError(f"the thumbnail has too few luminance levels for {config.classes} "
                          "classes.")
    return tuple(out)


@dataclass(frozen=True)
class ThumbnailSegmentation(Segmentation):
    """A :class:`Segmentation` whose map is the thumbnail's (``thumb``: what the file stores)."""

    thumb: ThumbnailMap | None = None


def thumbnail_segmentation(pixels: np.ndarray, config: SegmentationConfig = SegmentationConfig(),
                           side: int = 32) -> ThumbnailSegmentation:
    """Segment ``pixels`` through a ``side``-pixel thumbnail: the map a decoder rebuilds."""
    h, w = pixels.shape[:2]
    thumb = thumbnail_of(pixels, side)
    thumb_map = ThumbnailMap(thumb, integer_thresholds(thumb, config), h, w)
    return ThumbnailSegmentation(class_map=thumb_map.class_map(),
                                 thresholds=np.asarray(thumb_map.thresholds, dtype=np.float64) / 255,
                                 luminance=luminance(pixels), config=config, thumb=thumb_map)
