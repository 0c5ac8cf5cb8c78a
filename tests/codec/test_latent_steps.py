"""How the latent-grid writer chooses its decoder's quantisation steps: at the λ the network
was trained with, the synthesis' step trades PSNR for weight bits as the training did; without
a λ, the PSNR rule (within 0.05 dB of the float synthesis) holds."""

from __future__ import annotations

import copy

import pytest

from inr_studio.codec import decode_bytes
from inr_studio.codec.latent_codec import PSNR_TOLERANCE
from inr_studio.codec.latent_file import encode_latent_model
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.trainer import Trainer
from inr_studio.metrics import psnr
from inr_studio.models.registry import ModelOptions, build_specs
from inr_studio.problem import FitProblem

LAMBDA = 2e-3


@pytest.fixture(scope="module")
def trained(small_image):
    spec = build_specs(("latent",), ModelOptions(image_size=small_image.shape[:2],
                                                 latent_lambda=LAMBDA))[0]
    trainer = Trainer(FitProblem.create(small_image, spec.config), TrainConfig(iters=150, seed=5),
                      spec.phases)
    while not trainer.done:
        trainer.step()
    return trainer.model.cpu()


def _file(net, image, lam):
    """The file at ``lam`` (None: the PSNR rule, for a network that records no λ)."""
    if lam is None:
        net = copy.deepcopy(net)
        del net.rate_lambda
    data, report = encode_latent_model(net, image, lam=lam)
    f = decode_bytes(data)
    return f.sections["weights"], psnr(f.render(), image), report, data


def test_the_training_records_its_lambda_for_the_writer(trained, small_image) -> None:
    assert trained.rate_lambda == pytest.approx(LAMBDA)
    assert encode_latent_model(trained, small_image)[0] == _file(trained, small_image, LAMBDA)[3]


def test_without_a_lambda_the_psnr_rule_holds(trained, small_image) -> None:
    _, quality, report, _ = _file(trained, small_image, None)
    assert quality >= report.psnr_float - PSNR_TOLERANCE - 1e-9


def test_the_rate_weight_moves_the_step_both_ways(trained, small_image) -> None:
    """λ = 0 buys the best picture any step gives; a huge λ the fewest weight bytes; the PSNR
    rule lies between."""
    rule_bytes, rule_psnr, report, _ = _file(trained, small_image, None)
    free_bytes, free_psnr, _, _ = _file(trained, small_image, 0.0)
    dear_bytes, dear_psnr, _, _ = _file(trained, small_image, 1e3)
    assert free_psnr >= rule_psnr - 0.01
    assert free_psnr >= report.psnr_float - PSNR_TOLERANCE
    assert dear_bytes <= rule_bytes <= free_bytes
    assert dear_bytes < free_bytes and dear_psnr < free_psnr  # the trade is real on this network
