"""Quantisation-aware fine-tuning: the network it trains is the network the file holds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inr_studio.codec import CodecOptions, decode_bytes, encode_model
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.trainer import Trainer
from inr_studio.errors import OptionError
from inr_studio.metrics import psnr
from inr_studio.models.config import make_model_config
from inr_studio.models.spec import Phase
from inr_studio.problem import FitProblem

CPU = TrainConfig(iters=30, lr=2e-3, device="cpu")


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


def grid_codes(values: torch.Tensor, bits: int, lo: float, hi: float) -> np.ndarray | None:
    """The integer codes q in 0..2^bits − 1 of ``values`` on the grid of [lo, hi] (a value is
    lo + q·(hi − lo)/(2^bits − 1) computed in float64, held as float32: docs/format.md), or
    None if any value is not exactly on that grid."""
    v = values.detach().double().numpy().ravel()
    top = 2 ** bits - 1
    q = np.rint((v - lo) / (hi - lo) * top) if hi > lo else np.zeros_like(v)
    on_grid = (lo + q * ((hi - lo) / top)).astype(np.float32)
    if q.min() < 0 or q.max() > top or not np.array_equal(on_grid, v.astype(np.float32)):
        return None
    return q.astype(np.int64)


def tensors(model) -> list[torch.Tensor]:
    """Each expert's weight matrix and each bias: the tensors the file quantises, its order."""
    return [t for layer in model.layers for t in (*layer.weight, layer.bias)]


@pytest.mark.parametrize("kind", ["siren", "hs"])
def test_qat_forward_is_the_quantised_networks_forward(tiny_image, kind) -> None:
    bits = 5
    qat = Phase("qat", steps=6, options=(("bits", bits),))
    t = trainer(tiny_image, (Phase(steps=20), qat), kind)
    for _ in range(20 + 3):  # stop inside the QAT phase: the parametrisation is live
        t.step()
    batch = t.batcher.next()
    with torch.no_grad():
        qat_pred = t.model(batch.coords, batch.routing).numpy()
        seen = tensors(t.model)  # what the forward reads: through the quantiser
        latent = [w.detach() for p in t.model.parameters() for w in (p if p.dim() == 3 else (p,))]
    # The file of the same float weights at the same bits, decoded:
    decoded = file_network(t, bits)
    rendered = decoded.render()  # [0, 1], clipped
    expect = np.clip((qat_pred + 1) * 0.5, 0, 1).reshape(rendered.shape)
    np.testing.assert_allclose(rendered, expect, atol=2e-6)
    # The forward reads each tensor on its own 5-bit grid, spanning its range; the weights
    # trained underneath stay off it (the straight-through estimator keeps the float ones).
    for w in seen:
        codes = grid_codes(w, bits, float(w.min()), float(w.max()))
        assert codes is not None and codes.min() == 0 and codes.max() == 2 ** bits - 1
    assert len(latent) == len(seen)
    assert all(grid_codes(w, bits, float(w.min()), float(w.max())) is None
               for w in latent if w.numel() > 2)


def test_finish_leaves_weights_exactly_on_the_files_grid(tiny_image) -> None:
    bits = 6
    t = trainer(tiny_image, (Phase(steps=15), Phase("qat", steps=8, options=(("bits", bits),))),
                "hs")
    run(t)
    decoded = file_network(t, bits)
    for mine, theirs in zip(t.model.parameters(), decoded.model.parameters()):
        assert torch.equal(mine.detach(), theirs.detach())  # bit-exact: encoding is lossless
    rows = decoded.header["tensors"]
    assert len(rows) == len(tensors(t.model))
    for w, row in zip(tensors(t.model), rows):  # on the file's grid: integer codes, bits deep
        codes = grid_codes(w, row["bits"], row["lo"], row["hi"])
        assert row["bits"] == bits and codes is not None, row
        assert codes.min() == 0 and codes.max() == 2 ** bits - 1, row  # its own full range


def test_qat_recovers_psnr_lost_to_quantisation(tiny_image) -> None:
    bits = 4
    plain = trainer(tiny_image, (Phase(steps=60),))
    run(plain)
    before = psnr(file_network(plain, bits).render(), tiny_image)
    tuned = trainer(tiny_image, (Phase(steps=60), Phase("qat", steps=40, lr_scale=0.1,
                                                   options=(("bits", bits),))))
    run(tuned)
    after = psnr(file_network(tuned, bits).render(), tiny_image)
    assert after > before + 0.5, (before, after)


def test_bad_bits_are_refused(tiny_image) -> None:
    with pytest.raises(OptionError, match="bits in 1..16"):
        trainer(tiny_image, (Phase(steps=0), Phase("qat", steps=1, options=(("bits", 0),))))
    with pytest.raises(OptionError, match="tensors"):
        trainer(tiny_image, (Phase(steps=0),
                             Phase("qat", steps=1, options=(("tensor_bits", "8,8"),))))
