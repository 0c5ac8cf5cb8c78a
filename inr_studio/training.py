"""The trainer: a generator of immutable progress snapshots, pausable and stoppable.

It knows nothing of threads or Qt: the window iterates it in a worker thread and calls
:class:`RunControl` from the GUI thread (``threading.Event``, so a busy loop still sees it).
GPU scalars are read only at report steps, since each read is a device sync.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from .device import pick_device
from .errors import InrStudioError, OptionError
from .metrics import psnr_from_mse
from .models.network import CoordinateNet
from .problem import FitProblem, layer_ids
from .models.routing import Routing
from .render import render


@dataclass(frozen=True)
class TrainConfig:
    iters: int = 5000
    lr: float = 1e-4
    #: None: full batch, every pixel every step (the paper). Otherwise random pixels per step.
    batch_pixels: int | None = None
    seed: int = 0
    device: str = "auto"
    report_every: int = 50
    #: Attach a reconstruction to every N-th report (0: only to the last one).
    preview_every: int = 0
    #: The fast step of :mod:`inr_studio.fastpath` (fused Adam, CUDA graph). Off by default:
    #: its CUDA parts have not yet been measured on a GPU (issue 5), the plain step is the reference.
    fast: bool = False

    def __post_init__(self) -> None:
        if self.iters < 1:
            raise OptionError(f"iterations must be at least 1, got {self.iters}.")
        if not (0 < self.lr < 1):
            raise OptionError(f"learning rate must be in (0, 1), got {self.lr}.")
        if self.batch_pixels is not None and self.batch_pixels < 1:
            raise OptionError(f"pixel batch must be at least 1, got {self.batch_pixels}.")
        if self.report_every < 1:
            raise OptionError(f"report interval must be at least 1, got {self.report_every}.")


@dataclass(frozen=True)
class Progress:
    """One snapshot. ``psnr`` is for the model after ``step`` updates (full image in full-batch
    mode, the current batch otherwise; the final snapshot is always the full image)."""

    step: int
    total: int
    loss: float
    psnr: float
    iters_per_s: float
    elapsed_s: float
    done: bool = False
    stopped: bool = False
    preview: np.ndarray | None = None

    @property
    def eta_s(self) -> float:
        if self.iters_per_s <= 0:
            return float("nan")
        return (self.total - self.step) / self.iters_per_s


class RunControl:
    """Pause / resume / stop requests from any thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused; return the seconds spent waiting."""
        if self._running.is_set():
            return 0.0
        t0 = time.perf_counter()
        while not self._running.wait(0.05):
            pass
        return time.perf_counter() - t0


class Trainer:
    """Fits one :class:`CoordinateNet` to one :class:`FitProblem` with Adam and MSE."""

    def __init__(self, problem: FitProblem, config: TrainConfig = TrainConfig(),
                 control: RunControl | None = None) -> None:
        self.problem = problem
        self.config = config
        self.control = control or RunControl()
        self.device = pick_device(config.device)
        torch.manual_seed(config.seed)
        self.model = CoordinateNet(problem.config, seed=config.seed).to(self.device)
        # foreach: one multi-tensor update, bit-identical to the per-tensor loop on CPU, ~2.7× faster.
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr, betas=(0.9, 0.999),
                                          foreach=True)
        coords = problem.coords()
        self._coords_np = coords
        self._ids = layer_ids(problem.config, coords, problem.class_map)
        self._experts = [t.experts for t in problem.config.tilings]
        self.coords = torch.from_numpy(coords.astype(np.float32)).to(self.device)
        target = problem.pixels.reshape(-1, problem.pixels.shape[2]).astype(np.float32)
        self.target01 = torch.from_numpy(target).to(self.device)
        self.target = self.target01 * 2.0 - 1.0  # SPEC §1: v = 2u - 1
        self.full_routing: Routing | None = None
        if config.batch_pixels is None or config.batch_pixels >= len(coords):
            self.full_routing = Routing.build(self._ids, self._experts, self.device)
        self._gen = torch.Generator(device="cpu").manual_seed(config.seed)
        self.steps_done = 0
        self.fast_notes: tuple[str, ...] = ()
        if config.fast:
            from .fastpath import FastStepConfig, enable_fast_path

            self.fast_notes = enable_fast_path(self, FastStepConfig()).notes

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, Routing]:
        if self.full_routing is not None:
            return self.coords, self.target, self.target01, self.full_routing
        n = self.coords.shape[0]
        idx = torch.randint(0, n, (self.config.batch_pixels,), generator=self._gen).numpy()
        routing = Routing.build([ids[idx] for ids in self._ids], self._experts, self.device)
        sel = torch.from_numpy(idx).to(self.device)
        return self.coords[sel], self.target[sel], self.target01[sel], routing

    def step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One Adam update; returns (loss, clipped-[0,1] MSE) of the forward it used, on device."""
        coords, target, target01, routing = self._batch()
        self.optimizer.zero_grad(set_to_none=True)
        pred = self.model(coords, routing)
        loss = torch.mean((pred - target) ** 2)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():
            mse01 = torch.mean((torch.clamp((pred.detach() + 1) * 0.5, 0, 1) - target01) ** 2)
        self.steps_done += 1
        return loss.detach(), mse01

    def reconstruct(self, height: int | None = None, width: int | None = None) -> np.ndarray:
        h = height or self.problem.height
        w = width or self.problem.width
        self.model.eval()
        try:
            return render(self.model, h, w, self.problem.class_map)
        finally:
            self.model.train()

    def full_psnr(self) -> tuple[float, float]:
        """(loss on [-1,1], PSNR) of the whole image now."""
        return self._loss_psnr(self.reconstruct())

    def _loss_psnr(self, rec: np.ndarray) -> tuple[float, float]:
        mse01 = float(np.mean((rec - self.problem.pixels) ** 2))
        return 4.0 * mse01, psnr_from_mse(mse01)

    def run(self) -> Iterator[Progress]:
        """Train, yielding a :class:`Progress` every ``report_every`` steps and at the end."""
        cfg = self.config
        total = cfg.iters
        t0 = time.perf_counter()
        paused = 0.0
        last_t, last_step = t0, 0
        rate = 0.0
        n_reports = 0
        try:
            while self.steps_done < total:
                waited = self.control.wait_while_paused()
                paused += waited
                last_t += waited
                if self.control.stop_requested:
                    break
                step_before = self.steps_done
                loss, mse01 = self.step()
                if step_before % cfg.report_every == 0:
                    now = time.perf_counter()
                    rate = (self.steps_done - last_step) / max(now - last_t, 1e-9)
                    last_t, last_step = now, self.steps_done
                    n_reports += 1
                    preview = None
                    if cfg.preview_every and n_reports % cfg.preview_every == 0:
                        preview = self.reconstruct()
                    yield Progress(step=step_before, total=total, loss=float(loss.item()),
                                   psnr=psnr_from_mse(float(mse01.item())), iters_per_s=rate,
                                   elapsed_s=now - t0 - paused, preview=preview)
                    last_t = time.perf_counter()  # time spent by the consumer is not training time
        except torch.cuda.OutOfMemoryError as exc:
            raise InrStudioError(
                "the GPU ran out of memory; use a smaller working resolution, pixel batches "
                "or a narrower network."
            ) from exc
        elapsed = time.perf_counter() - t0 - paused
        final = self.reconstruct()
        loss_v, psnr_v = self._loss_psnr(final)
        final_rate = self.steps_done / elapsed if elapsed > 0 else 0.0
        yield Progress(step=self.steps_done, total=total, loss=loss_v, psnr=psnr_v,
                       iters_per_s=final_rate, elapsed_s=elapsed, done=True,
                       stopped=self.steps_done < total, preview=final)


def fit(problem: FitProblem, config: TrainConfig = TrainConfig()) -> tuple[Trainer, Progress]:
    """Run to the end; return the trainer and its final snapshot (the CLI and benchmarks)."""
    trainer = Trainer(problem, config)
    last = None
    for last in trainer.run():
        pass
    assert last is not None
    return trainer, last
