"""Entropy coding of the quantised integers with a per-tensor parametric model (docs/coding.md).

Brotli sees bytes; the integers of one tensor follow a smooth, roughly bell-shaped law. Here
each tensor (a run of integers in 0..2^bits − 1) gets a quantised Gaussian or Laplace fitted to
it, whichever codes it shorter; its family, location and scale (f32, declared in
:mod:`.header` as ``ENTROPY_MODEL``) open the section, and constriction's range coder codes every
tensor in one stream of 32-bit words after them. The encoder keeps the smaller of this and
Brotli per section (:mod:`.encoder`); the file says which.

Decoding is bounded: how many integers each tensor has comes from the (checked) tensor table,
never from the stream; the section's size is checked before reading; a model's parameters
are checked against their bounds before constriction sees them; damaged words (constriction
raises or returns symbols that are still inside the alphabet) are one :class:`SinrFormatError`.
"""

from __future__ import annotations

import constriction
import numpy as np

from ..errors import SinrFormatError
from .header import ENTROPY_MODEL, MAX_LOC, V2, Reader

# constriction's native submodules are attributes, not importable modules.
QuantizedGaussian = constriction.stream.model.QuantizedGaussian
QuantizedLaplace = constriction.stream.model.QuantizedLaplace
RangeEncoder = constriction.stream.queue.RangeEncoder
RangeDecoder = constriction.stream.queue.RangeDecoder

WORD = 4  # bytes per coded word (constriction's u32)
_SCALE_LO = ENTROPY_MODEL.fields[2].lo


def _model(family: int, bits: int, loc: float, scale: float):
    top = (1 << bits) - 1
    cls = QuantizedGaussian if family == 0 else QuantizedLaplace
    return cls(0, top, float(loc), float(scale))


def _f32(x: float) -> float:
    return float(np.float32(x))


def _candidates(q: np.ndarray) -> list[tuple[int, float, float]]:
    """(family, loc, scale) fits, rounded to f32 as the file stores them."""
    v = q.astype(np.float64)
    mean, std = float(v.mean()), float(v.std())
    med = float(np.median(v))
    mad = float(np.abs(v - med).mean())
    out = []
    for fam, loc, scale in ((0, mean, std), (1, med, mad)):
        loc = min(max(loc, -MAX_LOC), MAX_LOC)
        scale = min(max(scale, _SCALE_LO), MAX_LOC)
        out.append((fam, _f32(loc), _f32(scale)))
    return out


def _cost(q: np.ndarray, bits: int, fam: int, loc: float, scale: float) -> int:
    enc = RangeEncoder()
    enc.encode(q.astype(np.int32), _model(fam, bits, loc, scale))
    return enc.num_bits()


def encode(parts: list[tuple[np.ndarray, int]]) -> bytes:
    """The entropy-coded section of ``parts`` (integers, bits) in order; empty parts are skipped
    (they have no model)."""
    head, chosen = [], []
    for q, bits in parts:
        if q.size == 0:
            continue
        best = min(_candidates(q), key=lambda c: _cost(q, bits, *c))
        head.append(ENTROPY_MODEL.pack(dict(family=best[0], loc=best[1], scale=best[2]), V2))
        chosen.append((q, bits, best))
    enc = RangeEncoder()
    for q, bits, (fam, loc, scale) in chosen:
        enc.encode(q.astype(np.int32), _model(fam, bits, loc, scale))
    words = enc.get_compressed().astype("<u4")
    return b"".join(head) + words.tobytes()


def decode(coded: bytes | memoryview, counts: list[tuple[int, int]], what: str) -> list[np.ndarray]:
    """The integers of each part (``counts``: (how many, bits) in order; the caller checked
    them against the model) from an entropy-coded section."""
    live = [(n, b) for n, b in counts if n]
    r = Reader(coded, f"{what} section")
    models = [ENTROPY_MODEL.read(r, V2, f"{what} entropy model") for _ in live]
    if r.remaining % WORD:
        raise SinrFormatError(f"the {what} section is damaged: its coded words are not whole "
                              f"({r.remaining} bytes).")
    words = np.frombuffer(bytes(r.take(r.remaining, "words")), dtype="<u4").astype(np.uint32)
    dec = RangeDecoder(words)
    out, it = [], iter(zip(live, models))
    try:
        for n, bits in counts:
            if n == 0:
                out.append(np.zeros(0, dtype=np.uint32))
                continue
            (_, _), m = next(it)
            sym = dec.decode(_model(m["family"], bits, m["loc"], m["scale"]), n)
            out.append(np.asarray(sym, dtype=np.int64).astype(np.uint32))
    except (AssertionError, ValueError, RuntimeError, OverflowError) as exc:
        raise SinrFormatError(f"the {what} section's entropy-coded data is damaged ({exc}).") \
            from exc
    for (n, bits), sym in zip(counts, out):
        if sym.size != n or (n and int(sym.max()) >= 1 << bits):
            raise SinrFormatError(f"the {what} section's entropy-coded data is damaged.")
    # A range decoder reads whatever words it is given (past the end it reads zeros), so the
    # words must be exactly the encoder's for what they decode to: a short, padded or altered
    # stream is refused here rather than becoming a slightly different network.
    enc = RangeEncoder()
    for sym, (_, m), (_, bits) in zip([q for q in out if q.size], zip(live, models), live):
        enc.encode(sym.astype(np.int32), _model(m["family"], bits, m["loc"], m["scale"]))
    if not np.array_equal(enc.get_compressed(), words):
        raise SinrFormatError(f"the {what} section's entropy-coded data is damaged (its words "
                              "are not the coding of what they decode to).")
    return out
