"""Previews during a run show the picture the last full-batch step already drew (on a CPU a
render costs a third of a step), so they must be exactly that network's picture."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from inr_studio.engine.config import TrainConfig
from inr_studio.engine.messages import PreviewFrame, ProgressBatch
from inr_studio.engine.side_by_side import RunRequest, SideBySide
from inr_studio.engine.trainer import Trainer
from inr_studio.imaging import resize_image
from inr_studio.metrics import psnr
from inr_studio.models.registry import PAPER_MODELS
from inr_studio.problem import FitProblem
from inr_studio.render import render

from specs import specs_for

H, W = 21, 30


def specs(keys):
    return specs_for(keys, H, W)


@pytest.fixture(scope="module")
def pixels(small_image) -> np.ndarray:
    return resize_image(small_image, H, W)


@pytest.mark.parametrize("key", PAPER_MODELS)
def test_the_last_forward_is_the_render_of_the_network_before_its_update(pixels, key) -> None:
    spec = specs((key,))[0]
    trainer = Trainer(FitProblem.create(pixels, spec.config), TrainConfig(iters=9, lr=2e-3,
                                                                          device="cpu"))
    assert trainer.last_forward() is None  # nothing drawn yet
    for _ in range(4):
        trainer.step()
    before = copy.deepcopy(trainer.model)  # the network after 4 updates
    trainer.step()
    drawn, steps = trainer.last_forward()
    assert steps == 4
    expected = render(before.eval(), H, W, trainer.problem.class_map)
    np.testing.assert_allclose(drawn, expected, atol=2e-6)
    assert not np.allclose(drawn, trainer.reconstruct(), atol=1e-4)  # not the updated one
    # at its own size a full-batch trainer renders with its training routing: the same picture
    np.testing.assert_allclose(trainer.reconstruct(),
                               render(trainer.model.eval(), H, W, trainer.problem.class_map),
                               atol=2e-6)


def test_steps_on_a_few_pixels_draw_no_picture(pixels) -> None:
    spec = specs(("ftc",))[0]
    problem = FitProblem.create(pixels, spec.config)
    warm = Trainer(problem, TrainConfig(iters=8, device="cpu", warmup=0.5))
    for _ in range(4):
        warm.step()
        assert warm.last_forward() is None  # the coarse warm-up sees a quarter of the grid
    warm.step()
    assert warm.last_forward()[1] == 4  # the first full-batch step
    sampled = Trainer(problem, TrainConfig(iters=8, device="cpu", batch_pixels=100))
    sampled.step()
    assert sampled.last_forward() is None


def test_a_run_s_previews_agree_with_its_psnr_curve(pixels) -> None:
    """Each preview during the run is labelled with its updates, and its PSNR is the curve's
    PSNR at that step; the final frame renders the finished networks."""
    psnr(pixels, pixels * 0.5)  # scikit-image's first import out of the run's preview budget
    train = TrainConfig(iters=30, lr=2e-3, device="cpu")
    req = RunRequest(0, pixels, specs(PAPER_MODELS), train, progress_s=0.0, preview_s=0.0,
                     preview_share=1.0)
    run = SideBySide(req)
    msgs = list(run.run())
    curve = {k: {} for k in PAPER_MODELS}
    for m in msgs:
        if isinstance(m, ProgressBatch):
            for k, (steps, values) in m.points.items():
                curve[k].update(zip(steps.tolist(), values.tolist()))
    frames = [m for m in msgs if isinstance(m, PreviewFrame)]
    live, final = frames[:-1], frames[-1]
    assert len(live) >= 2 and final.final
    for frame in live:
        for k in PAPER_MODELS:
            assert frame.psnr[k] == pytest.approx(curve[k][frame.steps[k]], abs=1e-3)
    for k, trainer in run.trainers.items():
        # the final frame shows the kept best weights, labelled with their step
        assert k in final.best and final.steps[k] == run.trainers[k].keeper.step.item()
        assert final.psnr[k] == pytest.approx(psnr(trainer.reconstruct(), pixels), abs=1e-9)
