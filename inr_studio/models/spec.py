"""What to train and how: a model's configuration and its schedule of phases, as plain data.

A phase names its objective (resolved by :mod:`inr_studio.engine.objectives`), so a new way of
training (EoREN's gradient fit, quantisation-aware fine-tuning) is a new objective and a new
phase in a spec, never a new training loop. Torch-free: views and the registry import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import OptionError
from .config import ModelConfig


@dataclass(frozen=True)
class Phase:
    """``steps`` Adam steps minimising ``objective`` (``None``: the run's iterations).

    ``lr_scale`` multiplies the run's learning rate; ``options`` are the objective's keyword
    arguments, as (name, value) pairs so the phase stays hashable and frozen.
    """

    objective: str = "pixels"
    steps: int | None = None
    lr_scale: float = 1.0
    options: tuple[tuple[str, float | int | str | bool], ...] = ()
    #: Go on with the previous phase's Adam (its moments) instead of a fresh one: a phase
    #: that continues the same minimisation (after the coarse warm-up).
    keep_optimizer: bool = False
    #: The learning-rate schedule of this phase (``inr_studio.engine.schedule``: constant,
    #: cosine, step), measured per model where it matters; None: the engine's default. A run
    #: whose ``TrainConfig.schedule`` names one overrides it.
    schedule: str | None = None
    #: With ``steps`` None: this share of the run's iterations instead of all of them (a
    #: schedule split in proportions, as the latent model's noise then rounding phases).
    share: float | None = None

    def __post_init__(self) -> None:
        if self.steps is not None and self.steps < 0:
            raise OptionError(f"a phase needs 0 or more steps, got {self.steps}.")
        if not self.lr_scale > 0:
            raise OptionError(f"a phase's learning-rate scale must be positive, got {self.lr_scale}.")
        if self.share is not None and not 0 < self.share <= 1:
            raise OptionError(f"a phase's share of the steps must be in (0, 1], got {self.share}.")

    def length(self, iters: int) -> int:
        if self.steps is not None:
            return self.steps
        return iters if self.share is None else max(1, round(self.share * iters))

    def kwargs(self) -> dict:
        return dict(self.options)


@dataclass(frozen=True)
class ModelSpec:
    """One model of a comparison: its registry key, display label, network and schedule."""

    key: str
    label: str
    config: ModelConfig
    phases: tuple[Phase, ...] = field(default=(Phase(),))
    #: Forward multiply-accumulates per pixel when the registry entry counts them itself
    #: (a model whose cost its :class:`ModelConfig` does not describe); None: the config's.
    macs: int | None = None

    def total_steps(self, iters: int) -> int:
        return sum(p.length(iters) for p in self.phases)

    def macs_per_pixel(self) -> int:
        return self.macs if self.macs is not None else self.config.macs_per_pixel()
