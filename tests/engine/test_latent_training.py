"""Training the latent-grid model through the one engine: rate–distortion objective, phases,
the rate reported with every progress batch, the grids with every preview."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from inr_studio.engine.config import TrainConfig
from inr_studio.engine.fit import fit_side_by_side
from inr_studio.engine.memory import estimate
from inr_studio.engine.messages import PreviewFrame, ProgressBatch
from inr_studio.engine.rate_distortion import RateDistortion, cosine, softround
from inr_studio.engine.side_by_side import RunRequest, SideBySide
from inr_studio.engine.trainer import Trainer
from inr_studio.metrics import psnr
from inr_studio.models.registry import ModelOptions, build_specs
from inr_studio.models.spec import Phase
from inr_studio.problem import FitProblem


def _specs(image: np.ndarray, keys=("latent",), **options):
    return build_specs(keys, ModelOptions(width=16, depth=2, image_size=image.shape[:2], **options))


def test_training_lowers_the_loss_and_beats_the_mean_colour_by_far(small_image) -> None:
    torch.manual_seed(0)
    spec = _specs(small_image, latent_lambda=1e-4)[0]
    trainer = Trainer(FitProblem.create(small_image, spec.config), TrainConfig(iters=300),
                      spec.phases)
    losses = []
    while not trainer.done:
        loss, _ = trainer.step()
        losses.append(float(loss))
    assert np.mean(losses[-20:]) < 0.2 * np.mean(losses[:20])
    mean_colour = np.broadcast_to(small_image.mean(axis=(0, 1)), small_image.shape)
    floor = psnr(mean_colour, small_image)
    got = psnr(trainer.reconstruct(), small_image)
    assert got > floor + 8.0, (floor, got)
    assert np.isfinite(trainer.estimated_bpp()) and trainer.estimated_bpp() > 0


def test_a_larger_lambda_buys_fewer_bits(small_image) -> None:
    rates = []
    for lam in (1e-4, 1e-2):
        spec = _specs(small_image, latent_lambda=lam)[0]
        trainer = Trainer(FitProblem.create(small_image, spec.config), TrainConfig(iters=200),
                          spec.phases)
        while not trainer.done:
            trainer.step()
        with torch.no_grad():
            rates.append(float(trainer.model.rate_bits(trainer.model.rounded())))
    assert rates[1] < 0.5 * rates[0]


def test_progress_reports_the_rate_and_previews_the_grids(small_image) -> None:
    specs = _specs(small_image, keys=("latent", "siren"))
    request = RunRequest(0, small_image, specs, TrainConfig(iters=12, lr=1e-3), progress_s=0.0,
                         preview_s=0.0, preview_share=1.0)
    msgs = list(SideBySide(request).run())
    batches = [m for m in msgs if isinstance(m, ProgressBatch)]
    assert all(np.isfinite(b.stats["latent"].bpp) for b in batches)
    assert all(math.isnan(b.stats["siren"].bpp) for b in batches)
    frames = [m for m in msgs if isinstance(m, PreviewFrame)]
    assert frames and all("siren" not in f.grids for f in frames)
    shapes = specs[0].config.grid_shapes()
    assert [g.shape for g in frames[-1].grids["latent"]] == list(shapes)
    assert frames[-1].grids["latent"][0].dtype == np.int32
    assert frames[-1].recon["latent"].shape == small_image.shape


def test_phases_split_the_run_soft_rounding_then_rounding(small_image) -> None:
    spec = _specs(small_image)[0]
    trainer = Trainer(FitProblem.create(small_image, spec.config), TrainConfig(iters=40),
                      spec.phases)
    assert trainer.total_steps == 40
    seen = []
    while not trainer.done:
        seen.append(trainer._objective.quantiser)
        trainer.step()
    assert seen == ["softround"] * 34 + ["ste"] * 6


def test_the_rounding_phase_ends_on_its_best_state(small_image) -> None:
    """keep_best: the parameters the phase ends with are those of its lowest loss, which the
    file's (rounded) network then has."""
    spec = _specs(small_image)[0]
    phase = Phase("latent", steps=25, options=(("lam", 1e-3), ("quantiser", "ste"),
                                                ("lr", 0.05), ("keep_best", True)))
    trainer = Trainer(FitProblem.create(small_image, spec.config), TrainConfig(iters=25), (phase,))
    objective = trainer._objective
    best, best_state = float("inf"), None
    while not trainer.done:
        state = [p.detach().clone() for p in trainer.model.parameters()]
        loss, _ = trainer.step()
        if float(loss) < best:
            best, best_state = float(loss), state
    # the phase's end scores the last update's parameters too (no forward saw them)
    final_state = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.settle()
    kept = float(objective._best_loss)
    assert kept <= best + 1e-7
    expected = best_state if kept == pytest.approx(best) else final_state
    for p, q in zip(trainer.model.parameters(), expected):
        torch.testing.assert_close(p.detach(), q, rtol=0, atol=0)


def test_learning_rate_follows_a_cosine_within_each_phase(small_image) -> None:
    spec = _specs(small_image)[0]
    trainer = Trainer(FitProblem.create(small_image, spec.config), TrainConfig(iters=20),
                      spec.phases)
    lrs = []
    while not trainer.done:
        trainer.step()
        lrs.append(trainer.optimizer.param_groups[0]["lr"])
    assert lrs[0] == pytest.approx(1e-2) and lrs[16] == pytest.approx(1e-2 * 0.01)
    ste = ModelOptions.latent_ste_lr
    assert lrs[17] == pytest.approx(ste) and lrs[-1] == pytest.approx(ste * 0.01)
    assert all(a >= b for a, b in zip(lrs[:17], lrs[1:17]))
    assert cosine(0, 10, 0.1) == 1.0 and cosine(9, 10, 0.1) == pytest.approx(0.1)


def test_softround_goes_from_identity_to_rounding() -> None:
    x = torch.linspace(-3, 3, 61) + 0.013  # no half-integers (where both meet halfway)
    torch.testing.assert_close(softround(x, 1e-3), torch.round(x), atol=1e-4, rtol=0)
    assert float((softround(x, 10.0) - x).abs().max()) < 0.01


def test_the_objective_refuses_impossible_options(small_image) -> None:
    spec = _specs(small_image)[0]
    trainer = Trainer(FitProblem.create(small_image, spec.config), TrainConfig(iters=2),
                      spec.phases)
    from inr_studio.errors import OptionError

    with pytest.raises(OptionError, match="quantiser"):
        RateDistortion(trainer.problem, trainer.batcher, quantiser="floor")
    with pytest.raises(OptionError, match="λ"):
        RateDistortion(trainer.problem, trainer.batcher, lam=-1.0)


def test_fit_and_the_memory_guard_take_the_latent_model(small_image) -> None:
    specs = _specs(small_image, keys=("latent", "ftc"))
    est = estimate(specs, *small_image.shape[:2])
    assert est.peak > 0
    run, results, _ = fit_side_by_side(small_image, specs[:1], TrainConfig(iters=5))
    assert results["latent"].steps == 5 and np.isfinite(results["latent"].psnr)


def test_a_target_psnr_moves_lambda_towards_it(small_image) -> None:
    """Rate control: above the target λ grows (fewer bits), below it shrinks; the rounding
    phase keeps the λ the noise phase reached."""
    reached = {}
    for target in (12.0, 45.0):
        spec = _specs(small_image, latent_lambda=1e-3, latent_target_psnr=target)[0]
        trainer = Trainer(FitProblem.create(small_image, spec.config), TrainConfig(iters=120),
                          spec.phases)
        while not trainer.done:
            trainer.step()
            if trainer._objective.quantiser == "ste":
                assert float(trainer._objective._log_lam) == float(trainer.model.rate_log_lambda)
        reached[target] = math.exp(float(trainer.model.rate_log_lambda))
    assert reached[12.0] > 1e-3 > reached[45.0]
