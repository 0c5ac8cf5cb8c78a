"""The fast training step computes the plain step's forward, gradients and Adam update (issue 5).

Only what a CPU can check runs here: the multi-tensor Adam and the option handling. The
CUDA-only options (TF32, CUDA graphs) are checked to be dropped with a note, or refused.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from inr_studio.errors import OptionError
from inr_studio.fastpath import FastStepConfig, enable_fast_path, resolve
from inr_studio.imaging import resize_image
from inr_studio.models import make_model_config
from inr_studio.problem import FitProblem
from inr_studio.tiling import auto_tile_scale
from inr_studio.training import Trainer, TrainConfig

CPU_FAST = FastStepConfig(tf32=False, compile=False, cuda_graph=False, fused_adam=True)
TOL = dict(rtol=1e-6, atol=1e-7)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    from skimage import data

    return resize_image(data.astronaut().astype(np.float32) / 255.0, 24, 32)


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
    step = enable_fast_path(fast, CPU_FAST)
    assert step.notes == ()
    assert fast.optimizer is not plain.optimizer and fast.optimizer.param_groups[0]["foreach"]
    with torch.no_grad():  # the same starting point, so the first forward must agree too
        torch.testing.assert_close(fast.model(fast.coords, fast.full_routing),
                                   plain.model(plain.coords, plain.full_routing), rtol=0, atol=0)
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
    enable_fast_path(fast, CPU_FAST)
    for _ in range(2):
        plain.step()
        fast.step()
    _assert_same_state(plain, fast)


def test_fast_step_with_pixel_batches(image: np.ndarray) -> None:
    plain, fast = _trainer(image, "ftc", batch=200), _trainer(image, "ftc", batch=200)
    step = enable_fast_path(fast, FastStepConfig(compile=True, cuda_graph=False))
    assert not step.config.compile and any("compile" in n for n in step.notes)
    for _ in range(2):
        torch.testing.assert_close(fast.step()[0], plain.step()[0], **TOL)
    _assert_same_state(plain, fast)


def test_run_uses_the_fast_step(image: np.ndarray) -> None:
    trainer = _trainer(image, "hs")
    calls = []
    fast = enable_fast_path(trainer, CPU_FAST)
    inner = fast.step

    def counted() -> tuple[torch.Tensor, torch.Tensor]:
        calls.append(1)
        return inner()

    trainer.step = counted  # type: ignore[method-assign]
    last = list(trainer.run())[-1]
    assert last.done and last.step == 10 and len(calls) == 10
    assert np.isfinite(last.psnr)


def test_cuda_only_options_dropped_on_cpu_with_a_note(image: np.ndarray) -> None:
    trainer = _trainer(image, "siren")
    step = enable_fast_path(trainer, FastStepConfig(tf32=True, cuda_graph=True))
    assert not step.config.tf32 and not step.config.cuda_graph
    assert step.config.fused_adam
    text = " ".join(step.notes)
    assert "tf32" in text and "cuda_graph" in text and "cpu" in text
    loss, _ = trainer.step()  # and the step still works
    assert torch.isfinite(loss)


def test_cuda_only_options_refused_when_strict(image: np.ndarray) -> None:
    with pytest.raises(OptionError, match="CUDA"):
        enable_fast_path(_trainer(image, "siren"), FastStepConfig(tf32=True), strict=True)
    with pytest.raises(OptionError, match="batches"):
        resolve(FastStepConfig(cuda_graph=False, compile=True), "cpu", full_batch=False, strict=True)


def test_auto_is_on_for_cuda_only() -> None:
    assert FastStepConfig.auto("cpu") is None
    assert FastStepConfig.auto("cuda") == FastStepConfig()


@pytest.mark.skipif(os.environ.get("INR_STUDIO_SLOW_TESTS") != "1",
                    reason="torch.compile takes ~60 s to warm up on this 2-core CPU (measured); "
                           "set INR_STUDIO_SLOW_TESTS=1 to run it")
def test_compiled_step_matches_plain_step(image: np.ndarray) -> None:
    plain, fast = _trainer(image, "hs"), _trainer(image, "hs")
    enable_fast_path(fast, FastStepConfig(compile=True, cuda_graph=False))
    for _ in range(2):
        torch.testing.assert_close(fast.step()[0], plain.step()[0], rtol=1e-5, atol=1e-6)
    for x, y in zip(plain.model.parameters(), fast.model.parameters()):
        torch.testing.assert_close(x.grad, y.grad, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(x.detach(), y.detach(), rtol=1e-5, atol=1e-6)


def test_train_config_fast_flag_swaps_the_step(small_image) -> None:
    """``TrainConfig(fast=True)`` routes Trainer.step through the fast path; default stays plain."""
    from inr_studio.fastpath import FastStep
    from inr_studio.models import make_model_config
    from inr_studio.problem import FitProblem
    from inr_studio.training import TrainConfig, Trainer

    problem = FitProblem.create(small_image[:24, :32], make_model_config("ftc", width=16))
    plain = Trainer(problem, TrainConfig(iters=2, device="cpu"))
    fast = Trainer(problem, TrainConfig(iters=2, device="cpu", fast=True))
    assert not isinstance(getattr(plain.step, "__self__", None), FastStep)
    assert isinstance(fast.step.__self__, FastStep)
    a, b = plain.step(), fast.step()
    assert torch.allclose(a[0], b[0], rtol=1e-6, atol=1e-7)
