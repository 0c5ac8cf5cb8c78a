"""Luminance hard segmentation for HS-LoE (docs/models.md).

Multi-Otsu thresholds come from scikit-image; "equal bin" uses luminance quantiles so that the
classes hold about the same number of pixels (the paper's Table 3 ablation). Classes are
``np.digitize(luminance, thresholds)``, so class 0 is the darkest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import OptionError

SEG_METHODS = ("multiotsu", "equal")


@dataclass(frozen=True)
class SegmentationConfig:
    """``thumbnail``: 0 segments the image itself; S > 0 segments an S-px luminance thumbnail
    and upsamples it (:mod:`inr_studio.thumbmap`), the map a ``.sinr`` decoder rebuilds from a
    few hundred bytes."""

    method: str = "multiotsu"
    classes: int = 4
    thumbnail: int = 0

    def __post_init__(self) -> None:
        if self.method not in SEG_METHODS:
            raise OptionError(f"segmentation method {self.method!r} is unknown; use one of {SEG_METHODS}.")
        if not 2 <= self.classes <= 16:
            raise OptionError(f"segmentation classes must be 2..16, got {self.classes}.")
        if not (isinstance(self.thumbnail, int) and 0 <= self.thumbnail <= 4096):
            raise OptionError(f"the segmentation thumbnail side must be 0..4096, got {self.thumbnail}.")


@dataclass(frozen=True)
class Segmentation:
    """A class map (H×W uint8), the thresholds that made it and the luminance they split."""

    class_map: np.ndarray
    thresholds: np.ndarray
    luminance: np.ndarray
    config: SegmentationConfig

    @property
    def class_counts(self) -> np.ndarray:
        return np.bincount(self.class_map.ravel(), minlength=self.config.classes)


def luminance(pixels: np.ndarray) -> np.ndarray:
    """scikit-image's luminance (Rec. 709 weights) of an H×W×3 image in [0, 1]."""
    from skimage.color import rgb2gray  # imported here: skimage.filters pulls in scipy (seconds)

    return rgb2gray(pixels).astype(np.float64)


def multiotsu_bins(classes: int) -> int:
    """Histogram bins for Multi-Otsu: scikit-image's 256 up to 4 classes (the paper's case).

    Its exhaustive search grows as bins^(classes-1): 5 classes at 256 bins take ~10 s on a
    512×512 image, at 64 bins 0.05 s (measured), so more classes use a coarser histogram.
    """
    if classes <= 4:
        return 256
    return 64 if classes <= 6 else 32


def thresholds_for(lum: np.ndarray, config: SegmentationConfig) -> np.ndarray:
    if config.method == "multiotsu":
        from skimage.filters import threshold_multiotsu

        if np.unique(lum).size < config.classes:
            raise OptionError(
                f"the image has fewer than {config.classes} distinct luminance levels; "
                "Multi-Otsu cannot split it. Use fewer classes or 'equal' bins."
            )
        return np.asarray(threshold_multiotsu(lum, classes=config.classes, nbins=multiotsu_bins(config.classes)),
                          dtype=np.float64)
    qs = np.linspace(0.0, 1.0, config.classes + 1)[1:-1]
    return np.quantile(lum, qs).astype(np.float64)


def segment(pixels: np.ndarray, config: SegmentationConfig = SegmentationConfig()) -> Segmentation:
    """Segment an H×W×3 image in [0, 1] into ``config.classes`` luminance classes."""
    lum = luminance(pixels)
    thr = thresholds_for(lum, config)
    classes = np.digitize(lum, thr).astype(np.uint8)
    return Segmentation(class_map=classes, thresholds=thr, luminance=lum, config=config)


def class_at(class_map: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Class of each (x, y) coordinate: that of the nearest source pixel (docs/models.md).

    At the source resolution pixel centres map back to their own pixel exactly, so this is the
    identity there; at any other resolution it is nearest-neighbour resampling.
    """
    h, w = class_map.shape
    cols = np.clip(np.floor((coords[:, 0] + 1.0) * 0.5 * w), 0, w - 1).astype(np.int64)
    rows = np.clip(np.floor((coords[:, 1] + 1.0) * 0.5 * h), 0, h - 1).astype(np.int64)
    return class_map[rows, cols].astype(np.int64)
