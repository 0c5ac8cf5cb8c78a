"""The one training loop: a list of model specs trained side by side on one image.

Round robin, ``steps_per_turn`` steps of each model in turn: on a CPU, PyTorch already spreads
each step over the cores, so one thread per model would only fight over the same cores and the
GIL (and starve a GUI thread), while round robin keeps the curves moving at the same pace; on a
GPU, kernels are queued asynchronously, so one feeding thread keeps the device busy.

The generator yields immutable messages (:mod:`.messages`): progress at most every
``progress_s`` seconds (scalars read from the device once per batch: one sync for all the steps
since the last one), previews at most every ``preview_s`` and never more than
``preview_share`` of the time, a first preview after the first step so the models appear at
once. Pause and stop come through :class:`RunControl`. Device out-of-memory and user errors
become one :class:`RunFailed` here, the only place they are translated. The window iterates
this in a worker thread; ``fit``/``bench`` and the tests iterate it directly.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..device import describe, pick_device
from ..errors import InrStudioError
from ..metrics import error_magnitude, psnr as psnr_of, psnr_from_mse, shared_error_scale
from ..metrics import ssim as ssim_of, to_uint8
from ..models.spec import ModelSpec
from ..problem import FitProblem
from .config import TrainConfig
from .control import RunControl
from .failures import failure_message, is_out_of_memory
from .memory import check_memory, out_of_memory_advice
from .messages import (PSNR_CAP, Message, ModelStats, PausedReached, PreviewFrame,
                       ProgressBatch, RunEnded, RunFailed, RunStarted)
from .pace import RecentPace
from .step_clock import StepClock
from .trainer import Trainer


@dataclass(frozen=True)
class RunRequest:
    """Everything a run needs, made by the caller and never changed afterwards."""

    generation: int
    pixels: np.ndarray  # H×W×C float32 [0, 1], the working image
    specs: tuple[ModelSpec, ...]
    train: TrainConfig
    cpu_threads: int | None = None  # torch intra-op threads on CPU; None: leave as is
    previews: bool = True  # False: only the final frame (the command line)
    progress_s: float = 0.1
    preview_s: float = 0.5
    preview_share: float = 0.25
    steps_per_turn: int = 1

    def __post_init__(self) -> None:
        keys = [s.key for s in self.specs]
        if not keys or len(set(keys)) != len(keys):
            raise InrStudioError("a run needs one or more models, each at most once.")


class SideBySide:
    def __init__(self, request: RunRequest, control: RunControl | None = None) -> None:
        self.request = request
        self.control = control or RunControl()
        #: key -> Trainer; read them only after the run ended, or while paused and idle.
        self.trainers: dict[str, Trainer] = {}
        #: key -> the model's own training seconds so far (kept when a run is interrupted).
        self.compute_s: dict[str, float] = {}
        #: key -> the model's recent pace (what its ETA divides by).
        self._pace: dict[str, RecentPace] = {}
        #: key -> (PSNR, step) of the curve's highest point so far (read from the batches).
        self._curve_best: dict[str, tuple[float, int]] = {}
        #: key -> the keeper's figures last read (kept across a phase without a keeper).
        self._last_best: dict[str, tuple[float, int]] = {}
        self.device_name = ""

    def run(self) -> Iterator[Message]:
        gen = self.request.generation
        old_threads = torch.get_num_threads()
        try:
            yield from self._run()
        except Exception as exc:  # noqa: BLE001 - translated below, or re-raised
            if is_out_of_memory(exc):  # the frames' tensors too, before free memory is read
                traceback.clear_frames(exc.__traceback__)
            for trainer in self.trainers.values():
                trainer.salvage()  # a failed run keeps each model's best so far
            message = failure_message(exc, self._memory_advice)
            if message is None:
                raise
            yield RunFailed(gen, message)
        finally:
            torch.set_num_threads(old_threads)

    def _memory_advice(self) -> str:
        """After an out-of-memory: the failed run's networks are dropped (nothing of a failed
        run is read afterwards), so the advice and the next run see their memory as free."""
        self.trainers.clear()
        req = self.request
        h, w = req.pixels.shape[:2]
        return out_of_memory_advice(req.specs, h, w, req.train.batch_pixels,
                                    str(pick_device(req.train.device)), req.pixels.shape[2],
                                    cuda_graphs=req.train.fast)

    # ------------------------------------------------------------------ the loop
    def _build(self) -> None:
        req = self.request
        device = pick_device(req.train.device)
        h, w = req.pixels.shape[:2]  # the memory guard: refuse now what would not fit
        check_memory(req.specs, h, w, req.train.batch_pixels, str(device), req.pixels.shape[2],
                     cuda_graphs=req.train.fast)
        if req.cpu_threads and device.type == "cpu":
            # Before building anything: with more threads than free cores, OpenMP's spinning
            # threads slow small matrix products by orders of magnitude.
            torch.set_num_threads(req.cpu_threads)
        for spec in req.specs:
            if self.control.stop_requested:
                return
            problem = FitProblem.create(req.pixels, spec.config)
            self.trainers[spec.key] = Trainer(problem, req.train, spec.phases)
        self.device_name = describe(device)

    def _run(self) -> Iterator[Message]:
        req = self.request
        gen = req.generation
        self._build()
        trainers = self.trainers
        if len(trainers) < len(req.specs):
            yield RunEnded(gen, True, {}, {})
            return
        yield RunStarted(gen, self.device_name,
                         {k: t.problem.config.parameter_count() for k, t in trainers.items()},
                         {k: t.total_steps for k, t in trainers.items()})
        clock = StepClock(pick_device(req.train.device), trainers)
        compute = self.compute_s = clock.seconds
        pending: dict[str, list[tuple[int, torch.Tensor]]] = {k: [] for k in trainers}
        t_start = time.perf_counter()
        paused = 0.0
        last_emit = 0.0
        next_preview = 0.0  # the first preview comes after the first step
        stopped = False

        def elapsed() -> float:
            return time.perf_counter() - t_start - paused

        while any(not t.done for t in trainers.values()):
            if self.control.paused:
                for trainer in trainers.values():
                    trainer.show_best()  # what a save while paused reads
                yield self._progress(pending, clock.settle(), elapsed())
                yield PausedReached(gen)
                paused += self.control.wait_while_paused()
                for trainer in trainers.values():
                    trainer.show_training()
            if self.control.stop_requested:
                stopped = True
                break
            for key, trainer in trainers.items():
                t0 = clock.start()  # CUDA: events around the turn, read at the next progress
                for _ in range(req.steps_per_turn):
                    if trainer.done:
                        break
                    _, mse01 = trainer.step()
                    # The step's forward ran before its update: that PSNR is the model's after
                    # steps_done - 1 updates.
                    pending[key].append((trainer.steps_done - 1, mse01))
                clock.stop(key, t0)
                if self.control.stop_requested:
                    break
            now = time.perf_counter()
            if now - last_emit >= req.progress_s:
                yield self._progress(pending, clock.settle(), elapsed())
                last_emit = time.perf_counter()
            if req.previews and now >= next_preview and not self.control.stop_requested:
                t0 = time.perf_counter()
                yield self._preview(final=False)
                cost = time.perf_counter() - t0
                next_preview = time.perf_counter() + max(req.preview_s, cost / req.preview_share)
        for trainer in trainers.values():
            trainer.settle()  # the kept weights; a stopped phase still gets its closed-form end
        last = self._progress(pending, clock.settle(), elapsed(), ended=True)
        yield last
        if not stopped or req.previews:  # the panels end on the networks the run returns
            yield self._preview(final=True)
        yield RunEnded(gen, stopped, {k: t.steps_done for k, t in trainers.items()},
                       dict(compute), kept_best=req.train.keep_best,
                       best_psnr={k: st.best_psnr for k, st in last.stats.items()},
                       best_step={k: st.best_step for k, st in last.stats.items()},
                       last_psnr={k: st.last_psnr for k, st in last.stats.items()})

    # ------------------------------------------------------------------ messages
    def _progress(self, pending: dict, compute: dict, elapsed: float,
                  ended: bool = False) -> ProgressBatch:
        points, best = {}, {}
        for key, items in pending.items():
            kept = self.trainers[key].best_figures()
            values = [m.float() for _, m in items] + (
                [kept[0].float(), kept[1].float()] if kept is not None else [])
            if not values:
                continue
            read = torch.stack(values).cpu().numpy()  # one device sync for all of them
            psnr = np.minimum(psnr_from_mse(read[:len(items) + 1]), PSNR_CAP)
            if items:
                steps = np.array([s for s, _ in items], dtype=np.int64)
                points[key] = (steps, psnr[:len(items)])
                top = int(np.nanargmax(points[key][1])) if np.isfinite(
                    points[key][1]).any() else -1
                if top >= 0 and points[key][1][top] > self._curve_best.get(key, (-np.inf, -1))[0]:
                    self._curve_best[key] = (float(points[key][1][top]), int(steps[top]))
            if kept is not None:
                best[key] = (float(psnr[len(items)]), int(read[-1]))
            items.clear()
        stats = {}
        for key, trainer in self.trainers.items():
            done, total = trainer.steps_done, trainer.total_steps
            curve = points.get(key)
            work_done, work_total = trainer.work
            pace = self._pace.setdefault(key, RecentPace())
            pace.add(elapsed, work_done)
            stats[key] = ModelStats(
                kind=key, step=done, total=total,
                psnr=float(curve[1][-1]) if curve is not None else float("nan"),
                iters_per_s=done / compute[key] if compute[key] > 0 else 0.0,
                elapsed_s=elapsed,
                eta_s=pace.eta_s(work_total - work_done),
                params=trainer.problem.config.parameter_count(),
                last_psnr=trainer.last_psnr if ended else float("nan"),
                bpp=trainer.estimated_bpp(), **self._best_of(key, best))
        return ProgressBatch(self.request.generation, points, stats)

    def _best_of(self, key: str, read: dict[str, tuple[float, int]]) -> dict:
        """The best figures of a model's stats: its keeper's (just read); with ``keep_best``
        off, the curve's highest point; else none yet (a warm-up keeps nothing)."""
        if key in read:
            value, step = read[key]
        elif not self.request.train.keep_best:
            value, step = self._curve_best.get(key, (float("nan"), -1))
        else:
            value, step = self._last_best.get(key, (float("nan"), -1))
        if step >= 0:
            self._last_best[key] = (value, step)
        return {"best_psnr": value if step >= 0 else float("nan"), "best_step": step}

    def _preview(self, final: bool) -> PreviewFrame:
        """Each model's picture: during the run, the one its last full-batch step already drew
        (no second forward); at the end, and after a step on a random batch, a render."""
        recon, error, psnr, ssim, steps, best, grids = {}, {}, {}, {}, {}, set(), {}
        for key, trainer in self.trainers.items():
            drawn = None if final else trainer.last_forward()
            rec, steps[key] = drawn if drawn is not None else (trainer.reconstruct(),
                                                                trainer.steps_done)
            if final:
                steps[key], kept = trainer.returned_step()
                if kept:
                    best.add(key)
            ref = trainer.problem.pixels
            recon[key] = to_uint8(rec)
            error[key] = error_magnitude(rec, ref)
            psnr[key] = min(psnr_of(rec, ref), PSNR_CAP)
            ssim[key] = ssim_of(rec, ref)
            if latent := trainer.latent_grids():
                grids[key] = tuple(latent)
        return PreviewFrame(self.request.generation, steps, recon, error, psnr, ssim,
                            error_scale=shared_error_scale(*error.values()), final=final,
                            best=frozenset(best), grids=grids)

