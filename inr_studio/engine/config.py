"""How a run trains: steps, learning rate, batch, seed, device. Torch-free, frozen.

The learning rate that reproduces the paper at its scale is unmeasured (no GPU yet, issue 8):
:data:`PAPER_LR` is its one home; the CPU-sized default :data:`CPU_LR` was measured at 96–256 px.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import OptionError
from .schedule import AUTO, CONSTANT, check_schedule

#: The paper's configuration (768×512, width 256, 5000 full-batch steps). Unmeasured on a GPU.
PAPER_LR = 1e-4
#: The small CPU configurations (≤ 256 px, width ≤ 64): measured to learn fastest at 1e-3.
CPU_LR = 1e-3
PAPER_ITERS = 5000
#: Quantisation-aware fine-tuning (and SINR coefficient fine-tuning): steps and learning rate
#: (× the run's). 300 at 0.3 saved 24 % / 14 % of plain quantisation's bits at equal PSNR on 12
#: Kodak images (3×64 / 2×32), against 16 % / 8 % for 100 at 0.1 (docs/results.md, issue 12).
QAT_STEPS = 300
QAT_LR_SCALE = 0.3


@dataclass(frozen=True)
class TrainConfig:
    """How a run trains. :data:`PAPER_PROTOCOL` is the paper's way (constant rate, the last
    step's weights, no warm-up); the defaults keep the best weights under each phase's schedule."""

    iters: int = PAPER_ITERS
    lr: float = PAPER_LR
    #: None: full batch, every pixel every step (the paper). Otherwise random pixels per step.
    batch_pixels: int | None = None
    seed: int = 0
    device: str = "auto"
    #: The fast step of :mod:`inr_studio.engine.fast_step` (fused Adam, CUDA graph). Off by
    #: default: its CUDA parts have not been measured on a GPU (issue 8); the plain step is the
    #: reference.
    fast: bool = False
    #: Coarse warm-up (full-batch runs of models that start with the pixel MSE): this share of
    #: the steps first fits one random pixel of each ``warmup_stride``² cell, drawn anew each
    #: step, at about 1/stride² of a step's cost. 0: off (the paper). The window's CPU default.
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
        if self.iters < 1:
            raise OptionError(f"iterations must be at least 1, got {self.iters}.")
        if not (0 < self.lr < 1):
            raise OptionError(f"learning rate must be in (0, 1), got {self.lr}.")
        if not 0.0 <= self.warmup < 1.0:
            raise OptionError(f"the warm-up share of the steps must be in [0, 1), "
                              f"got {self.warmup}.")
        if self.warmup_stride < 2:
            raise OptionError(f"the warm-up's stride must be at least 2, got {self.warmup_stride}.")
        check_schedule(self.schedule)
        if self.best_every < 0:
            raise OptionError(f"the best-keeping cadence must be 0 or more steps, "
                              f"got {self.best_every}.")
        if self.batch_pixels is not None and self.batch_pixels < 1:
            raise OptionError(f"pixel batch must be at least 1, got {self.batch_pixels}.")


#: The paper's protocol (its Table 1): a constant rate, the last step's weights, no warm-up.
#: Reproduces the tables measured before best-keeping existed.
PAPER_PROTOCOL = TrainConfig(schedule=CONSTANT, keep_best=False, warmup=0.0)
