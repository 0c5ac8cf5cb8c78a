"""The latent-grid model (Cool-chic / C3): shapes, complexity presets, context, rate term."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import laplace

from inr_studio.errors import OptionError
from inr_studio.models import registry
from inr_studio.models.build import build_network, config_from_dict
from inr_studio.models.latent_config import (PRESETS, LatentConfig, context_offsets,
                                             default_grids, make_latent_config)
from inr_studio.models.latent_net import LatentNet, laplace_bits, mu_scale
from inr_studio.models.registry import ModelOptions


def test_grid_pyramid_follows_the_image_size() -> None:
    assert default_grids(512, 768) == 7  # the smallest grid 8×12
    assert default_grids(171, 256) == 5  # the smallest grid 11×16
    cfg = make_latent_config(171, 256)
    assert cfg.grid_shapes() == ((171, 256), (86, 128), (43, 64), (22, 32), (11, 16))
    net = LatentNet(cfg)
    assert [tuple(p.shape) for p in net.latents] == list(cfg.grid_shapes())
    assert all(float(p.detach().abs().max()) == 0 for p in net.latents)  # initialised to 0
    assert net.parameter_count() == cfg.parameter_count()


def test_picture_shape_at_the_source_size_and_any_other() -> None:
    net = LatentNet(make_latent_config(20, 30), seed=1)
    with torch.no_grad():
        for p in net.latents:
            p.normal_()
    grids = net.rounded()
    assert net.picture(grids).shape == (600, 3)
    assert net.draw(41, 7).shape == (41, 7, 3)
    # the picture at the source size is the model's own forward, whatever route draws it
    np.testing.assert_array_equal(net.draw(20, 30).reshape(-1, 3),
                                  net.picture(grids).detach().numpy())


def _macs_from_modules(net: LatentNet) -> float:
    """MACs per pixel counted from the modules themselves (not from the configuration)."""
    cfg = net.config
    per_latent = sum(m.weight.numel() for m in net.arm.modules() if isinstance(m, torch.nn.Linear))
    per_pixel = sum(m.weight.numel() for m in net.synthesis.modules()
                    if isinstance(m, torch.nn.Conv2d))
    ups = (4 if cfg.upsampling == "bilinear" else 16) * (cfg.grids - 1)
    return per_latent * cfg.latent_count() / (cfg.height * cfg.width) + per_pixel + ups


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_each_preset_decodes_at_its_nominal_complexity(preset) -> None:
    cfg = make_latent_config(512, 768, preset)
    macs = cfg.macs_per_pixel()
    assert macs == pytest.approx(_macs_from_modules(LatentNet(cfg)))
    assert 0.85 * int(preset) <= macs <= 1.15 * int(preset)


def test_context_is_causal_nearest_first_and_sixteen_by_default() -> None:
    ctx = context_offsets(16)
    assert len(set(ctx)) == 16
    assert all(dy < 0 or (dy == 0 and dx < 0) for dy, dx in ctx)
    dist = [dy * dy + dx * dx for dy, dx in ctx]
    assert dist == sorted(dist) and max(dist) == 10
    assert {(0, -1), (-1, 0), (-1, -1), (-1, 1)} <= set(ctx[:4])


def test_rate_term_is_the_laplace_bin_probability() -> None:
    rng = np.random.default_rng(0)
    y = np.round(rng.normal(0, 4, 500))
    mu = rng.normal(0, 3, 500)
    b = np.exp(rng.uniform(-4, 3, 500))
    direct = laplace.cdf(y + 0.5, mu, b) - laplace.cdf(y - 0.5, mu, b)
    expected = -np.log2(np.maximum(direct, 2.0 ** -16))
    got = laplace_bits(*(torch.from_numpy(a) for a in (y, mu, b))).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_rate_of_a_network_sums_every_latent() -> None:
    net = LatentNet(make_latent_config(12, 16), seed=2)
    with torch.no_grad():
        for p in net.latents:
            p.copy_(torch.randint(-3, 4, p.shape) / 16.0)
    grids = net.rounded()
    with torch.no_grad():
        mu, b = mu_scale(net.arm(net.contexts(grids)))
        flat = torch.cat([g.reshape(-1) for g in grids])
        assert float(net.rate_bits(grids)) == pytest.approx(float(laplace_bits(flat, mu, b).sum()))
    assert len(flat) == net.config.latent_count()


def test_registry_entry_builds_the_latent_model_with_its_options() -> None:
    spec = registry.entry("latent").spec(ModelOptions(image_size=(171, 256), latent_lambda=5e-3,
                                                      latent_preset="500"))
    assert isinstance(spec.config, LatentConfig) and spec.config.arm_context == 8
    assert [p.kwargs()["quantiser"] for p in spec.phases] == ["softround", "ste"]
    assert all(p.kwargs()["lam"] == 5e-3 for p in spec.phases)
    assert spec.total_steps(1000) == 1000
    assert registry.entry("latent").window  # the window offers it (tests/ui/test_latent_window.py)
    assert isinstance(build_network(spec.config), LatentNet)
    assert config_from_dict(spec.config.to_dict()) == spec.config


def test_impossible_configurations_are_refused() -> None:
    with pytest.raises(OptionError, match="preset"):
        make_latent_config(64, 64, "3000")
    with pytest.raises(OptionError, match="context"):
        LatentConfig(64, 64, 3, arm_context=41).validate()
    with pytest.raises(OptionError, match="malformed"):
        LatentConfig.from_dict({"height": 4})
