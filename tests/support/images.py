"""Test images: a real photograph (scikit-image's astronaut) at any size, and the PSNR of the
flat image of its mean colour, the least a fit must beat to have learned anything."""

from __future__ import annotations

import numpy as np


def astronaut(height: int, width: int) -> np.ndarray:
    """scikit-image's astronaut resized to ``height``×``width``, float32 RGB in [0, 1]."""
    from skimage import data

    from inr_studio.imaging import resize_image

    return resize_image(data.astronaut().astype(np.float32) / 255.0, height, width)


def mean_colour_psnr(pixels: np.ndarray) -> float:
    """PSNR (dB) of the flat image of ``pixels``' mean colour against ``pixels``."""
    from inr_studio.metrics import psnr

    flat = np.broadcast_to(pixels.reshape(-1, pixels.shape[-1]).mean(axis=0), pixels.shape)
    return psnr(np.ascontiguousarray(flat, dtype=pixels.dtype), pixels)
