"""One model fitted to one image, phase after phase. No loop here: the side-by-side engine
calls :meth:`Trainer.step`, so one loop drives every model, in the window and on the command line.

The trainer chooses its step object when it is built (the plain reference step, or the fast
step of :mod:`.fast_step`), and a new one at each phase (a phase has its own objective and
learning rate, and starts a fresh Adam).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ..device import pick_device
from ..metrics import psnr_from_mse, to_unit
from ..models.build import build_network
from ..models.network import CoordinateNet
from ..models.spec import Phase
from ..problem import FitProblem
from ..render import render
from .batch import Batcher
from . import eoren as _eoren  # noqa: F401 - registers the objectives gradients and colour
from .config import TrainConfig
from .fast_step import FastStep, FastStepConfig
from . import qat  # noqa: F401 - registers the "qat" objective
from . import rate_distortion  # noqa: F401 - registers the "latent" objective
from .objectives import Objective, make_objective, phase_cost
from .step import PlainStep, adam


def with_warmup(phases: tuple[Phase, ...], config: TrainConfig) -> tuple[Phase, ...]:
    """The coarse warm-up (``config.warmup``) as the first steps of a first pixel-MSE phase
    that lasts the run's iterations; the total number of steps does not change."""
    k = config.warmup_steps()
    first = phases[0]
    if k < 1 or first.objective != "pixels" or first.steps is not None or first.options:
        return phases
    coarse = Phase("coarse", steps=k, lr_scale=first.lr_scale,
                   options=(("stride", config.warmup_stride),))
    return (coarse, replace(first, steps=config.iters - k, keep_optimizer=True)) + phases[1:]


class Trainer:
    """Fits a :class:`CoordinateNet` to a :class:`FitProblem` through ``phases`` (default: the
    paper's one phase of pixel MSE for ``config.iters`` steps)."""

    def __init__(self, problem: FitProblem, config: TrainConfig = TrainConfig(),
                 phases: tuple[Phase, ...] = (Phase(),),
                 init: dict[str, torch.Tensor] | None = None) -> None:
        """``init``: a state dict to start from (a trained network's, to fine-tune it)."""
        if not phases:
            raise ValueError("a trainer needs at least one phase")
        self.problem = problem
        self.config = config
        self.device = pick_device(config.device)
        self.model = build_network(problem.config, seed=config.seed).to(self.device)
        if init is not None:
            self.model.load_state_dict(init)
        self.batcher = Batcher(problem, config.batch_pixels, config.seed, self.device)
        phases = with_warmup(phases, config) if self.batcher.full is not None else phases
        self.phases = phases
        #: (steps, cost of a step against a full one) per phase: what :attr:`work` weighs.
        self._phase_work = tuple((p.length(config.iters), phase_cost(p.objective, p.kwargs()))
                                 for p in phases)
        self.total_steps = sum(n for n, _ in self._phase_work)
        self.steps_done = 0
        self.notes: tuple[str, ...] = ()
        self._phase = -1
        self._phase_end = 0
        self._objective: Objective | None = None
        self._step: PlainStep | FastStep | None = None
        self._fast: FastStepConfig | None = FastStepConfig() if config.fast else None
        self._strict = False
        self._settled = True
        self._rate_before = float("nan")
        self._advance()

    # --- phases ---
    @property
    def phase(self) -> Phase:
        return self.phases[self._phase]

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        assert self._step is not None
        return self._step.optimizer

    def _advance(self) -> None:
        """Settle the phase that ended, then enter the next one with steps (0-step phases only
        run their closed-form ``finish``)."""
        while self.steps_done >= self._phase_end and self._phase + 1 < len(self.phases):
            self.settle()
            if self._objective is not None:  # a rate carries over until the next phase's first step
                self._rate_before = self._objective.estimated_bpp()
            self._phase += 1
            phase = self.phases[self._phase]
            self._phase_end += phase.length(self.config.iters)
            self._objective = make_objective(phase.objective, self.problem, self.batcher,
                                             phase.kwargs())
            self._objective.prepare(self.model)
            self._settled = False
            kept = self._step.optimizer if phase.keep_optimizer and self._step else None
            self._step = None
            self.use_step(self._fast, self._strict,
                          kept or adam(self.model, self.config.lr * phase.lr_scale))
            self._objective.bind(self.optimizer, phase.length(self.config.iters))
        if self.steps_done >= self.total_steps:
            self.settle()

    def use_step(self, fast: FastStepConfig | None, strict: bool = False,
                 optimizer: torch.optim.Optimizer | None = None) -> PlainStep | FastStep:
        """Train from now on with the plain step (``fast=None``) or the fast step with these
        options (for this phase and the next ones); Adam's state so far is kept. Returns the
        step object; its ``notes`` say which fast options this device could not use."""
        assert self._objective is not None
        optimizer = optimizer or self.optimizer
        self._fast, self._strict = fast, strict
        if fast is None or not isinstance(self.model, CoordinateNet):  # grid models: plain
            self._step = PlainStep(self.model, optimizer, self._objective, self.batcher)
        else:
            self._step = FastStep(self.model, optimizer, self._objective, self.batcher, fast,
                                  strict)
        self.notes = self._step.notes
        return self._step

    def settle(self) -> None:
        """Run the current phase's closed-form end once (after its last step, or at a stop)."""
        if not self._settled and self._objective is not None:
            self._objective.finish(self.model)
        self._settled = True

    @property
    def work(self) -> tuple[float, float]:
        """(done, total) in steps weighted by their phase's cost: an ETA from these does not
        run fast through a cheap warm-up and then stall."""
        done = total = 0.0
        left = self.steps_done
        for n, cost in self._phase_work:
            done += min(left, n) * cost
            total += n * cost
            left = max(0, left - n)
        return done, total

    @property
    def done(self) -> bool:
        return self.steps_done >= self.total_steps

    # --- training ---
    def step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One Adam update; returns (loss, clipped-[0,1] MSE) of the forward it used, on device."""
        assert self._step is not None and not self.done
        loss, mse01 = self._step.step()
        self.steps_done += 1
        if self.steps_done >= self._phase_end:
            self._advance()
        return loss, mse01

    # --- results ---
    def reconstruct(self, height: int | None = None, width: int | None = None) -> np.ndarray:
        h = height or self.problem.height
        w = width or self.problem.width
        full = self.batcher.full
        self.model.eval()
        try:
            if full is not None and (h, w) == (self.problem.height, self.problem.width) and \
                    isinstance(self.model, CoordinateNet):
                # Full-batch training holds this whole forward already, and its routing is
                # built: reuse it (building it again is a sixth of an LoE render).
                with torch.no_grad():
                    return self._picture(self.model(full.coords, full.routing))
            return render(self.model, h, w, self.problem.class_map)
        finally:
            self.model.train()

    def last_forward(self) -> tuple[np.ndarray, int] | None:
        """The picture the last step's forward drew, if it saw every pixel, and the number of
        updates it had then (``steps_done - 1``); else None. A preview shows this instead of
        rendering again: on a CPU a render costs a third of a step (docs/results.md, 10.8)."""
        pred = self._step.last_pred if self._step is not None else None
        if pred is None or self.steps_done == 0:
            return None
        return self._picture(pred), self.steps_done - 1

    def _picture(self, pred: torch.Tensor) -> np.ndarray:
        """A whole-grid prediction in raster order → the H×W×C image in [0, 1]."""
        h, w = self.problem.height, self.problem.width
        return to_unit(pred.float().cpu().numpy().reshape(h, w, -1))

    def estimated_bpp(self) -> float:
        """The rate the current phase's objective estimates, bits per pixel (NaN for a model
        that does not train a rate: every coordinate network)."""
        now = self._objective.estimated_bpp() if self._objective is not None else float("nan")
        return now if np.isfinite(now) else self._rate_before

    def latent_grids(self) -> list[np.ndarray]:
        """A latent-grid model's rounded grids, finest first (empty for other models)."""
        grids = getattr(self.model, "latent_grids", None)
        return grids() if grids is not None else []

    def full_psnr(self) -> tuple[float, float]:
        """(loss on [-1, 1], PSNR) of the whole image now."""
        mse01 = float(np.mean((self.reconstruct() - self.problem.pixels) ** 2))
        return 4.0 * mse01, psnr_from_mse(mse01)
