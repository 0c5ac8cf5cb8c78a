"""Multiply-accumulates per pixel (the window's "operations" axis and its MACs/px column):
counted by hand for SIREN and LoE, and checked against PyTorch's own FLOP counter on a real
forward pass of every registry model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from inr_studio.coords import pixel_centres
from inr_studio.models import ModelSpec, registry
from inr_studio.models.config import make_model_config
from inr_studio.models.network import CoordinateNet
from inr_studio.models.registry import ModelEntry, ModelOptions
from inr_studio.problem import FitProblem, routing_for


def test_siren_by_hand() -> None:
    # 2 → 64 → 64 → 64 → 3: 2·64 + 64·64 + 64·64 + 64·3
    cfg = make_model_config("siren", width=64, depth=3)
    assert cfg.macs_per_pixel() == 128 + 4096 + 4096 + 192 == 8512


def test_an_loe_layer_costs_one_experts_matrix() -> None:
    # four experts per layer, but each pixel goes through one of them: SIREN's count, with
    # four times its weights
    for kind in ("ftc", "qt", "hs"):
        cfg = make_model_config(kind, width=64, depth=3)
        assert cfg.macs_per_pixel() == 8512
        assert cfg.parameter_count() > 3.5 * make_model_config("siren", width=64).parameter_count()
    wide = make_model_config("ftc", width=32, depth=2)  # 2·32 + 32·32 + 32·3
    assert wide.macs_per_pixel() == 64 + 1024 + 96


def test_gaussian_encoding_adds_its_projection() -> None:
    base = make_model_config("siren", width=8, depth=1)
    gauss = replace(base, encoding="gauss", pe_features=10, pe_sigma=5.0)
    # B·p: 10 × 2; then the first layer takes 20 features: 20·8, then 8·3
    assert gauss.macs_per_pixel() == 20 + 160 + 24


#: The coordinate networks; the latent-grid model's MACs are counted from its own modules in
#: tests/models/test_latent_model.py.
COORDINATE_MODELS = sorted(k for k in registry.REGISTRY if k != "latent")


@pytest.mark.parametrize("key", COORDINATE_MODELS)
def test_every_model_matches_torchs_flop_counter(key: str) -> None:
    h, w = 12, 20
    spec = registry.entry(key).spec(ModelOptions(width=12, depth=2, image_size=(h, w),
                                                 tile_scale=0.2, pe_features=8))
    pixels = np.random.default_rng(0).random((h, w, 3)).astype(np.float32)
    problem = FitProblem.create(pixels, spec.config)
    coords = pixel_centres(h, w)
    routing = routing_for(spec.config, coords, problem.class_map)
    net = CoordinateNet(spec.config)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.from_numpy(coords.astype(np.float32)), routing)
    assert counter.get_total_flops() == 2 * spec.macs_per_pixel() * h * w


def test_an_entry_can_count_its_own() -> None:
    entry = ModelEntry("odd", "Odd", "#000", "a model", "nobody", registry.entry("siren").make_config,
                       count_macs=lambda cfg: 7)
    spec = entry.spec(ModelOptions(width=8))
    assert spec.macs_per_pixel() == 7
    plain = ModelSpec("x", "X", make_model_config("siren", width=8, depth=1))
    assert plain.macs_per_pixel() == 2 * 8 + 8 * 3
