"""Training the four models in one QThread, with throttled, immutable snapshots.

Why one thread, interleaving one step of each model in turn (round robin): on a CPU, PyTorch
already spreads each step over the cores, so four threads would only fight over the same cores
and the GIL (and starve the GUI thread), while round robin keeps the four curves moving at the
same pace; on a GPU, kernels are queued asynchronously, so one feeding thread keeps the device
busy. One thread also means one stop flag and one place where errors become messages.

Thread rules (shared/QT_NOTES.md): this is a ``QThread`` subclass, so its signals belong to
an object of the GUI thread and reach GUI slots queued; pause/stop go through the core's
``RunControl`` (``threading.Event``), which a busy loop sees between steps; every array
emitted is a fresh copy that nobody mutates afterwards; scalars are read from the device once
per emit (one sync for all the steps since the last one).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import torch
from PySide6.QtCore import QThread, Signal

from ..device import pick_device
from ..errors import InrStudioError
from ..metrics import error_magnitude, psnr_from_mse, shared_error_scale
from ..metrics import psnr as psnr_of, ssim as ssim_of
from ..models import ModelConfig
from ..problem import FitProblem
from ..training import RunControl, TrainConfig, Trainer

#: Scalars (curves, table) at most this often; previews at most every PREVIEW_S seconds, and
#: never taking more than a quarter of the time (a preview renders all four models).
PROGRESS_S = 0.1
PREVIEW_S = 0.5
PREVIEW_SHARE = 0.25
PSNR_CAP = 100.0  # an exact fit has infinite PSNR; curves need a finite number


@dataclass(frozen=True)
class RunRequest:
    """Everything a run needs, made on the GUI thread and never changed afterwards."""

    generation: int
    pixels: np.ndarray  # H×W×3 float32 [0, 1], the working image
    configs: tuple[tuple[str, ModelConfig], ...]
    train: TrainConfig
    cpu_threads: int | None = None  # torch intra-op threads on CPU; None: leave as is


@dataclass(frozen=True)
class ModelStats:
    kind: str
    step: int
    total: int
    psnr: float  # of the last step's forward (whole image in full-batch mode)
    iters_per_s: float  # own compute throughput, as if it ran alone
    elapsed_s: float  # wall time of the run so far, pauses excluded
    eta_s: float  # wall time left for this model at the current interleaved pace
    params: int


@dataclass(frozen=True)
class ProgressBatch:
    """New curve points since the previous batch, and every model's current figures."""

    generation: int
    points: dict[str, tuple[np.ndarray, np.ndarray]]  # kind -> (steps, psnr)
    stats: dict[str, ModelStats]


@dataclass(frozen=True)
class PreviewFrame:
    """Reconstructions (uint8 H×W×3) and error maps (float32 H×W mean |error|) of all models."""

    generation: int
    steps: dict[str, int]
    recon: dict[str, np.ndarray]
    error: dict[str, np.ndarray]
    psnr: dict[str, float]
    ssim: dict[str, float]
    error_scale: float  # shared colour scale of the four error maps
    final: bool = False


class TrainWorker(QThread):
    progressed = Signal(object)  # ProgressBatch
    previewed = Signal(object)  # PreviewFrame
    pausedReached = Signal(int)  # generation: the worker is now idle, models safe to read
    failed = Signal(int, str)  # generation, message for the user
    ended = Signal(int, bool)  # generation, stopped early

    def __init__(self, request: RunRequest, parent=None) -> None:
        super().__init__(parent)
        self.request = request
        self.control = RunControl()
        #: kind -> Trainer; read it only after the thread finished (or while paused-confirmed).
        self.trainers: dict[str, Trainer] = {}
        self.device_name = ""

    # --- called from the GUI thread ---
    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def request_stop(self) -> None:
        self.control.stop()

    # --- the worker thread ---
    def run(self) -> None:  # noqa: D401 - QThread API
        gen = self.request.generation
        old_threads = torch.get_num_threads()
        try:
            self._train()
        except torch.cuda.OutOfMemoryError:
            self.failed.emit(gen, "The GPU ran out of memory. Use a smaller working size, "
                                  "pixel batches or a narrower network.")
        except InrStudioError as exc:
            self.failed.emit(gen, str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure becomes a message, the window lives
            text = str(exc)
            if "out of memory" in text.lower():
                text = "the device ran out of memory; use a smaller working size or network."
            self.failed.emit(gen, f"Training failed: {type(exc).__name__}: {text}")
        finally:
            torch.set_num_threads(old_threads)

    def _train(self) -> None:
        req = self.request
        gen = req.generation
        if req.cpu_threads and pick_device(req.train.device).type == "cpu":
            # Before building anything: with more threads than free cores, OpenMP's spinning
            # threads slow small matrix products by orders of magnitude.
            torch.set_num_threads(req.cpu_threads)
        for kind, cfg in req.configs:
            if self.control.stop_requested:
                self.ended.emit(gen, True)
                return
            problem = FitProblem.create(req.pixels, cfg)
            self.trainers[kind] = Trainer(problem, req.train, self.control)
        kinds = [k for k, _ in req.configs]
        self.device_name = str(self.trainers[kinds[0]].device)
        total = req.train.iters
        params = {k: t.problem.config.parameter_count() for k, t in self.trainers.items()}
        compute = {k: 0.0 for k in kinds}
        pending: dict[str, list[tuple[int, torch.Tensor]]] = {k: [] for k in kinds}
        t_start = time.perf_counter()
        paused = 0.0
        last_emit = 0.0
        next_preview = t_start + PREVIEW_S
        stopped = False

        def elapsed() -> float:
            return time.perf_counter() - t_start - paused

        while any(t.steps_done < total for t in self.trainers.values()):
            if self.control.paused:
                self._emit_progress(gen, pending, compute, params, elapsed())
                self.pausedReached.emit(gen)
                paused += self.control.wait_while_paused()
            if self.control.stop_requested:
                stopped = True
                break
            for kind in kinds:
                trainer = self.trainers[kind]
                if trainer.steps_done >= total:
                    continue
                t0 = time.perf_counter()
                _, mse01 = trainer.step()
                compute[kind] += time.perf_counter() - t0
                # The step's forward ran before its update: that PSNR is the model's after
                # steps_done - 1 updates (as in the core's Progress.step).
                pending[kind].append((trainer.steps_done - 1, mse01))
                if self.control.stop_requested:
                    break
            now = time.perf_counter()
            if now - last_emit >= PROGRESS_S:
                self._emit_progress(gen, pending, compute, params, elapsed())
                last_emit = time.perf_counter()
            if now >= next_preview and not self.control.stop_requested:
                cost = self._emit_preview(gen, final=False)
                next_preview = time.perf_counter() + max(PREVIEW_S, cost / PREVIEW_SHARE)
        self._emit_progress(gen, pending, compute, params, elapsed())
        if not stopped:
            self._emit_preview(gen, final=True)
        self.ended.emit(gen, stopped)

    def _emit_progress(self, gen: int, pending: dict, compute: dict, params: dict,
                       elapsed: float) -> None:
        points = {}
        for kind, items in pending.items():
            if not items:
                continue
            steps = np.array([s for s, _ in items], dtype=np.int64)
            mse = torch.stack([m for _, m in items]).float().cpu().numpy()  # one device sync
            points[kind] = (steps, np.minimum(psnr_from_mse(mse), PSNR_CAP))
            items.clear()
        stats = {}
        for kind, trainer in self.trainers.items():
            done = trainer.steps_done
            curve = points.get(kind)
            last = float(curve[1][-1]) if curve is not None else float("nan")
            rate_wall = done / elapsed if elapsed > 0 else 0.0
            left = trainer.config.iters - done
            stats[kind] = ModelStats(
                kind=kind, step=done, total=trainer.config.iters, psnr=last,
                iters_per_s=done / compute[kind] if compute[kind] > 0 else 0.0,
                elapsed_s=elapsed,
                eta_s=left / rate_wall if rate_wall > 0 else float("nan"),
                params=params[kind])
        self.progressed.emit(ProgressBatch(gen, points, stats))

    def _emit_preview(self, gen: int, final: bool) -> float:
        t0 = time.perf_counter()
        recon, error, psnr, ssim, steps = {}, {}, {}, {}, {}
        for kind, trainer in self.trainers.items():
            rec = trainer.reconstruct()
            ref = trainer.problem.pixels
            recon[kind] = (np.clip(rec, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
            error[kind] = error_magnitude(rec, ref)
            psnr[kind] = min(psnr_of(rec, ref), PSNR_CAP)
            ssim[kind] = ssim_of(rec, ref)
            steps[kind] = trainer.steps_done
        scale = shared_error_scale(*error.values())
        self.previewed.emit(PreviewFrame(gen, steps, recon, error, psnr, ssim,
                                         error_scale=scale, final=final))
        return time.perf_counter() - t0


def warm_up() -> None:
    """Create one Adam optimiser now, on the GUI thread before the window shows: its first use
    imports ``torch._dynamo`` (a second or more), which inside the worker would hold the GIL
    in long stretches and freeze the window for hundreds of milliseconds at Start."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def default_cpu_threads() -> int:
    """Leave one core to the GUI thread so the window stays responsive while training on CPU."""
    return max(1, (os.cpu_count() or 2) - 1)
