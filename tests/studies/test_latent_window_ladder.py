"""The latent grids' λ ladder as the window measures it: after the other models' rungs, one
training per λ, each point a real file whose figures are those of the decoded picture; a stop
request ends a training at its next step."""

from __future__ import annotations

import numpy as np
import pytest

from inr_studio.codec import decode_bytes
from inr_studio.engine.config import TrainConfig
from inr_studio.metrics import psnr
from inr_studio.studies import latent_ladder
from inr_studio.studies.ladder_run import LatentDone, LatentPlan, Planned, window_ladder

LAMBDAS = (2e-2, 6e-4)


@pytest.fixture
def pixels(small_image: np.ndarray) -> np.ndarray:
    from inr_studio.imaging import resize_image

    return resize_image(small_image, 24, 32)


def test_the_window_ladder_measures_one_file_per_lambda(pixels: np.ndarray) -> None:
    plan = LatentPlan(TrainConfig(iters=12, device="cpu", seed=0), LAMBDAS)
    assert plan.settings() == ["lambda-0.02", "lambda-0.0006"]
    messages = list(window_ladder(pixels, [], with_anchors=False, latent=plan))
    assert messages[0] == Planned(len(LAMBDAS))
    points = [m.point for m in messages[1:]]
    assert all(isinstance(m, LatentDone) for m in messages[1:])
    assert [p.lam for p in points] == list(LAMBDAS)
    assert [p.setting for p in points] == plan.settings()
    for p in points:
        decoded = decode_bytes(p.data)
        assert p.file_bytes == len(p.data)
        assert decoded.bpp == pytest.approx(8 * len(p.data) / (24 * 32))
        assert p.bpp == decoded.bpp and p.steps == 12
        assert psnr(decoded.render(), pixels) == pytest.approx(p.psnr, abs=1e-9)
    assert plan.fit_seconds(pixels) > 0  # the run's forecast, for one training


def test_a_stop_request_ends_a_training_at_its_next_step(pixels: np.ndarray) -> None:
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 3  # heard from inside the training: it ends long before its steps

    train = TrainConfig(iters=100_000, device="cpu", seed=0)
    control = latent_ladder.StopWhen(should_stop)
    assert latent_ladder.measure_point(pixels, 2e-2, train, control=control) is None
    assert 3 < len(asked) < 100
    assert list(latent_ladder.measure(pixels, train, LAMBDAS, should_stop=lambda: True)) == []
