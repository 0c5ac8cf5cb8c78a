"""How a run trains (:class:`TrainConfig`) and how a trained network is fine-tuned for its file
(:class:`QatConfig`). Torch-free, frozen; every value is checked once, here, and an impossible one
raises an :class:`OptionError` that names its field (the CLI turns the field into its option).

:class:`TrainConfig`'s defaults are the paper's budget with the best weights kept under each
phase's schedule (the ``gpu`` preset of :mod:`.presets`); :data:`PAPER_PROTOCOL` (the ``paper``
preset) returns the last step at a constant rate, and the ``cpu`` preset shrinks the run. A new
training field is one field here, set by the presets that differ.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from ..errors import OptionError
from ..models.quantiser import MAX_BITS
from ..models.spec import Phase
from .schedule import AUTO, CONSTANT, check_schedule


@dataclass(frozen=True)
class TrainConfig:
    """How a run trains. The defaults are the paper's network budget (5000 full-batch Adam
    steps; the paper gives no learning rate, 1e-4 is unmeasured at its scale) with the weights of
    the best step kept under each phase's schedule; :data:`PAPER_PROTOCOL` is the paper's own
    way (a constant rate, the last step's weights, no warm-up)."""

    iters: int = 5000
    lr: float = 1e-4
    #: None: full batch, every pixel every step (the paper). Otherwise random pixels per step.
    batch_pixels: int | None = None
    seed: int = 0
    device: str = "auto"
    #: The fast step of :mod:`inr_studio.engine.fast_step` (fused Adam, CUDA graph). Off by
    #: default: on an H200 it matched the plain step but saved only 2–3 % of a step.
    fast: bool = False
    #: TF32 matrix products during the training steps on CUDA (renders stay fp32; no effect on
    #: other devices). On an H200 at the paper's size: 1.6–1.8× faster than fp32, within 0.07 dB
    #: of it after 1000 steps for each of the paper's models (the ``gpu`` preset's choice).
    tf32: bool = False
    #: Coarse warm-up (full-batch runs of models that start with the pixel MSE): this share of
    #: the steps first fits one random pixel of each ``warmup_stride``² cell, drawn anew each
    #: step, at about 1/stride² of a step's cost. 0: off (the paper).
    warmup: float = 0.0
    warmup_stride: int = 2
    #: The learning-rate schedule (:mod:`.schedule`): ``auto`` gives each phase its own (the
    #: registry's measured choice, else the default); a name forces it on every phase.
    schedule: str = AUTO
    #: Return the weights of the step with the lowest full-image loss (True), or the last
    #: step's (False: the paper's protocol). Tracked on the device, without a sync per step.
    keep_best: bool = True
    #: Random-batch runs: evaluate the whole image every this many steps to find the best
    #: (0: every ~4 passes over the pixels, at least 10 steps). Full batches need none.
    best_every: int = 0

    def warmup_steps(self) -> int:
        return min(self.iters - 1, round(self.warmup * self.iters)) if self.warmup else 0

    def __post_init__(self) -> None:
        if not _whole(self.iters) or self.iters < 1:
            raise OptionError(f"iterations must be at least 1, got {self.iters}.", "iters")
        if not (isinstance(self.lr, numbers.Real) and 0 < self.lr < 1):
            raise OptionError(f"the learning rate must be in (0, 1), got {self.lr}; the presets "
                              "use 1e-3 (cpu), 3e-4 (gpu) and 1e-4 (paper).", "lr")
        if not (isinstance(self.warmup, numbers.Real) and 0.0 <= self.warmup < 1.0):
            raise OptionError(f"the coarse warm-up must be a share of the steps in [0, 1), "
                              f"got {self.warmup}.", "warmup")
        if not _whole(self.warmup_stride) or self.warmup_stride < 2:
            raise OptionError(f"the warm-up's stride must be at least 2, got "
                              f"{self.warmup_stride}.", "warmup_stride")
        if self.batch_pixels is not None and (not _whole(self.batch_pixels)
                                              or self.batch_pixels < 1):
            raise OptionError(f"pixels per step must be at least 1, got {self.batch_pixels} "
                              "(none: every pixel, the full batch).", "batch_pixels")
        if not _whole(self.seed) or not 0 <= self.seed < 2**63:
            raise OptionError(f"the seed must be a whole number in 0..2^63-1, got {self.seed}.",
                              "seed")
        check_schedule(self.schedule)
        if not isinstance(self.tf32, bool):
            raise OptionError(f"TF32 is on or off (True or False), got {self.tf32!r}.", "tf32")
        if not _whole(self.best_every) or self.best_every < 0:
            raise OptionError(f"the best-keeping cadence must be 0 or more steps, got "
                              f"{self.best_every}.", "best_every")



@dataclass(frozen=True)
class QatConfig:
    """Quantisation-aware fine-tuning of a trained network before it is coded (the ``qat``
    phase; the SINR coefficient fine-tuning takes the same schedule): ``steps`` at
    ``lr_scale`` × the run's learning rate, through a ``bits``-bit quantiser.

    300 steps at 0.3 saved 24 % / 14 % of plain quantisation's bits at equal PSNR on 12 Kodak
    images (3×64 / 2×32 SIRENs), against 16 % / 8 % for 100 at 0.1 (docs/results.md). 8 bits
    is the top of the ladder's QAT rungs: above it plain quantisation already loses little.
    The phase follows :attr:`schedule` (a run whose ``TrainConfig.schedule`` names one forces
    that instead): the cooldown returned 0.08–0.53 dB more than a constant rate on every rung
    of the file ladder, kodim01–03 (docs/results.md, "Training to the best").
    Torch-free (not in the codec, which loads torch), so the window reads it before torch loads.
    """

    steps: int = 300
    lr_scale: float = 0.3
    bits: int = 8
    schedule: str = "cooldown"

    def __post_init__(self) -> None:
        if not _whole(self.steps) or self.steps < 0:
            raise OptionError(f"fine-tuning steps must be 0 or more, got {self.steps}.", "steps")
        if not (isinstance(self.lr_scale, numbers.Real) and self.lr_scale > 0
                and math.isfinite(self.lr_scale)):
            raise OptionError(f"the fine-tuning's learning-rate scale must be positive, got "
                              f"{self.lr_scale}.", "lr_scale")
        check_bits(self.bits)
        check_schedule(self.schedule, allow_auto=False)

    def phase(self, objective: str = "qat", **options: float | int | str) -> Phase:
        """The fine-tuning as a phase of a spec: ``qat`` (the weights) or ``sinr-finetune``
        (the SINR coefficients; ``options`` sparsity, k2, seed), at :attr:`bits` unless
        ``options`` give per-tensor ``tensor_bits``."""
        return Phase(objective, steps=self.steps, lr_scale=self.lr_scale,
                     options=(("bits", self.bits),) + tuple(options.items()),
                     schedule=self.schedule)


def check_bits(bits: object) -> int:
    """A quantiser's bits, checked (1..MAX_BITS, the finest a file holds)."""
    if not _whole(bits) or not 1 <= int(bits) <= MAX_BITS:
        raise OptionError(f"quantisation-aware training needs bits in 1..{MAX_BITS}, got "
                          f"{bits!r}.", "bits")
    return int(bits)


def _whole(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


#: The paper's protocol (its Table 1): a constant rate, the last step's weights, no warm-up.
#: Reproduces the tables measured before best-keeping existed.
PAPER_PROTOCOL = TrainConfig(schedule=CONSTANT, keep_best=False, warmup=0.0)
