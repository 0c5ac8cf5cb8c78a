"""Quantisation-aware fine-tuning: the network it trains is the network the file holds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inr_studio.codec import CodecOptions, decode_bytes, encode_model
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.trainer import Trainer
from inr_studio.errors import OptionError
from inr_studio.imaging import resize_image
from inr_studio.models.config import make_model_config
from inr_studio.models.spec import Phase
from inr_studio.problem import FitProblem

CPU = TrainConfig(iters=30, lr=2e-3, device="cpu")


@pytest.fixture(scope="module")
def tiny(small_image) -> np.ndarray:
    return resize_image(small_image, 16, 24)


def trainer(pixels, phases, kind="siren", width=16) -> Trainer:
    cfg = make_model_config(kind, width=width, depth=2, tile_scale=1.0)
    return Trainer(FitProblem.create(pixels, cfg), CPU, phases)


def run(t: Trainer) -> None:
    while not t.done:
        t.step()


def file_network(t: Trainer, bits: int):
    data = encode_model(t.model, t.problem.height, t.problem.width, t.problem.class_map,
                        CodecOptions(plain=True, bits=bits))
    return decode_bytes(data)


@pytest.mark.parametrize("kind", ["siren", "hs"])
def test_qat_forward_is_the_quantised_networks_forward(tiny, kind) -> None:
    bits = 5
    t = trainer(tiny, (Phase(steps=20), Phase("qat", steps=6, options=(("bits", bits),))), kind)
    for _ in range(20 + 3):  # stop inside the QAT phase: the parametrisation is live
        t.step()
    batch = t.batcher.next()
    with torch.no_grad():
        qat_pred = t.model(batch.coords, batch.routing).numpy()
        float_weights = [p.detach().clone() for p in t.model.parameters()]
    # The file of the same float weights at the same bits, decoded:
    decoded = file_network(t, bits)
    rendered = decoded.render()  # [0, 1], clipped
    expect = np.clip((qat_pred + 1) * 0.5, 0, 1).reshape(rendered.shape)
    np.testing.assert_allclose(rendered, expect, atol=2e-6)
    # ...and the live weights are not on the grid themselves (the STE keeps the float ones).
    assert any(torch.any(w != torch.round(w * 1e3) / 1e3) for w in float_weights)


def test_finish_leaves_weights_exactly_on_the_files_grid(tiny) -> None:
    bits = 6
    t = trainer(tiny, (Phase(steps=15), Phase("qat", steps=8, options=(("bits", bits),))), "hs")
    run(t)
    decoded = file_network(t, bits)
    for mine, theirs in zip(t.model.parameters(), decoded.model.parameters()):
        assert torch.equal(mine.detach(), theirs.detach())  # bit-exact: encoding is lossless
    distinct = [len(torch.unique(layer.weight[0])) for layer in t.model.layers]
    assert max(distinct) <= 2 ** bits


def test_qat_recovers_psnr_lost_to_quantisation(tiny) -> None:
    bits = 4
    plain = trainer(tiny, (Phase(steps=60),))
    run(plain)
    before = _psnr(file_network(plain, bits).render(), tiny)
    tuned = trainer(tiny, (Phase(steps=60), Phase("qat", steps=40, lr_scale=0.1,
                                                   options=(("bits", bits),))))
    run(tuned)
    after = _psnr(file_network(tuned, bits).render(), tiny)
    assert after > before + 0.5, (before, after)


def test_bad_bits_are_refused(tiny) -> None:
    with pytest.raises(OptionError, match="bits in 1..16"):
        trainer(tiny, (Phase(steps=0), Phase("qat", steps=1, options=(("bits", 0),))))
    with pytest.raises(OptionError, match="tensors"):
        trainer(tiny, (Phase(steps=0), Phase("qat", steps=1, options=(("tensor_bits", "8,8"),))))


def _psnr(a, b) -> float:
    from inr_studio.metrics import psnr

    return psnr(a, b)
