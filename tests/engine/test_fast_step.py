"""The fast training step computes the plain step's forward, gradients and Adam update.

Only what a CPU can check runs here: the multi-tensor Adam and the option handling. The
CUDA-only options (TF32, CUDA graphs) are checked to be dropped with a note, or refused.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from inr_studio.errors import OptionError
from inr_studio.engine.fast_step import FastStep, FastStepConfig, resolve
from inr_studio.engine.fit import fit
from inr_studio.models import make_model_config
from inr_studio.problem import FitProblem
from inr_studio.tiling import auto_tile_scale
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.trainer import Trainer

from images import astronaut

CPU_FAST = FastStepConfig(tf32=False, compile=False, cuda_graph=False, fused_adam=True)
TOL = dict(rtol=1e-6, atol=1e-7)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return astronaut(24, 32)


def _trainer(image: np.ndarray, kind: str, batch: int | None = None) -> Trainer:
    cfg = make_model_config(kind, width=32, tile_scale=auto_tile_scale(24, 32))
    return Trainer(FitProblem.create(image, cfg),
                   TrainConfig(iters=10, lr=1e-3, seed=3, device="cpu", batch_pixels=batch))


def _assert_same_state(a: Trainer, b: Trainer) -> None:
    pa, pb = list(a.model.parameters()), list(b.model.parameters())
    for x, y in zip(pa, pb):
        torch.testing.assert_close(x.grad, y.grad, **TOL)
        torch.testing.assert_close(x.detach(), y.detach(), **TOL)
        sa, sb = a.optimizer.state[x], b.optimizer.state[y]
        for key in ("exp_avg", "exp_avg_sq", "step"):
            torch.testing.assert_close(torch.as_tensor(sa[key]).float(),
                                       torch.as_tensor(sb[key]).float(), **TOL)


@pytest.mark.parametrize("kind", ["siren", "ftc", "hs"])
def test_fast_step_matches_plain_step(image: np.ndarray, kind: str) -> None:
    plain, fast = _trainer(image, kind), _trainer(image, kind)
    step = fast.use_step(CPU_FAST)
    assert step.notes == ()
    assert fast.optimizer is not plain.optimizer and fast.optimizer.param_groups[0]["foreach"]
    with torch.no_grad():  # the same starting point, so the first forward must agree too
        fb, pb = fast.batcher.full, plain.batcher.full
        torch.testing.assert_close(fast.model(fb.coords, fb.routing),
                                   plain.model(pb.coords, pb.routing), rtol=0, atol=0)
    for _ in range(3):  # three updates: Adam's bias correction changes between them
        loss_p, mse_p = plain.step()
        loss_f, mse_f = fast.step()
        torch.testing.assert_close(loss_f, loss_p, **TOL)
        torch.testing.assert_close(mse_f, mse_p, **TOL)
        _assert_same_state(plain, fast)
    assert fast.steps_done == plain.steps_done == 3
    # and the models really moved (a test that cannot pass by doing nothing)
    fresh = _trainer(image, kind)
    moved = [not torch.equal(p, q) for p, q in zip(fast.model.parameters(), fresh.model.parameters())]
    assert all(moved)


def test_enabling_midway_keeps_adam_state(image: np.ndarray) -> None:
    plain, fast = _trainer(image, "qt"), _trainer(image, "qt")
    for _ in range(2):
        plain.step()
        fast.step()
    fast.use_step(CPU_FAST)
    for _ in range(2):
        plain.step()
        fast.step()
    _assert_same_state(plain, fast)


def test_fast_step_with_pixel_batches(image: np.ndarray) -> None:
    plain, fast = _trainer(image, "ftc", batch=200), _trainer(image, "ftc", batch=200)
    step = fast.use_step(FastStepConfig(compile=True, cuda_graph=False))
    assert not step.config.compile and any("compile" in n for n in step.notes)
    for _ in range(2):
        torch.testing.assert_close(fast.step()[0], plain.step()[0], **TOL)
    _assert_same_state(plain, fast)


def test_run_uses_the_fast_step(image: np.ndarray, monkeypatch) -> None:
    calls = []
    inner = FastStep.step

    def counted(self) -> tuple[torch.Tensor, torch.Tensor]:
        calls.append(1)
        return inner(self)

    monkeypatch.setattr(FastStep, "step", counted)
    cfg = make_model_config("hs", width=32, tile_scale=auto_tile_scale(24, 32))
    trainer, last = fit(FitProblem.create(image, cfg),
                        TrainConfig(iters=10, lr=1e-3, seed=3, device="cpu", fast=True))
    assert not last.stopped and last.steps == 10 and len(calls) == 10
    assert np.isfinite(last.psnr)


def test_cuda_only_options_dropped_on_cpu_with_a_note(image: np.ndarray) -> None:
    trainer = _trainer(image, "siren")
    step = trainer.use_step(FastStepConfig(tf32=True, cuda_graph=True))
    assert not step.config.tf32 and not step.config.cuda_graph
    assert step.config.fused_adam
    text = " ".join(step.notes)
    assert "tf32" in text and "cuda_graph" in text and "cpu" in text
    loss, _ = trainer.step()  # and the step still works
    assert torch.isfinite(loss)


def test_cuda_only_options_refused_when_strict(image: np.ndarray) -> None:
    with pytest.raises(OptionError, match="CUDA"):
        _trainer(image, "siren").use_step(FastStepConfig(tf32=True), strict=True)
    with pytest.raises(OptionError, match="batches"):
        resolve(FastStepConfig(cuda_graph=False, compile=True), "cpu", full_batch=False, strict=True)


#: Inductor (the backend the fast step gets) compiles C++ for a minute on a 2-core CPU: only
#: with INR_STUDIO_SLOW_TESTS=1. AOTAutograd's eager backend traces the same forward and
#: backward graphs in a few seconds: always.
INDUCTOR = pytest.mark.skipif(os.environ.get("INR_STUDIO_SLOW_TESTS") != "1",
                              reason="torch.compile's inductor takes ~60 s to warm up on a 2-core "
                                     "CPU; set INR_STUDIO_SLOW_TESTS=1 to run it")


@pytest.fixture
def compiled_on(monkeypatch):
    """``compiled_on(backend)``: the fast step's ``torch.compile`` on ``backend``, counting the
    graphs it compiles; Dynamo's caches are cleared before and after."""
    from torch._dynamo import reset
    from torch._dynamo.testing import CompileCounterWithBackend

    real = torch.compile

    def use(backend: str) -> CompileCounterWithBackend:
        counter = CompileCounterWithBackend(backend)
        monkeypatch.setattr(torch, "compile", lambda fn, **kw: real(fn, backend=counter, **kw))
        return counter

    reset()
    yield use
    reset()


@pytest.mark.parametrize("backend", ["aot_eager", pytest.param("inductor", marks=INDUCTOR)])
def test_compiled_step_matches_plain_step(image: np.ndarray, compiled_on, backend: str) -> None:
    counter = compiled_on(backend)
    plain, fast = _trainer(image, "hs"), _trainer(image, "hs")
    step = fast.use_step(FastStepConfig(compile=True, cuda_graph=False))
    assert step.config.compile and step.notes == ()
    for _ in range(2):
        torch.testing.assert_close(fast.step()[0], plain.step()[0], rtol=1e-5, atol=1e-6)
    assert counter.frame_count >= 1  # the loss really went through torch.compile
    for x, y in zip(plain.model.parameters(), fast.model.parameters()):
        torch.testing.assert_close(x.grad, y.grad, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(x.detach(), y.detach(), rtol=1e-5, atol=1e-6)


def test_train_config_fast_flag_chooses_the_step(small_image) -> None:
    """``TrainConfig(fast=True)`` builds the trainer with the fast step; default stays plain."""
    from inr_studio.engine.step import PlainStep

    problem = FitProblem.create(small_image[:24, :32], make_model_config("ftc", width=16))
    plain = Trainer(problem, TrainConfig(iters=2, device="cpu"))
    fast = Trainer(problem, TrainConfig(iters=2, device="cpu", fast=True))
    assert isinstance(plain._step, PlainStep) and not isinstance(plain._step, FastStep)
    assert isinstance(fast._step, FastStep)
    a, b = plain.step(), fast.step()
    assert torch.allclose(a[0], b[0], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind", ["siren", "hs"])
def test_the_fast_step_on_each_device_matches_the_plain_step_there(image: np.ndarray, kind: str,
                                                                  device: str) -> None:
    """The fast step with every option it can honour on this device (on CUDA: fused Adam and a
    CUDA graph; elsewhere the multi-tensor Adam) against the plain step on the same device."""
    def trainer() -> Trainer:
        cfg = make_model_config(kind, width=32, tile_scale=auto_tile_scale(24, 32))
        return Trainer(FitProblem.create(image, cfg),
                       TrainConfig(iters=10, lr=1e-3, seed=3, device=device))

    plain, fast = trainer(), trainer()
    step = fast.use_step(FastStepConfig(compile=False))
    assert step.config.cuda_graph == (device == "cuda")
    for _ in range(4):
        loss_p, mse_p = plain.step()
        loss_f, mse_f = fast.step()
        torch.testing.assert_close(loss_f, loss_p, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(mse_f, mse_p, rtol=1e-4, atol=1e-7)
    for x, y in zip(plain.model.parameters(), fast.model.parameters()):
        torch.testing.assert_close(x.detach(), y.detach(), rtol=1e-4, atol=1e-6)
    assert fast.last_forward() is not None  # the preview's picture comes from the last forward
