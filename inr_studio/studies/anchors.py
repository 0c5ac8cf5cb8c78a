"""The classical codecs an INR file is judged against: JPEG, WebP and AVIF through Pillow,
each at a ladder of qualities, as (bpp, PSNR) points of one image (8-bit RGB round trip)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, features

from ..codec import bpp
from ..metrics import psnr, to_uint8

QUALITIES = (1, 2, 3, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95)
FORMATS = ("JPEG", "WEBP", "AVIF")


@dataclass(frozen=True)
class AnchorPoint:
    fmt: str
    quality: int
    file_bytes: int
    bpp: float
    psnr: float


def available() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(formats this Pillow can write, notes for the ones it cannot)."""
    names = {"JPEG": "jpg", "WEBP": "webp", "AVIF": "avif"}
    ok = tuple(f for f in FORMATS if features.check(names[f]))
    notes = tuple(f"{f} is not available in this Pillow build; its curve is left out."
                  for f in FORMATS if f not in ok)
    return ok, notes


def encode(pixels: np.ndarray, fmt: str, quality: int) -> bytes:
    buf = io.BytesIO()
    kw: dict = {"quality": quality}
    if fmt == "WEBP":
        kw["method"] = 6
    elif fmt == "AVIF":
        kw["speed"] = 6
    Image.fromarray(to_uint8(pixels)).save(buf, format=fmt, **kw)
    return buf.getvalue()


def point(pixels: np.ndarray, fmt: str, quality: int) -> AnchorPoint:
    data = encode(pixels, fmt, quality)
    back = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32) / 255.0
    h, w = pixels.shape[:2]
    return AnchorPoint(fmt, quality, len(data), bpp(len(data), h, w), psnr(back, pixels))


def curves(pixels: np.ndarray, formats: tuple[str, ...] | None = None,
           qualities: tuple[int, ...] = QUALITIES) -> list[AnchorPoint]:
    formats = available()[0] if formats is None else formats
    return [point(pixels, f, q) for f in formats for q in qualities]
