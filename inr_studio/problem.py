"""What is fixed for one image: target values, the segmentation and every layer's expert ids.

Computed once per image and reused at every step (the ids never change for a fixed image).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .coords import pixel_centres
from .models.config import ModelConfig
from .models.routing import Routing
from .segmentation import Segmentation, segment
from .thumbmap import thumbnail_segmentation
from .tiling import expert_ids


def layer_ids(config: ModelConfig, coords: np.ndarray, class_map: np.ndarray | None) -> list[np.ndarray]:
    return [expert_ids(t, coords, class_map) for t in config.tilings]


def routing_for(config: ModelConfig, coords: np.ndarray, class_map: np.ndarray | None,
                device: torch.device | str = "cpu") -> Routing:
    ids = layer_ids(config, coords, class_map)
    return Routing.build(ids, [t.experts for t in config.tilings], device)


def expert_id_maps(config: ModelConfig, height: int, width: int,
                   class_map: np.ndarray | None) -> list[np.ndarray]:
    """Per-layer H×W expert-id maps (what the window shows as tile maps)."""
    coords = pixel_centres(height, width)
    return [ids.reshape(height, width) for ids in layer_ids(config, coords, class_map)]


@dataclass(frozen=True)
class FitProblem:
    """An image (H×W×3 in [0, 1]) and a model configuration, with the segmentation if needed."""

    pixels: np.ndarray
    config: ModelConfig
    segmentation: Segmentation | None

    @staticmethod
    def create(pixels: np.ndarray, config: ModelConfig) -> "FitProblem":
        seg = None
        if config.seg_layer is not None:
            sc = config.segmentation
            seg = thumbnail_segmentation(pixels, sc, sc.thumbnail) if sc.thumbnail else \
                segment(pixels, sc)
        return FitProblem(pixels=pixels, config=config, segmentation=seg)

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def class_map(self) -> np.ndarray | None:
        return None if self.segmentation is None else self.segmentation.class_map

    def coords(self) -> np.ndarray:
        return pixel_centres(self.height, self.width)
