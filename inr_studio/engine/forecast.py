"""How long a run will train, measured before it starts: a few steps of each model on a copy
that is thrown away, times the run's steps.

Each model's copy is built with the run's settings but without the coarse warm-up, so the
steps measured are full ones; the run's steps are then weighed by what each phase costs
(:func:`inr_studio.engine.trainer.work_table`, the weights the run's own ETA uses). The first
step carries one-time costs (allocations, lazily built kernels): it is left out unless it
already takes :data:`SLOW_STEP_S` or more, where those costs are small beside it and measuring
more would keep the user waiting. Previews, checks and writing files are not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, replace
from time import perf_counter

import numpy as np
import torch

from ..models.spec import ModelSpec
from ..problem import FitProblem
from .config import TrainConfig
from .trainer import Trainer, with_warmup, work_table

#: A first step this slow is measured alone.
SLOW_STEP_S = 2.0
#: Otherwise steps are timed until this many seconds have passed, or :data:`MAX_STEPS` steps,
#: and their median taken (a step of another process's load weighs less).
PROBE_S = 0.25
MAX_STEPS = 4


@dataclass(frozen=True)
class Forecast:
    """The predicted training seconds of a run, and what they came from."""

    seconds: float
    #: Per model: measured seconds of one full step.
    step_s: dict[str, float]
    #: Per model: the run's work, in full steps (a warm-up step counts its share).
    work: dict[str, float]


@contextmanager
def _threads(count: int | None):
    old = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def step_seconds(trainer: Trainer, clock: Callable[[], float] | None = None) -> float:
    """Seconds of one of ``trainer``'s steps, measured (see the module's note)."""
    clock = clock or perf_counter

    def timed() -> float:
        t0 = clock()
        loss, _ = trainer.step()
        float(loss)  # waits for the device
        return clock() - t0

    first = timed()
    if first >= SLOW_STEP_S or trainer.done:
        return first
    times: list[float] = []
    while len(times) < MAX_STEPS and sum(times) < PROBE_S and not trainer.done:
        times.append(timed())
    return float(np.median(times))


def forecast(pixels: np.ndarray, specs: tuple[ModelSpec, ...], config: TrainConfig,
             cpu_threads: int | None = None,
             clock: Callable[[], float] | None = None) -> Forecast:
    """The training seconds of ``specs`` trained side by side on ``pixels`` with ``config``."""
    probe = replace(config, warmup=0.0)
    step_s: dict[str, float] = {}
    work: dict[str, float] = {}
    with _threads(cpu_threads):
        for spec in specs:
            trainer = Trainer(FitProblem.create(pixels, spec.config), probe, spec.phases)
            phases = (with_warmup(spec.phases, config) if trainer.batcher.full is not None
                      else spec.phases)
            work[spec.key] = sum(n * cost for n, cost in work_table(phases, config.iters))
            cost = trainer.step_cost  # of the phase the measured steps are in
            step_s[spec.key] = step_seconds(trainer, clock) / cost
            del trainer
    seconds = sum(step_s[k] * work[k] for k in step_s)
    return Forecast(seconds, step_s, work)
