"""Uniform scalar quantisation with a per-tensor range, and the byte planes the streams use.

SINR (docs/coding.md) quantises with 16 bits over each tensor's [min, max]. Here ``bits`` is 1..16:
``q = round((v − lo)/(hi − lo)·L)``, ``L = 2^bits − 1``; the decoder computes
``lo + q·(hi − lo)/L`` in float64 from the float32 ``lo``, ``hi`` stored in the file.

Integers go into a stream as *byte planes*: for w-byte integers, first every most significant
byte, then the next, … (docs/format.md). Brotli then sees the slowly varying high bytes as one
run and the noisy low bytes as another, which it codes better than interleaved words.
"""

from __future__ import annotations

import numpy as np

from ..models.quantiser import dequantise, levels, quantise, value_range  # noqa: F401 - one grid
from .header import MAX_BITS


def byte_width(bits: int) -> int:
    return (bits + 7) // 8


#: The byte widths integers of 1..MAX_BITS bits take, in stream order.
WIDTHS = tuple(range(1, byte_width(MAX_BITS) + 1))


def to_planes(ints: np.ndarray, width: int) -> bytes:
    """Byte planes of unsigned integers (most significant plane first)."""
    v = np.asarray(ints, dtype=np.uint32).ravel()
    planes = [((v >> (8 * (width - 1 - p))) & 0xFF).astype(np.uint8) for p in range(width)]
    return b"".join(p.tobytes() for p in planes)


def from_planes(data: bytes, count: int, width: int) -> np.ndarray:
    """Inverse of :func:`to_planes`; ``len(data)`` must be ``count·width`` (checked by the caller)."""
    raw = np.frombuffer(data, dtype=np.uint8, count=count * width)
    out = np.zeros(count, dtype=np.uint32)
    for p in range(width):
        out |= raw[p * count:(p + 1) * count].astype(np.uint32) << (8 * (width - 1 - p))
    return out


def join_planes(parts: list[tuple[np.ndarray, int]]) -> bytes:
    """A stream of several tensors' integers (each with its own bits): for each byte width
    (1, then 2), the integers of the tensors of that width in order, as byte planes. With one
    width for all (every version 1 file) this is simply :func:`to_planes` of them all."""
    out = []
    for w in WIDTHS:
        group = [np.asarray(q, dtype=np.uint32).ravel() for q, b in parts if byte_width(b) == w]
        if group:
            out.append(to_planes(np.concatenate(group), w))
    return b"".join(out)


def planes_size(counts: list[tuple[int, int]]) -> int:
    """Bytes :func:`join_planes` gives for (count, bits) parts."""
    return sum(n * byte_width(b) for n, b in counts)


def split_planes(raw: bytes, counts: list[tuple[int, int]]) -> list[np.ndarray]:
    """Inverse of :func:`join_planes`; ``len(raw)`` is :func:`planes_size` (checked before)."""
    out: list[np.ndarray | None] = [None] * len(counts)
    pos = 0
    for w in WIDTHS:
        idx = [i for i, (_, b) in enumerate(counts) if byte_width(b) == w]
        total = sum(counts[i][0] for i in idx)
        ints = from_planes(raw[pos:pos + total * w], total, w)
        pos += total * w
        start = 0
        for i in idx:
            out[i] = ints[start:start + counts[i][0]]
            start += counts[i][0]
    return out  # type: ignore[return-value]
