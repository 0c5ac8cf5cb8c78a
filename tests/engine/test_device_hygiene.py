"""What a GPU would refuse or wait for, found on the CPU with a simulated device
(``tests/support/device_probe.py``): no host read, blocking copy or boolean-mask index inside a
training step of any model, and no float64 or ``.numpy()`` of a device tensor anywhere in a run
(Apple's MPS has no float64; ``.numpy()`` of a CUDA tensor is an error)."""

from __future__ import annotations

import numpy as np
import pytest

from device_probe import SimulatedDevice
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.trainer import Trainer
from inr_studio.errors import OptionError
from inr_studio.imaging import resize_image
from inr_studio.models import registry
from inr_studio.models.registry import ModelOptions
from inr_studio.problem import FitProblem
from inr_studio.tiling import auto_tile_scale

H, W = 24, 32


@pytest.fixture(scope="module")
def image(small_image) -> np.ndarray:
    return resize_image(small_image, H, W)


def _trainer(image: np.ndarray, key: str, batch: int | None, fast: bool = False) -> Trainer:
    spec = registry.build_specs((key,), ModelOptions(width=16, depth=2, image_size=(H, W),
                                                     tile_scale=auto_tile_scale(H, W)))[0]
    return Trainer(FitProblem.create(image, spec.config),
                   TrainConfig(iters=8, lr=1e-3, seed=1, device="cpu", batch_pixels=batch,
                               fast=fast), spec.phases)


@pytest.mark.parametrize("fast", [False, True], ids=["plain", "fast"])
@pytest.mark.parametrize("batch", [None, 64], ids=["full", "batch64"])
@pytest.mark.parametrize("key", list(registry.REGISTRY))
def test_a_training_step_never_waits_for_the_device(image, key: str, batch, fast: bool) -> None:
    if key == "latent" and batch is not None:  # its grids are the whole picture's
        with pytest.raises(OptionError, match="whole picture"):
            _trainer(image, key, batch, fast)
        return
    with SimulatedDevice() as probe:
        trainer = _trainer(image, key, batch, fast)
        probe.mark(trainer.model)
        trainer.step()  # the first step builds Adam's state
        probe.clear()
        for _ in range(3):
            trainer.step()
        assert probe.syncs == [], probe.syncs
        assert probe.blocking_copies == [], probe.blocking_copies
        assert probe.problems == [], probe.problems
    assert trainer.steps_done == 4


def test_the_probe_sees_what_it_claims_to() -> None:
    """The probe itself: a host read, a blocking copy, a mask index, float64 and a host tensor
    meeting a device one are each recorded (so an empty record above means something)."""
    import torch

    with SimulatedDevice() as probe:
        x = torch.ones(4).to("cpu")  # a blocking copy onto "the device"
        assert probe.blocking_copies == ["to"]
        bool(x.any())
        x[x > 0]
        float(x.sum())
        x.double()
        x + torch.ones(4)  # a host tensor
        x.cpu().numpy()  # a read, but no problem: the host copy is a host tensor
        assert probe.syncs == ["__bool__", "boolean mask index", "__float__", "cpu"]
        assert probe.float64_on_device == ["double"] and probe.mixed == ["add"]
        assert probe.numpy_on_device == []


def test_a_whole_eoren_run_keeps_float64_on_the_host(image) -> None:
    """EoREN's closed-form colour constant sums in float64: on the host, after the copy."""
    with SimulatedDevice() as probe:
        trainer = _trainer(image, "eoren", None)
        probe.mark(trainer.model)
        while not trainer.done:
            trainer.step()
        trainer.settle()
        assert probe.problems == [], probe.problems
