"""One model fitted to one image, phase after phase. No loop here: the side-by-side engine
calls :meth:`Trainer.step`, so one loop drives every model, in the window and on the command line.

The trainer chooses its step object when it is built (the plain reference step, or the fast
step of :mod:`.fast_step`), and a new one at each phase (a phase has its own objective and
learning rate, and starts a fresh Adam). It sets each step's learning rate from the phase's
schedule (:mod:`.schedule`) and, when the run keeps its best (``TrainConfig.keep_best``), gives
the step a :class:`~.best.BestKeeper`: when the phase ends (or the run stops or fails) the
network holds the weights of its lowest whole-image loss, and :attr:`Trainer.last_psnr` says
what the last step's weights scored.
"""

from __future__ import annotations

import math
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
from .best import BestKeeper
from . import eoren as _eoren  # noqa: F401 - registers the objectives gradients and colour
from .config import TrainConfig
from .fast_step import FastStep, FastStepConfig, set_lr
from . import qat  # noqa: F401 - registers the "qat" objective
from . import rate_distortion  # noqa: F401 - registers the "latent" objective
from .objectives import Objective, make_objective, phase_cost
from .schedule import lr_factor, resolve
from .step import PlainStep, adam, tf32_matmuls

#: Random-batch runs without ``TrainConfig.best_every``: a whole-image check every this many
#: passes over the pixels (a check's forward costs about a third of a pass's steps), at least
#: every :data:`MIN_CHECK_STEPS` steps.
CHECK_PASSES = 4
MIN_CHECK_STEPS = 10


def with_warmup(phases: tuple[Phase, ...], config: TrainConfig) -> tuple[Phase, ...]:
    """The coarse warm-up (``config.warmup``) as the first steps of a first pixel-MSE phase
    that lasts the run's iterations; the total number of steps does not change."""
    k = config.warmup_steps()
    first = phases[0]
    if k < 1 or first.objective != "pixels" or first.steps is not None or first.options:
        return phases
    coarse = Phase("coarse", steps=k, lr_scale=first.lr_scale,
                   options=(("stride", config.warmup_stride),), schedule=first.schedule)
    return (coarse, replace(first, steps=config.iters - k, keep_optimizer=True)) + phases[1:]


def work_table(phases: tuple[Phase, ...], iters: int) -> tuple[tuple[int, float], ...]:
    """(steps, cost of a step against a full one) per phase: what an ETA weighs steps by."""
    return tuple((p.length(iters), phase_cost(p.objective, p.kwargs())) for p in phases)


def schedule_spans(phases: tuple[Phase, ...], config: TrainConfig
                   ) -> tuple[tuple[int, int, str], ...]:
    """Per phase: (first step, steps, schedule) of the span its rate follows. A phase that
    keeps the previous phase's Adam continues its span (the warm-up and the pixels after it)."""
    groups: list[list[int]] = []
    for i, phase in enumerate(phases):
        if i and phase.keep_optimizer:
            groups[-1].append(i)
        else:
            groups.append([i])
    lengths = [p.length(config.iters) for p in phases]
    starts = [sum(lengths[:i]) for i in range(len(phases))]
    spans: list[tuple[int, int, str]] = [(0, 0, "")] * len(phases)
    for group in groups:
        span = (starts[group[0]], sum(lengths[i] for i in group),
                resolve(config.schedule, phases[group[0]].schedule))
        for i in group:
            spans[i] = span
    return tuple(spans)


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
        self._phase_work = work_table(phases, config.iters)
        self.total_steps = sum(n for n, _ in self._phase_work)
        self._spans = schedule_spans(phases, config)
        self.steps_done = 0
        #: The current phase's keeper of its best weights (None: this phase keeps none).
        self.keeper: BestKeeper | None = None
        self._showing_best = False
        self._last_mse01: torch.Tensor | None = None
        self._check_every = config.best_every or max(MIN_CHECK_STEPS, math.ceil(
            CHECK_PASSES * self.batcher.pixels / (config.batch_pixels or self.batcher.pixels)))
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
            optimizer = kept or adam(self.model, self.config.lr * phase.lr_scale)
            obj = self._objective
            keeps = obj.always_keeps_best or (self.config.keep_best and obj.keeps_best)
            self.keeper = BestKeeper([p for g in optimizer.param_groups for p in g["params"]],
                                     self.steps_done) if keeps else None
            self._step = None
            self.use_step(self._fast, self._strict, optimizer)
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
            self._step = PlainStep(self.model, optimizer, self._objective, self.batcher,
                                   self.keeper)
        else:
            self._step = FastStep(self.model, optimizer, self._objective, self.batcher, fast,
                                  strict, self.keeper)
        self.notes = self._step.notes
        return self._step

    def settle(self) -> None:
        """End the current phase once (after its last step, or at a stop): its last weights
        are evaluated on the whole image (:attr:`last_psnr`) and offered to its keeper, the
        kept weights go back into the network, then the phase's closed-form end runs."""
        if self._settled or self._objective is None:
            self._settled = True
            return
        self._settled = True
        self.show_training()
        ran = self.steps_done > self._phase_end - self.phase.length(self.config.iters)
        last = self._phase == len(self.phases) - 1 or self.steps_done < self._phase_end
        if ran and (self.keeper is not None or last):  # not after a warm-up: no use for it
            criterion, mse01 = self._objective.evaluate(self.model)
            self._last_mse01 = mse01
            if self.keeper is not None:
                self.keeper.at(self.steps_done)
                self.keeper.offer(criterion, mse01)
        if self.keeper is not None:
            self.keeper.restore()
        self._objective.finish(self.model)

    def salvage(self) -> None:
        """After a failure: the kept weights back into the network, without a forward (the
        device may be out of memory) and without the phase's closed-form end."""
        self.show_training()
        if not self._settled and self.keeper is not None:
            self.keeper.restore()
        self._settled = True

    # --- the best weights ---
    def show_best(self) -> bool:
        """While paused: the network holds the best weights so far (what a save reads);
        :meth:`show_training` puts the training weights back. False: nothing kept yet."""
        if self._showing_best or self._settled or self.keeper is None or not self.keeper.has_best():
            return False
        self.keeper.swap()
        self._showing_best = True
        return True

    def show_training(self) -> None:
        if self._showing_best and self.keeper is not None:
            self.keeper.swap()
        self._showing_best = False

    def returned_step(self) -> tuple[int, bool]:
        """Once the run has ended: the step of the weights the network holds, and whether they
        are the kept best (else the last step's). A sync: not for every step."""
        if self._settled and self.keeper is not None and self.keeper.has_best():
            return int(self.keeper.step), True
        return self.steps_done, False

    def weights_note(self) -> str:
        """Which weights the network holds now, in words (what a save says it codes)."""
        if self._showing_best and self.keeper is not None:
            return (f"the best weights so far (step {int(self.keeper.step):,}; the run is "
                    f"paused at step {self.steps_done:,})")
        step, best = self.returned_step() if self._settled else (self.steps_done, False)
        if best:
            return f"the best step's weights (step {step:,} of {self.steps_done:,})"
        return f"the weights of the last step (step {step:,})"

    def best_figures(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(clipped MSE, step) of the kept weights, on the device; None: this phase keeps none."""
        return self.keeper.figures() if self.keeper is not None else None

    @property
    def last_psnr(self) -> float:
        """PSNR of the last step's weights (the whole image, as the paper's protocol returns
        them), once a phase has ended; NaN before."""
        if self._last_mse01 is None:
            return float("nan")
        return float(psnr_from_mse(float(self._last_mse01)))

    def _check_whole_image(self) -> None:
        """Random batches: the whole image scored now and offered to the keeper."""
        assert self.keeper is not None and self._objective is not None
        self.keeper.at(self.steps_done)
        self.keeper.offer(*self._objective.evaluate(self.model))

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
    def step_cost(self) -> float:
        """What a step of the phase now running costs against a full step."""
        return self._phase_work[self._phase][1]

    @property
    def done(self) -> bool:
        return self.steps_done >= self.total_steps

    # --- training ---
    def step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One Adam update; returns (loss, clipped-[0,1] MSE) of the forward it used, on device."""
        assert self._step is not None and not self.done
        self.show_training()
        start, span, schedule = self._spans[self._phase]
        set_lr(self._step.optimizer, self.config.lr * self.phase.lr_scale
               * lr_factor(schedule, self.steps_done - start, span))
        with tf32_matmuls(self.config.tf32):
            loss, mse01 = self._step.step()
        self.steps_done += 1
        if (self.keeper is not None and self._objective is not None
                and self._objective.fixed_batch is None
                and self.steps_done % self._check_every == 0 and self.steps_done < self._phase_end):
            self._check_whole_image()
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
