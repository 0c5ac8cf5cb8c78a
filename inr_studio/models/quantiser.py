"""The weight quantiser's grid: uniform scalar quantisation over a tensor's own [min, max].

One definition for everything that puts weights on a grid: the ``.sinr`` encoder and decoder
(``codec/quantise.py`` re-exports these), quantisation-aware training (``engine/qat.py``) and
the SINR coefficient fine-tuning. ``q = round((v − lo)/(hi − lo)·L)``, ``L = 2^bits − 1``; the
decoder computes ``lo + q·(hi − lo)/L`` in float64 from the float32 ``lo``, ``hi`` stored in
the file. It lives in the models layer (numpy only) so the engine, below the codec, uses it.
"""

from __future__ import annotations

import numpy as np

#: The finest quantiser (bits): a ``.sinr`` file's bound (its indices are 16-bit too) and
#: quantisation-aware training's.
MAX_BITS = 16


def levels(bits: int) -> int:
    return (1 << bits) - 1


def value_range(values: np.ndarray) -> tuple[float, float]:
    """(lo, hi) as float32-representable numbers that enclose every value."""
    if values.size == 0:
        return 0.0, 0.0
    lo = np.float32(np.min(values))
    hi = np.float32(np.max(values))
    if float(lo) > float(np.min(values)):
        lo = np.nextafter(lo, np.float32(-np.inf))
    if float(hi) < float(np.max(values)):
        hi = np.nextafter(hi, np.float32(np.inf))
    return float(lo), float(hi)


def quantise(values: np.ndarray, bits: int, lo: float, hi: float) -> np.ndarray:
    """Integers in 0..2^bits−1 (uint32) of ``values`` on the grid of [lo, hi]."""
    v = np.asarray(values, dtype=np.float64).ravel()
    top = levels(bits)
    if hi <= lo:
        return np.zeros(v.shape, dtype=np.uint32)
    q = np.rint((v - lo) / (hi - lo) * top)
    return np.clip(q, 0, top).astype(np.uint32)


def dequantise(q: np.ndarray, bits: int, lo: float, hi: float) -> np.ndarray:
    """float64 values of the integers ``q`` (the decoder's side of :func:`quantise`)."""
    lo64, hi64 = float(np.float32(lo)), float(np.float32(hi))
    if hi64 <= lo64:
        return np.full(q.shape, lo64, dtype=np.float64)
    return lo64 + q.astype(np.float64) * ((hi64 - lo64) / levels(bits))


def on_grid(values: np.ndarray, bits: int) -> np.ndarray:
    """``values`` as the decoder rebuilds them after quantising over their own range (float64,
    same shape): what a file holds for this tensor."""
    arr = np.asarray(values, dtype=np.float64)
    lo, hi = value_range(arr)
    return dequantise(quantise(arr, bits, lo, hi), bits, lo, hi).reshape(arr.shape)
