"""The ladder of file settings one trained network is measured at: plain quantisation, QAT,
SINR, SINR with fine-tuned coefficients and per-tensor bit allocation, each at several bit
depths, every point a real file (encode → decode → render, :func:`inr_studio.codec.roundtrip`).

The network is trained once (the float weights are the start of every fine-tuning: each QAT or
SINR fine-tuning rung is a ``Trainer`` given those weights and one phase), so rungs differ only
in how the file is made. :func:`measure` yields one :class:`Point` per rung, so a window can
show progress and stop between rungs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from ..codec import CodecOptions, class_map_source, roundtrip
from ..codec.finetune import finetuned_codes
from ..engine.config import QatConfig, TrainConfig
from ..engine.trainer import Trainer
from ..models.spec import Phase
from ..problem import FitProblem
from ..render import TrainedNetwork
from . import bitalloc

PLAIN_BITS = (16, 12, 10, 8, 7, 6, 5, 4)
QAT_BITS = (8, 7, 6, 5, 4)
SINR_BITS = (10, 8, 6, 5)
#: Bit allocation: PSNR below the float network's at which the ladder reads the greedy path.
ALLOC_DROPS = (0.1, 0.5, 1.0, 2.0, 3.0, 5.0)
#: QAT at the bits the allocation chose (the same greedy path), at these drops.
QAT_ALLOC_DROPS = (0.5, 1.0, 2.0, 3.0, 5.0)
FAMILIES = ("plain", "qat", "sinr", "sinr-ft", "alloc", "qat-alloc")


@dataclass(frozen=True)
class Rung:
    name: str
    family: str
    bits: int  # 0: chosen per tensor (bit allocation)
    sparsity: int = 0

    @property
    def trains(self) -> bool:
        return self.family in ("qat", "sinr-ft")


@dataclass(frozen=True)
class Point:
    rung: Rung
    file_bytes: int
    bpp: float
    psnr: float
    psnr_float: float
    data: bytes  # the file itself (the window saves it when its point is clicked)
    tensor_bits: tuple[int, ...] = ()

    @property
    def setting(self) -> str:
        """The point's name (as a latent point's ``setting``): its rung's."""
        return self.rung.name


def sinr_sparsity(width: int) -> int:
    """s for the ladder's SINR rungs: a quarter of the vector length (flattened matrices
    below width 50, as the encoder cuts them)."""
    m = width if width >= 50 else width * width
    return max(1, m // 4)


def rungs(width: int, families: tuple[str, ...] = FAMILIES) -> list[Rung]:
    s = sinr_sparsity(width)
    out: list[Rung] = []
    if "plain" in families:
        out += [Rung(f"plain-{b}", "plain", b) for b in PLAIN_BITS]
    if "qat" in families:
        out += [Rung(f"qat-{b}", "qat", b) for b in QAT_BITS]
    if "sinr" in families:
        out += [Rung(f"sinr-s{s}-{b}", "sinr", b, s) for b in SINR_BITS]
    if "sinr-ft" in families:
        out += [Rung(f"sinr-ft-s{s}-{b}", "sinr-ft", b, s) for b in SINR_BITS]
    if "alloc" in families:
        out += [Rung(f"alloc-{d:g}dB", "alloc", 0) for d in ALLOC_DROPS]
    if "qat-alloc" in families:
        out += [Rung(f"qat-alloc-{d:g}dB", "qat-alloc", 0) for d in QAT_ALLOC_DROPS]
    return out


def sinr_options(rung: Rung, k2: int = CodecOptions.k2, seed: int = CodecOptions.seed
                 ) -> CodecOptions:
    return CodecOptions(sparsity=rung.sparsity, target_error=None, k2=k2, seed=seed, bits=rung.bits)


def finetune(problem: FitProblem, train: TrainConfig, state: dict, phase: Phase) -> Trainer:
    """A copy of the trained network put through one more phase (QAT or SINR fine-tuning)."""
    t = Trainer(problem, train, (phase,), init=state)
    while not t.done:
        t.step()
    t.settle()
    return t


def qat_phase(bits: int, steps: int = QatConfig.steps,
              lr_scale: float = QatConfig.lr_scale) -> Phase:
    return QatConfig(steps, lr_scale, bits).phase()


def sinr_phase(rung: Rung, steps: int = QatConfig.steps, lr_scale: float = QatConfig.lr_scale,
               k2: int = CodecOptions.k2, seed: int = CodecOptions.seed) -> Phase:
    return QatConfig(steps, lr_scale, rung.bits).phase(
        "sinr-finetune", sparsity=rung.sparsity, k2=k2, seed=seed)


def measure(trainer: Trainer, ladder: list[Rung], qat_steps: int = QatConfig.steps,
            lr_scale: float = QatConfig.lr_scale, k2: int = CodecOptions.k2,
            should_stop: Callable[[], bool] = lambda: False) -> Iterator[Point]:
    """Every rung's file of the network ``trainer`` holds (trained to its end)."""
    problem = trainer.problem
    image = problem.pixels
    source = class_map_source(problem.segmentation)
    model = trainer.model.cpu()
    net = TrainedNetwork(model, problem.height, problem.width, problem.class_map)
    float_psnr = _psnr(net.render(), image)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    train = replace(trainer.config, device="cpu")
    path = None
    for rung in ladder:
        if should_stop():
            return
        codes, tensor_bits, the_net = None, (), net
        if rung.family == "plain":
            options = CodecOptions(plain=True, bits=rung.bits)
        elif rung.family == "qat":
            options = CodecOptions(plain=True, bits=rung.bits)
            t = finetune(problem, train, state, qat_phase(rung.bits, qat_steps, lr_scale))
            the_net = TrainedNetwork(t.model, problem.height, problem.width, problem.class_map)
        elif rung.family == "sinr":
            options = sinr_options(rung, k2)
        elif rung.family == "sinr-ft":
            options = sinr_options(rung, k2)
            t = finetune(problem, train, state, sinr_phase(rung, qat_steps, lr_scale, k2))
            the_net = TrainedNetwork(t.model, problem.height, problem.width, problem.class_map)
            codes = finetuned_codes(t.model)
        else:  # alloc, qat-alloc: one greedy descent read at each target
            if path is None:
                floor = min([float_psnr - max(ALLOC_DROPS) - 0.5] + [
                    alloc_target(r, float_psnr) for r in ladder if r.family.startswith("alloc")])
                path = bitalloc.descend(net, image, CodecOptions(plain=True), 10, floor, source,
                                        should_stop=should_stop)
            step = bitalloc.pick(path, alloc_target(rung, float_psnr))
            if step is None:
                continue
            tensor_bits = step.tensor_bits
            options = CodecOptions(plain=True, bits=max(tensor_bits), tensor_bits=tensor_bits)
            if rung.family == "qat-alloc":  # then fine-tune for exactly those bits
                phase = QatConfig(qat_steps, lr_scale, max(tensor_bits)).phase(
                    tensor_bits=",".join(map(str, tensor_bits)))
                t = finetune(problem, train, state, phase)
                the_net = TrainedNetwork(t.model, problem.height, problem.width, problem.class_map)
        rt = roundtrip(the_net, image, options, class_map=source, codes=codes)
        yield Point(rung, rt.file_bytes, rt.bpp, rt.psnr, float_psnr, rt.data, tensor_bits)


def alloc_target(rung: Rung, float_psnr: float) -> float:
    """The PSNR a bit-allocation rung aims at: ``alloc-1dB`` = 1 dB below the network's own,
    ``alloc@30dB`` = 30 dB."""
    if rung.name.startswith("alloc@"):
        return float(rung.name[6:].removesuffix("dB"))
    return float_psnr - float(rung.name.rsplit("-", 1)[1].removesuffix("dB"))


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    from ..metrics import psnr

    return psnr(a, b)
