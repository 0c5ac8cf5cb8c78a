"""The file *Save .sinr…* opens on: the smallest file whose decoded PSNR is within 0.1 dB of
the trained network's own (before this, the default stored every weight dense at 16 bits).

Search, every candidate measured by decoding (:func:`inr_studio.codec.roundtrip`): the lowest
uniform bit depth within the tolerance (16 downwards, entropy-coded sections), then a greedy
per-tensor descent from one bit above it (:mod:`.bitalloc`) with the same floor; the smallest
file found wins. Qt-free; the dialog runs it in a worker thread and can stop it between trips
(``should_stop``), keeping the best file found so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..codec import ClassMapSource, CodecOptions, RoundTrip, roundtrip
from ..metrics import psnr
from ..render import TrainedNetwork
from . import bitalloc

TOLERANCE_DB = 0.1
MAX_BITS = 16


@dataclass(frozen=True)
class ExportChoice:
    options: CodecOptions
    trip: RoundTrip
    psnr_trained: float
    tried: int  # round trips measured

    @property
    def within(self) -> float:
        return self.psnr_trained - self.trip.psnr


def smallest_within(network: TrainedNetwork, image: np.ndarray, tolerance_db: float = TOLERANCE_DB,
                    class_map: ClassMapSource = None, base: CodecOptions | None = None,
                    allocate: bool = True, should_stop: Callable[[], bool] = lambda: False
                    ) -> ExportChoice:
    """The smallest file of ``network`` whose PSNR against ``image`` is at most
    ``tolerance_db`` below the network's own; 16 bits everywhere if nothing smaller is."""
    base = CodecOptions(plain=True) if base is None else base
    trained = psnr(network.render(), image)
    floor = trained - tolerance_db
    tried = 0

    def trip(options: CodecOptions) -> RoundTrip:
        nonlocal tried
        tried += 1
        return roundtrip(network, image, options, class_map=class_map)

    uniform = replace(base, bits=MAX_BITS, tensor_bits=None)
    best = (uniform, trip(uniform))
    for bits in range(MAX_BITS - 1, 1, -1):
        if should_stop():
            return ExportChoice(*best, trained, tried)
        options = replace(base, bits=bits, tensor_bits=None)
        rt = trip(options)
        if rt.psnr < floor:
            break
        if rt.file_bytes <= best[1].file_bytes:
            best = (options, rt)
    if allocate and not should_stop():
        start = min(MAX_BITS, best[0].bits + 1)
        path = bitalloc.descend(network, image, base, start, floor, class_map,
                                should_stop=should_stop)
        tried += len(path)
        step = bitalloc.pick(path, floor)
        if step is not None and step.file_bytes < best[1].file_bytes:
            options = replace(base, bits=max(step.tensor_bits), tensor_bits=step.tensor_bits)
            best = (options, trip(options))
    return ExportChoice(best[0], best[1], trained, tried)
