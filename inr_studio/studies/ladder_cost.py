"""How long the window's rate–distortion ladder will take, said before it starts: a few of its
units are measured on the trained network itself (one plain file round trip, one SINR file
round trip, one fine-tuning step) and multiplied out over the rungs it will measure.

The bit allocation's greedy descent is the one part whose length is not known in advance: each
of its steps tries every tensor one bit lower (a round trip each) and the descent stops when
every trial falls under its PSNR floor. It is counted as lowering every tensor by half of its
start bits (:data:`ALLOC_STEPS_PER_TENSOR` steps per tensor), so the estimate is a figure of
the right size, not a promise; the window replaces it by the measured pace once points arrive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from ..codec import CodecOptions, class_map_source, roundtrip
from ..codec.layout import tensor_slots
from ..engine.trainer import Trainer
from ..render import TrainedNetwork
from . import ladder
from .bitalloc import MIN_BITS

#: The descent's start bits (``ladder.measure``'s) and its assumed steps per tensor.
ALLOC_START_BITS = 10
ALLOC_STEPS_PER_TENSOR = (ALLOC_START_BITS - MIN_BITS) // 2


@dataclass(frozen=True)
class UnitCosts:
    """Seconds of one plain round trip, one SINR round trip (its OMP included) and one
    fine-tuning step of one network, and its number of coded tensors."""

    roundtrip_s: float
    sinr_roundtrip_s: float
    step_s: float
    tensors: int


def measure_units(snapshot, qat_steps: int, families: tuple[str, ...] = ladder.FAMILIES,
                  steps: int = 2) -> UnitCosts:
    """Time the ladder's units on ``snapshot`` (a :class:`~.ladder_run.Snapshot`): a plain
    16-bit file, the first SINR rung's file (when SINR rungs will run) and ``steps`` QAT steps
    (when fine-tuning rungs will, ``qat_steps`` > 0)."""
    problem = snapshot.problem
    net = TrainedNetwork(snapshot.model, problem.height, problem.width, problem.class_map)
    source = class_map_source(problem.segmentation)

    def timed(options: CodecOptions) -> float:
        t0 = time.perf_counter()
        roundtrip(net, problem.pixels, options, class_map=source)
        return time.perf_counter() - t0

    plain = timed(CodecOptions(plain=True, bits=16))
    sinr = 0.0
    if {"sinr", "sinr-ft"} & set(families):
        first = next(r for r in ladder.rungs(snapshot.model.config.width, ("sinr",)))
        sinr = timed(ladder.sinr_options(first))
    step = 0.0
    if qat_steps > 0 and {"qat", "sinr-ft", "qat-alloc"} & set(families):
        state = {k: v.detach().clone() for k, v in snapshot.model.state_dict().items()}
        phase = replace(ladder.qat_phase(8, steps), steps=steps)
        trainer = Trainer(problem, replace(snapshot.config, device="cpu"), (phase,), init=state)
        trainer.step()  # the first step builds the optimiser: not counted
        t0 = time.perf_counter()
        for _ in range(steps - 1):
            trainer.step()
        step = (time.perf_counter() - t0) / max(1, steps - 1)
    return UnitCosts(plain, sinr, step, len(tensor_slots(snapshot.model.config)))


def rung_seconds(rungs: list[ladder.Rung], units: UnitCosts, qat_steps: int) -> list[float]:
    """The predicted seconds of each rung, in order; the first bit-allocation rung carries the
    descent that all of them read."""
    out = []
    descent = 1 + units.tensors * units.tensors * ALLOC_STEPS_PER_TENSOR
    for rung in rungs:
        if rung.family == "sinr":
            seconds = units.sinr_roundtrip_s
        elif rung.family == "sinr-ft":
            seconds = qat_steps * units.step_s + units.sinr_roundtrip_s
        elif rung.family in ("qat", "qat-alloc"):
            seconds = qat_steps * units.step_s + units.roundtrip_s
        else:
            seconds = units.roundtrip_s
        if rung.family in ("alloc", "qat-alloc") and descent:
            seconds += descent * units.roundtrip_s
            descent = 0
        out.append(seconds)
    return out
