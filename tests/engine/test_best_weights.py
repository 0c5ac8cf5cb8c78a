"""Every run returns its best: the weights of the lowest whole-image loss, kept on the device
without a host read per step, are what a run returns, renders and reports; the last step's
PSNR stays beside them; Stop, Pause and a failure keep the best so far."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pytest
import torch

from inr_studio.engine.config import PAPER_PROTOCOL, TrainConfig
from inr_studio.engine.control import RunControl
from inr_studio.engine.fit import fit_side_by_side
from inr_studio.engine.messages import (PausedReached, PreviewFrame, ProgressBatch, RunEnded,
                                        RunFailed)
from inr_studio.engine.side_by_side import RunRequest, SideBySide
from inr_studio.engine.trainer import Trainer
from inr_studio.errors import InrStudioError
from inr_studio.imaging import resize_image
from inr_studio.metrics import psnr
from inr_studio.models import registry
from inr_studio.models.registry import ModelOptions
from inr_studio.problem import FitProblem

#: A deliberately spiky run: Adam at a rate far above what these tiny networks take.
SPIKY = TrainConfig(iters=150, lr=2e-2, device="cpu", schedule="constant")


@pytest.fixture(scope="module")
def image(small_image) -> np.ndarray:
    return resize_image(small_image, 24, 32)


def specs(keys, pixels):
    h, w = pixels.shape[:2]
    return registry.build_specs(keys, ModelOptions(width=16, depth=2, image_size=(h, w)))


def run_all(request: RunRequest, control: RunControl | None = None, on=None):
    """Every message of a run; ``on(msg, engine)`` sees each as it comes."""
    engine = SideBySide(request, control)
    msgs = []
    for msg in engine.run():
        msgs.append(msg)
        if on is not None:
            on(msg, engine)
    return engine, msgs


def curves(msgs) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out: dict[str, list] = {}
    for m in msgs:
        if isinstance(m, ProgressBatch):
            for k, (st, ps) in m.points.items():
                out.setdefault(k, []).append((st, ps))
    return {k: (np.concatenate([s for s, _ in v]), np.concatenate([p for _, p in v]))
            for k, v in out.items()}


def test_a_full_batch_run_returns_the_curve_s_best(image) -> None:
    keys = ("siren", "ftc", "hs")
    engine, msgs = run_all(RunRequest(0, image, specs(keys, image), SPIKY, previews=False))
    end, frame = msgs[-1], [m for m in msgs if isinstance(m, PreviewFrame)][-1]
    assert isinstance(end, RunEnded) and end.kept_best and frame.final
    drops = []
    for key, (steps, ps) in curves(msgs).items():
        drops.append(ps.max() - ps[-1])
        returned = psnr(engine.trainers[key].reconstruct(), image)
        # the curve shows the forwards of the weights after 0 … N-1 updates; the last
        # weights (N updates) are scored once at the end: the best of all of them returns
        assert returned == pytest.approx(max(ps.max(), end.last_psnr[key]), abs=0.05), key
        assert frame.psnr[key] == pytest.approx(returned, abs=1e-6)
        assert end.best_psnr[key] == pytest.approx(returned, abs=1e-3)
        if end.best_step[key] < SPIKY.iters:
            assert end.best_step[key] == steps[int(ps.argmax())]
            assert returned == pytest.approx(ps.max(), abs=0.05)
        assert returned >= end.last_psnr[key] - 1e-6
        last = msgs[-3].stats[key]  # the last progress: best beside the current PSNR
        assert (last.best_psnr, last.best_step) == (end.best_psnr[key], end.best_step[key])
    assert max(drops) > 0.5  # the run is spiky: the last step is far from the best


def test_the_paper_protocol_returns_the_last_step(image) -> None:
    cfg = replace(PAPER_PROTOCOL, iters=150, lr=3e-2, device="cpu")
    engine, msgs = run_all(RunRequest(0, image, specs(("siren",), image), cfg, previews=False))
    end = msgs[-1]
    steps, ps = curves(msgs)["siren"]
    returned = psnr(engine.trainers["siren"].reconstruct(), image)
    assert not end.kept_best and returned == pytest.approx(end.last_psnr["siren"], abs=1e-6)
    assert ps.max() > returned + 0.1  # the curve's best is still reported, not returned
    assert end.best_psnr["siren"] == pytest.approx(ps.max(), abs=1e-6)


def test_random_batches_keep_the_best_whole_image_check(image) -> None:
    cfg = replace(SPIKY, batch_pixels=200, best_every=10)
    engine, msgs = run_all(RunRequest(0, image, specs(("siren", "qt"), image), cfg,
                                      previews=False))
    end = msgs[-1]
    for key, trainer in engine.trainers.items():
        returned = psnr(trainer.reconstruct(), image)
        assert returned >= end.last_psnr[key] - 1e-6
        assert end.best_psnr[key] == pytest.approx(returned, abs=1e-3)
        assert end.best_step[key] % 10 == 0 or end.best_step[key] == cfg.iters
    # the checks saw the whole image: re-running them by hand finds no better step
    checked = []
    trainer = Trainer(FitProblem.create(image, specs(("siren",), image)[0].config),
                      replace(cfg, keep_best=False))
    while not trainer.done:
        trainer.step()
        if trainer.steps_done % 10 == 0 or trainer.done:
            checked.append(trainer.full_psnr()[1])
    assert max(checked) == pytest.approx(end.best_psnr["siren"], abs=1e-3)
    assert max(checked) > checked[-1] + 0.1  # and the last check was not the best


@contextmanager
def host_reads(skip: set[int]):
    """Count the tensor methods that read values back to the host, except on ``skip``'s
    tensors (Adam's step counters, kept on the CPU by design)."""
    names = ("item", "cpu", "tolist", "numpy", "__bool__", "__float__", "__int__")
    saved = {n: getattr(torch.Tensor, n) for n in names}
    calls: list[str] = []

    def counted(name, method):
        def read(self, *a, **k):
            if id(self) not in skip:
                calls.append(name)
            return method(self, *a, **k)
        return read

    for n, m in saved.items():
        setattr(torch.Tensor, n, counted(n, m))
    try:
        yield calls
    finally:
        for n, m in saved.items():
            setattr(torch.Tensor, n, m)


@pytest.mark.parametrize("key", ["siren", "ftc", "hs", "pe-siren"])
def test_keeping_the_best_and_the_schedule_read_nothing_back_per_step(image, key) -> None:
    spec = specs((key,), image)[0]
    trainer = Trainer(FitProblem.create(image, spec.config),
                      TrainConfig(iters=50, lr=1e-2, device="cpu", schedule="cosine"),
                      spec.phases)
    trainer.step()  # Adam's state exists from here on
    assert trainer.keeper is not None
    counters = {id(s["step"]) for s in trainer.optimizer.state.values()}
    with host_reads(counters) as calls:
        for _ in range(10):
            trainer.step()
    assert calls == []


def test_eoren_keeps_by_its_own_loss_and_reads_no_more_than_without(image) -> None:
    spec = specs(("eoren",), image)[0]
    problem = FitProblem.create(image, spec.config)
    reads = []
    for keep in (False, True):
        trainer = Trainer(problem, TrainConfig(iters=30, lr=1e-2, device="cpu", keep_best=keep),
                          spec.phases)
        trainer.step()
        counters = {id(s["step"]) for s in trainer.optimizer.state.values()}
        with host_reads(counters) as calls:
            for _ in range(5):
                trainer.step()
        reads.append(len(calls))
    assert reads[0] == reads[1]  # the gradient loss's own read of its mask, nothing more
    losses = []
    while not trainer.done:
        losses.append(float(trainer.step()[0]))
    # what it kept is the lowest of its objective's losses (the gradient fit), not of the PSNR
    assert float(trainer.keeper.value) == pytest.approx(min(losses[-1], *losses), rel=1e-6) or (
        float(trainer.keeper.value) < min(losses))  # or the last weights' own evaluation


def test_stop_keeps_the_best_so_far(image) -> None:
    control = RunControl()
    cfg = replace(SPIKY, iters=10_000)

    def stop_late(msg, engine) -> None:
        if isinstance(msg, ProgressBatch) and min(t.steps_done for t in engine.trainers.values()) >= 120:
            control.stop()

    engine, msgs = run_all(RunRequest(0, image, specs(("siren", "ftc"), image), cfg,
                                      progress_s=0.0, previews=False), control, stop_late)
    end = msgs[-1]
    assert isinstance(end, RunEnded) and end.stopped
    for key, (_, ps) in curves(msgs).items():
        returned = psnr(engine.trainers[key].reconstruct(), image)
        assert returned == pytest.approx(ps.max(), abs=0.05)
        assert returned >= end.last_psnr[key] - 1e-6


def test_pause_shows_the_best_and_resumes_where_it_was(image) -> None:
    keys = ("siren", "qt")
    request = RunRequest(0, image, specs(keys, image), SPIKY, progress_s=0.0, previews=False)
    _, straight = run_all(request)
    control = RunControl()
    seen: dict[str, tuple[float, float]] = {}

    def pause_once(msg, engine) -> None:
        if isinstance(msg, ProgressBatch) and not seen and min(
                t.steps_done for t in engine.trainers.values()) >= 100:
            control.pause()
        elif isinstance(msg, PausedReached):
            for key, trainer in engine.trainers.items():
                seen[key] = (psnr(trainer.reconstruct(), image), stats[key].best_psnr)
            control.resume()
        if isinstance(msg, ProgressBatch):
            stats.update(msg.stats)

    stats: dict = {}
    _, paused = run_all(request, control, pause_once)
    for key in keys:
        shown, best = seen[key]
        assert shown == pytest.approx(best, abs=1e-3)  # what a save while paused reads
    # resuming trains on from the weights it had, not from the best: the same run
    assert straight[-1].best_psnr == paused[-1].best_psnr
    assert straight[-1].last_psnr == paused[-1].last_psnr


def test_a_failure_half_way_keeps_the_best(image, monkeypatch) -> None:
    """A failure the engine words for the user (here the device lost mid-run) leaves each
    model's best so far in its trainer. (An out-of-memory drops the networks instead, so the
    advice and the next run see the memory free: tests/engine/test_memory.py.)"""
    real_step = Trainer.step
    calls = {"n": 0}

    def failing(self):
        calls["n"] += 1
        if calls["n"] > 240:  # 120 steps of each of two models
            raise InrStudioError("the device was lost half-way")
        return real_step(self)

    monkeypatch.setattr(Trainer, "step", failing)
    engine, msgs = run_all(RunRequest(0, image, specs(("siren", "ftc"), image),
                                      replace(SPIKY, iters=1000), progress_s=0.0,
                                      previews=False))
    assert isinstance(msgs[-1], RunFailed)
    for key, (_, ps) in curves(msgs).items():
        returned = psnr(engine.trainers[key].reconstruct(), image)
        assert returned == pytest.approx(ps.max(), abs=0.05)


def test_fit_results_carry_best_and_last(image) -> None:
    _, results, _ = fit_side_by_side(image, specs(("siren",), image), SPIKY)
    r = results["siren"]
    assert r.kept_best and 0 <= r.best_step <= SPIKY.iters and r.psnr > r.last_psnr
