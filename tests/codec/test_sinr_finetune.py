"""SINR with fine-tuned coefficients: the weights it leaves are exactly what a decoder rebuilds
from the stored support and values, and the fine-tuning does not lose to the plain sparse code."""

from __future__ import annotations

import pytest
import torch

from inr_studio.codec import CodecOptions, roundtrip
from inr_studio.codec.finetune import finetuned_codes
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.trainer import Trainer
from inr_studio.metrics import psnr
from inr_studio.models.config import make_model_config
from inr_studio.models.spec import Phase
from inr_studio.problem import FitProblem
from inr_studio.render import TrainedNetwork

CPU = TrainConfig(iters=30, lr=2e-3, device="cpu")


def finetuned(pixels, width: int, s: int, bits: int, steps: int) -> Trainer:
    cfg = make_model_config("siren", width=width, depth=2, tile_scale=1.0)
    phases = (Phase(steps=60), Phase("sinr-finetune", steps=steps, lr_scale=0.1, options=(
        ("bits", bits), ("sparsity", s), ("k2", 256), ("seed", 3))))
    t = Trainer(FitProblem.create(pixels, cfg), CPU, phases)
    while not t.done:
        t.step()
    return t


def network(t: Trainer) -> TrainedNetwork:
    return TrainedNetwork(t.model, t.problem.height, t.problem.width, t.problem.class_map)


@pytest.mark.parametrize("width,s", [(16, 40), (64, 12)])  # flat vectors, and columns/rows
def test_finetuned_weights_decode_exactly_from_support_and_values(tiny_image, width, s) -> None:
    t = finetuned(tiny_image, width, s, bits=8, steps=10)
    codes = finetuned_codes(t.model)
    assert codes, "the phase left no sparse codes"
    options = CodecOptions(sparsity=s, target_error=None, k2=256, seed=3, bits=8)
    rt = roundtrip(network(t), tiny_image, options, codes=codes)
    assert rt.report.sparse_tensors == len(codes)
    for mine, theirs in zip(t.model.parameters(), rt.decoded.model.parameters()):
        assert torch.equal(mine.detach(), theirs.detach())
    assert rt.psnr == pytest.approx(psnr(t.reconstruct(), tiny_image), abs=1e-9)


def test_finetuning_beats_the_plain_sparse_code(tiny_image) -> None:
    s, bits = 40, 8
    base = finetuned(tiny_image, 16, s, bits, steps=0)  # the phase's finish only: OMP + quantiser
    tuned = finetuned(tiny_image, 16, s, bits, steps=40)
    options = CodecOptions(sparsity=s, target_error=None, k2=256, seed=3, bits=bits)
    before = roundtrip(network(base), tiny_image, options, codes=finetuned_codes(base.model)).psnr
    after = roundtrip(network(tuned), tiny_image, options, codes=finetuned_codes(tuned.model)).psnr
    assert after > before + 0.3, (before, after)
