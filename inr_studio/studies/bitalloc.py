"""Bit allocation: one bit depth per tensor, chosen to reach a target PSNR with the fewest
bytes, instead of one depth for all.

Greedy descent, measured by decoding: start with every tensor at ``start_bits``; at each step
try lowering each tensor by one bit (a full encode → decode → render round trip each) and take
the one that loses the least PSNR per byte saved; stop when every candidate falls below the
floor. The path (every accepted step: its bits, bytes and PSNR) is kept, so one descent answers
every target: the smallest file on the path whose PSNR reaches it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..codec import ClassMapSource, CodecOptions, RoundTrip, roundtrip
from ..codec.layout import tensor_slots
from ..errors import OptionError
from ..render import TrainedNetwork

MIN_BITS = 2


@dataclass(frozen=True)
class AllocStep:
    tensor_bits: tuple[int, ...]
    file_bytes: int
    psnr: float


def descend(network: TrainedNetwork, image: np.ndarray, base: CodecOptions, start_bits: int,
            floor_psnr: float, class_map: ClassMapSource = None, codes=None,
            should_stop: Callable[[], bool] = lambda: False) -> list[AllocStep]:
    """The greedy path from ``start_bits`` everywhere down to ``floor_psnr``."""
    n = len(tensor_slots(network.config))
    bits = [start_bits] * n

    def trip(b: list[int]) -> RoundTrip:
        return roundtrip(network, image, replace(base, bits=max(b), tensor_bits=tuple(b)),
                         class_map=class_map, codes=codes)

    first = trip(bits)
    path = [AllocStep(tuple(bits), first.file_bytes, first.psnr)]
    while not should_stop():
        best = None
        for i in range(n):
            if bits[i] <= MIN_BITS:
                continue
            trial = bits.copy()
            trial[i] -= 1
            rt = trip(trial)
            if rt.psnr < floor_psnr:
                continue
            saved = path[-1].file_bytes - rt.file_bytes
            lost = path[-1].psnr - rt.psnr
            score = lost / saved if saved > 0 else (np.inf if lost > 0 else -np.inf)
            if best is None or score < best[0]:
                best = (score, trial, rt)
        if best is None or best[0] == np.inf:  # nothing left that saves a byte
            break
        bits = best[1]
        path.append(AllocStep(tuple(bits), best[2].file_bytes, best[2].psnr))
    return path


def pick(path: list[AllocStep], target_psnr: float) -> AllocStep | None:
    """The smallest file on the path whose PSNR is at least ``target_psnr`` (None: none)."""
    ok = [s for s in path if s.psnr >= target_psnr]
    return min(ok, key=lambda s: s.file_bytes) if ok else None


def allocate(network: TrainedNetwork, image: np.ndarray, target_psnr: float,
             base: CodecOptions | None = None, start_bits: int = 12,
             class_map: ClassMapSource = None, codes=None) -> tuple[CodecOptions, AllocStep]:
    """Options with per-tensor bits for the smallest file found at ``target_psnr`` or above
    (``base``: the other options; default plain quantisation)."""
    base = CodecOptions(plain=True) if base is None else base
    path = descend(network, image, base, start_bits, target_psnr, class_map, codes)
    step = pick(path, target_psnr)
    if step is None:
        raise OptionError(f"even {start_bits} bits everywhere give {path[0].psnr:.2f} dB, below "
                          f"the target {target_psnr:.2f} dB.")
    return replace(base, bits=max(step.tensor_bits), tensor_bits=step.tensor_bits), step
