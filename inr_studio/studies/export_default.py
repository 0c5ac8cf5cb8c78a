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
from ..models.quantiser import MAX_BITS
from ..metrics import psnr
from ..render import TrainedNetwork
from . import bitalloc

#: The default file's PSNR may be this much below the trained network's.
TOLERANCE_DB = 0.1


@dataclass(frozen=True)
class ExportChoice:
    options: CodecOptions
    trip: RoundTrip
    psnr_trained: float
    tried: int  # round trips measured


def smallest_within(network: TrainedNetwork, image: np.ndarray, tolerance_db: float = TOLERANCE_DB,
                    class_map: ClassMapSource = None, base: CodecOptions | None = None,
                    allocate: bool = True, should_stop: Callable[[], bool] = lambda: False,
                    trained_psnr: float | None = None) -> ExportChoice:
    """The smallest file of ``network`` whose PSNR against ``image`` is at most
    ``tolerance_db`` below the network's own (or ``trained_psnr``, the PSNR of the network
    before a fine-tuning); 16 bits everywhere if nothing smaller is."""
    base = CodecOptions(plain=True) if base is None else base
    trained = psnr(network.render(), image) if trained_psnr is None else trained_psnr
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


def qat_smallest_within(network: TrainedNetwork, image: np.ndarray, problem, train,
                        qat_steps: int, tolerance_db: float = TOLERANCE_DB,
                        class_map: ClassMapSource = None,
                        should_stop: Callable[[], bool] = lambda: False) -> ExportChoice:
    """:func:`smallest_within`, then quantisation-aware fine-tuning at the bits it chose
    (``qat_steps`` steps), then the search again on the fine-tuned network against the *trained*
    network's PSNR; the smaller of the two files. ``problem``/``train``: the model's own."""
    from ..engine.config import QatConfig
    from ..engine.trainer import Trainer

    first = smallest_within(network, image, tolerance_db, class_map, should_stop=should_stop)
    if qat_steps <= 0 or should_stop():
        return first
    bits = first.options.tensor_bits or (first.options.bits,) * len(first.trip.report.tensors)
    phase = QatConfig(steps=qat_steps, bits=max(bits)).phase(tensor_bits=",".join(map(str, bits)))
    state = {k: v.detach().clone() for k, v in network.model.state_dict().items()}
    t = Trainer(problem, replace(train, device="cpu"), (phase,), init=state)
    while not t.done and not should_stop():
        t.step()
    t.settle()
    tuned = TrainedNetwork(t.model.cpu().eval(), network.height, network.width, network.class_map)
    second = smallest_within(tuned, image, tolerance_db, class_map, should_stop=should_stop,
                             trained_psnr=first.psnr_trained)
    best = second if second.trip.file_bytes < first.trip.file_bytes else first
    return ExportChoice(best.options, best.trip, first.psnr_trained, first.tried + second.tried)
