"""Learning-rate schedules: constant, cosine (to 1 % of the start) and step decay, per phase; the
coarse warm-up and the pixels after it follow one schedule; a run can force one on every phase."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inr_studio.engine.config import PAPER_PROTOCOL, TrainConfig
from inr_studio.engine.schedule import (COSINE_FLOOR, DEFAULT_SCHEDULE, lr_factor, resolve)
from inr_studio.engine.trainer import Trainer
from inr_studio.errors import OptionError
from inr_studio.imaging import resize_image
from inr_studio.models.registry import ModelOptions, build_specs
from inr_studio.models.spec import Phase
from inr_studio.problem import FitProblem


def test_the_factors_at_chosen_steps() -> None:
    assert [lr_factor("constant", s, 100) for s in (0, 50, 99)] == [1.0, 1.0, 1.0]
    assert lr_factor("cosine", 0, 101) == 1.0
    assert lr_factor("cosine", 50, 101) == pytest.approx((1 + COSINE_FLOOR) / 2)
    assert lr_factor("cosine", 100, 101) == pytest.approx(COSINE_FLOOR)  # the last step: 1 %
    assert lr_factor("cosine", 25, 101) == pytest.approx(
        COSINE_FLOOR + (1 - COSINE_FLOOR) * (1 + math.cos(math.pi / 4)) / 2)
    assert [lr_factor("step", s, 100) for s in (0, 49, 50, 74, 75, 99)] == pytest.approx(
        [1, 1, 0.1, 0.1, 0.01, 0.01])
    # cooldown: the rate held for 80 % of the span, then a cosine down to 1 % at the last step
    assert [lr_factor("cooldown", s, 100) for s in (0, 79, 80)] == [1.0, 1.0, 1.0]
    assert lr_factor("cooldown", 90, 100) == pytest.approx(lr_factor("cosine", 10, 20))
    assert lr_factor("cooldown", 99, 100) == pytest.approx(COSINE_FLOOR)
    factors = [lr_factor("cosine", s, 300) for s in range(300)]
    assert all(a > b for a, b in zip(factors, factors[1:]))  # decays at every step
    assert lr_factor("cosine", 0, 1) == 1.0  # a one-step phase trains at its rate


def test_auto_takes_the_phase_s_own_and_a_name_forces_it() -> None:
    assert resolve("auto", None) == DEFAULT_SCHEDULE
    assert resolve("auto", "step") == "step"
    assert resolve("constant", "cosine") == "constant"
    with pytest.raises(OptionError, match="schedule"):
        resolve("auto", "linear")
    with pytest.raises(OptionError, match="schedule"):
        TrainConfig(schedule="sometimes")
    assert (PAPER_PROTOCOL.schedule, PAPER_PROTOCOL.keep_best, PAPER_PROTOCOL.warmup) == (
        "constant", False, 0.0)


def _rates(trainer: Trainer) -> list[float]:
    """The rate each step of the run trained with (read from Adam after the step)."""
    out = []
    while not trainer.done:
        adam = trainer.optimizer  # a new phase brings a new one
        trainer.step()
        out.append(float(adam.param_groups[0]["lr"]))
    return out


@pytest.fixture(scope="module")
def problem(small_image) -> FitProblem:
    spec = build_specs(("siren",), ModelOptions(width=8, depth=1, image_size=(12, 16)))[0]
    return FitProblem.create(resize_image(small_image, 12, 16), spec.config)


def test_a_trainer_follows_its_schedule_over_each_phase(problem) -> None:
    cfg = TrainConfig(iters=20, lr=1e-2, device="cpu", schedule="auto")
    phases = (Phase(schedule="cosine"), Phase("pixels", steps=8, lr_scale=0.5, schedule="step"))
    rates = _rates(Trainer(problem, cfg, phases))
    assert rates[:20] == pytest.approx([1e-2 * lr_factor("cosine", s, 20) for s in range(20)])
    assert rates[20:] == pytest.approx([5e-3 * lr_factor("step", s, 8) for s in range(8)])
    forced = _rates(Trainer(problem, TrainConfig(iters=20, lr=1e-2, device="cpu",
                                                 schedule="constant"), phases))
    assert forced == pytest.approx([1e-2] * 20 + [5e-3] * 8)


def test_the_warm_up_and_the_pixels_after_it_share_one_schedule(problem) -> None:
    cfg = TrainConfig(iters=40, lr=1e-2, device="cpu", warmup=0.25, schedule="cosine")
    trainer = Trainer(problem, cfg)
    assert [p.objective for p in trainer.phases] == ["coarse", "pixels"]
    rates = _rates(trainer)
    np.testing.assert_allclose(rates, [1e-2 * lr_factor("cosine", s, 40) for s in range(40)])
