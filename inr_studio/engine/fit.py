"""Running the side-by-side engine to its end, for the command line, studies and tests.

Not a second loop: this iterates :class:`SideBySide` (without previews) and collects each
model's final figures. Ctrl-C stops the run and keeps the networks as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import InrStudioError
from ..models import registry
from ..models.spec import ModelSpec, Phase
from ..problem import FitProblem
from .config import TrainConfig
from .control import RunControl
from .messages import PreviewFrame, ProgressBatch, RunEnded, RunFailed
from .side_by_side import RunRequest, SideBySide
from .trainer import Trainer


@dataclass(frozen=True)
class FitResult:
    """One model's end of a run: the returned network's full-image PSNR/SSIM, steps taken and
    its own seconds; beside it the step the returned weights come from and the PSNR of the
    last step's weights (equal to ``psnr`` when the run returns its last step)."""

    key: str
    psnr: float
    ssim: float
    steps: int
    seconds: float
    stopped: bool  # fewer steps than planned (stopped or interrupted)
    best_step: int = -1  # the returned weights' step (-1: the last step's weights)
    last_psnr: float = float("nan")
    kept_best: bool = False


def spec_of(problem: FitProblem, phases: tuple[Phase, ...] = (Phase(),)) -> ModelSpec:
    key = problem.config.kind
    return ModelSpec(key, registry.label(key), problem.config, phases)


def fit_side_by_side(pixels: np.ndarray, specs: tuple[ModelSpec, ...], config: TrainConfig,
                     on_progress: Callable[[ProgressBatch], None] | None = None,
                     control: RunControl | None = None, progress_s: float = 0.5,
                     cpu_threads: int | None = None
                     ) -> tuple[SideBySide, dict[str, FitResult], bool]:
    """Train ``specs`` on ``pixels`` to the end. Returns the run, each model's result, and
    whether Ctrl-C interrupted it. A :class:`RunFailed` is raised as an :class:`InrStudioError`."""
    request = RunRequest(0, pixels, specs, config, cpu_threads=cpu_threads, previews=False,
                         progress_s=progress_s)
    run = SideBySide(request, control)
    frame: PreviewFrame | None = None
    ended: RunEnded | None = None
    interrupted = False
    try:
        for msg in run.run():
            if isinstance(msg, ProgressBatch) and on_progress is not None:
                on_progress(msg)
            elif isinstance(msg, PreviewFrame):
                frame = msg
            elif isinstance(msg, RunEnded):
                ended = msg
            elif isinstance(msg, RunFailed):
                raise InrStudioError(msg.message)
    except KeyboardInterrupt:
        interrupted = True
        for trainer in run.trainers.values():
            trainer.settle()
    results = {}
    for key, trainer in run.trainers.items():
        if frame is not None:
            psnr, ssim = frame.psnr[key], frame.ssim[key]
        else:
            from ..metrics import psnr as psnr_of, ssim as ssim_of

            rec = trainer.reconstruct()
            psnr, ssim = psnr_of(rec, trainer.problem.pixels), ssim_of(rec, trainer.problem.pixels)
        seconds = ended.compute_s[key] if ended is not None else run.compute_s.get(key, 0.0)
        kept = trainer.best_figures() if config.keep_best else None
        best_step = int(kept[1]) if kept is not None else -1
        results[key] = FitResult(key, float(psnr), float(ssim), trainer.steps_done, seconds,
                                 stopped=not trainer.done, best_step=best_step,
                                 last_psnr=trainer.last_psnr, kept_best=best_step >= 0)
    return run, results, interrupted


def fit(problem: FitProblem, config: TrainConfig = TrainConfig(),
        phases: tuple[Phase, ...] = (Phase(),),
        on_progress: Callable[[ProgressBatch], None] | None = None
        ) -> tuple[Trainer, FitResult]:
    """One model to the end; returns its trainer and result (the CLI, studies, benchmarks)."""
    spec = spec_of(problem, phases)
    run, results, _ = fit_side_by_side(problem.pixels, (spec,), config, on_progress)
    return run.trainers[spec.key], results[spec.key]
