"""SINR fine-tuning and quantisation-aware training off the CPU: the coefficients live on the
network's device and are read back through the host, never by ``.numpy()`` of a device tensor.

A CPU sees none of that, so the simulated device (``tests/support/device_probe.py``) records
what a GPU would refuse; on a machine with a GPU the ``device`` fixture runs the real thing."""

from __future__ import annotations

import pytest
import torch

from device_probe import SimulatedDevice
from inr_studio.codec import CodecOptions
from inr_studio.codec.finetune import finetuned_codes
from inr_studio.codec.roundtrip import roundtrip
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.trainer import Trainer
from inr_studio.imaging import resize_image
from inr_studio.models import make_model_config
from inr_studio.models.spec import Phase
from inr_studio.problem import FitProblem
from inr_studio.render import TrainedNetwork

FINETUNE = Phase("sinr-finetune", steps=4, lr_scale=0.1,
                 options=(("bits", 8), ("sparsity", 12), ("k2", 256), ("seed", 3)))
QAT = Phase("qat", steps=4, lr_scale=0.1, options=(("bits", 8),))


def _trainer(pixels, phase: Phase, device: str) -> Trainer:
    cfg = make_model_config("siren", width=64, depth=2, tile_scale=1.0)
    return Trainer(FitProblem.create(pixels, cfg), TrainConfig(iters=20, lr=2e-3, device=device),
                   (Phase(steps=20), phase))


@pytest.mark.parametrize("phase", [FINETUNE, QAT], ids=["sinr-finetune", "qat"])
def test_fine_tuning_keeps_device_tensors_on_the_device(small_image, phase) -> None:
    pixels = resize_image(small_image, 16, 24)
    with SimulatedDevice() as probe:
        trainer = _trainer(pixels, phase, "cpu")
        probe.mark(trainer.model)
        while not trainer.done:
            trainer.step()
        assert probe.problems == [], probe.problems


def test_fine_tuned_codes_decode_exactly_from_any_device(small_image, device) -> None:
    pixels = resize_image(small_image, 16, 24)
    trainer = _trainer(pixels, FINETUNE, device)
    while not trainer.done:
        trainer.step()
    codes = finetuned_codes(trainer.model)
    assert codes
    options = CodecOptions(sparsity=12, target_error=None, k2=256, seed=3, bits=8)
    network = TrainedNetwork(trainer.model, 16, 24, None)
    rt = roundtrip(network, pixels, options, codes=codes)
    for mine, theirs in zip(trainer.model.parameters(), rt.decoded.model.parameters()):
        assert torch.equal(mine.detach().cpu(), theirs.detach())
