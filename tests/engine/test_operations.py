"""The work axis: multiply-accumulates spent to reach a step, through the same schedule the
trainer runs (warm-up, phases, random batches)."""

from __future__ import annotations

import numpy as np

from inr_studio.engine.config import TrainConfig
from inr_studio.engine.operations import operations, pixels_before, step_pixels
from inr_studio.engine.trainer import Trainer
from inr_studio.models import registry
from inr_studio.models.registry import ModelOptions
from inr_studio.problem import FitProblem


def _spec(key: str = "siren"):
    return registry.entry(key).spec(ModelOptions(width=8, depth=1, image_size=(9, 10)))


def test_full_batch_counts_every_pixel_every_step() -> None:
    spec = _spec()
    train = TrainConfig(iters=10)
    assert step_pixels(spec, train, 9, 10) == ((10, 90),)
    ops = operations(spec, train, 9, 10, np.array([0, 1, 10]))
    assert list(ops) == [0, spec.macs_per_pixel() * 90, spec.macs_per_pixel() * 900]


def test_warm_up_steps_see_one_pixel_of_each_cell() -> None:
    spec = _spec()
    train = TrainConfig(iters=8, warmup=0.25)  # 2 coarse steps on ceil(9/2)·ceil(10/2) = 25 px
    assert step_pixels(spec, train, 9, 10) == ((2, 25), (6, 90))
    assert list(pixels_before(np.array([1, 2, 3, 8]), step_pixels(spec, train, 9, 10))) == \
        [25, 50, 140, 590]


def test_the_schedule_is_the_trainers(small_image) -> None:
    """The same steps as the trainer's phases: a model with a second phase (EoREN's colour
    steps) and the warm-up, on random batches too."""
    pixels = small_image[:9, :10]
    for key, options in (("hs", ModelOptions(width=8, depth=1, image_size=(9, 10))),
                         ("eoren", ModelOptions(width=8, depth=1, image_size=(9, 10),
                                                eoren_colour_steps=3))):
        spec = registry.entry(key).spec(options)
        for train in (TrainConfig(iters=8, warmup=0.25), TrainConfig(iters=8, batch_pixels=16)):
            trainer = Trainer(FitProblem.create(pixels, spec.config), train, spec.phases)
            stretches = step_pixels(spec, train, 9, 10)
            assert sum(n for n, _ in stretches) == trainer.total_steps
            seen = []
            while not trainer.done:
                batch = trainer._objective.batch()
                seen.append(len(batch.coords))
                trainer.step()
            assert list(pixels_before(np.arange(len(seen) + 1), stretches)) == \
                list(np.concatenate([[0], np.cumsum(seen)])), (key, train)
