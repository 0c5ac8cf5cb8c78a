"""The paper's models: grouped experts equal a naive per-pixel computation; SIREN init; HS-LoE."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from inr_studio.errors import OptionError
from inr_studio.imaging import resize_image
from inr_studio.models import CoordinateNet, ModelConfig, Routing, make_model_config
from inr_studio.problem import FitProblem, layer_ids, routing_for
from inr_studio.tiling import LayerTiling, grid


def naive_forward(model: CoordinateNet, coords: torch.Tensor,
                  ids: list[np.ndarray]) -> torch.Tensor:
    """One weight matrix gathered per pixel (``weight[ids]``) and a batched matmul: the
    definition of an LoE layer, at a cost the real code must avoid."""
    z = coords
    last = len(model.layers) - 1
    for k, (layer, layer_ids_k) in enumerate(zip(model.layers, ids)):
        w = layer.weight[torch.from_numpy(layer_ids_k)]  # (N, out, in)
        z = torch.bmm(w, z.unsqueeze(-1)).squeeze(-1) + layer.bias
        if k < last:
            z = torch.sin(model.config.omega0 * z)
    return z


@pytest.mark.parametrize("kind", ["ftc", "qt", "hs"])
@pytest.mark.parametrize("subset", [False, True])
def test_grouped_experts_equal_the_naive_per_pixel_computation(small_image, kind: str,
                                                                subset: bool) -> None:
    pixels = resize_image(small_image, 12, 16)
    problem = FitProblem.create(pixels, make_model_config(kind, width=8, tile_scale=1 / 16))
    coords = problem.coords()
    if subset:  # a pixel batch: random rows, repeats included
        coords = coords[np.random.default_rng(0).integers(0, len(coords), 150)]
    ids = layer_ids(problem.config, coords, problem.class_map)
    for t, layer_ids_k in zip(problem.config.tilings, ids):
        assert t.experts == 1 or len(np.unique(layer_ids_k)) == t.experts  # every expert in play
    model = CoordinateNet(problem.config, seed=3).double()
    x = torch.from_numpy(coords)
    grouped = model(x, routing_for(problem.config, coords, problem.class_map))
    naive = naive_forward(model, x, ids)
    torch.testing.assert_close(grouped, naive, rtol=1e-10, atol=1e-12)

    probe = torch.from_numpy(np.random.default_rng(1).standard_normal(naive.shape))
    params = list(model.parameters())
    g_grouped = torch.autograd.grad((grouped * probe).sum(), params)
    g_naive = torch.autograd.grad((naive * probe).sum(), params)
    for (name, _), a, b in zip(model.named_parameters(), g_grouped, g_naive):
        assert torch.count_nonzero(b) > 0, name
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12, msg=name)


@pytest.mark.parametrize("kind", ["siren", "ftc", "qt", "hs"])
def test_siren_init_bounds_for_every_layer_and_expert(kind: str) -> None:
    omega0 = 30.0
    model = CoordinateNet(make_model_config(kind, width=64, omega0=omega0), seed=0)
    for k, layer in enumerate(model.layers):
        n_in = layer.in_features
        bound = 1.0 / n_in if k == 0 else math.sqrt(6.0 / n_in) / omega0
        w = layer.weight.detach()
        assert w.shape[0] == model.config.tilings[k].experts
        for e in range(w.shape[0]):
            a = w[e].abs()
            assert a.max() <= bound, (k, e)
            if w[e].numel() >= 100:  # a uniform sample reaches near the bound and is centred
                assert a.max() > 0.9 * bound and abs(w[e].mean()) < 0.25 * bound, (k, e)
        if w.shape[0] > 1:
            assert not torch.equal(w[0], w[1])  # experts drawn independently, not copies
        b = layer.bias.detach()
        assert b.shape == (layer.out_features,) and b.abs().max() <= 1.0 / math.sqrt(n_in)


def test_same_seed_same_weights_other_seed_other_weights() -> None:
    cfg = make_model_config("hs", width=16)
    a, b, c = (CoordinateNet(cfg, seed=s).state_dict() for s in (7, 7, 8))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_paper_architecture_and_parameter_counts() -> None:
    siren = make_model_config("siren")
    assert siren.layer_shapes() == [(256, 2), (256, 256), (256, 256), (3, 256)]
    plain = sum(o * i + o for o, i in siren.layer_shapes())
    loe = sum(4 * o * i + o for o, i in siren.layer_shapes())
    assert siren.parameter_count() == plain == CoordinateNet(siren).parameter_count()
    for kind in ("ftc", "qt", "hs"):
        cfg = make_model_config(kind)
        assert cfg.parameter_count() == loe == CoordinateNet(cfg).parameter_count()
    assert [t.scale for t in make_model_config("ftc").tilings] == [128, 8, 4, 2]
    assert [t.scale for t in make_model_config("qt").tilings] == [2, 4, 8, 128]


@pytest.mark.parametrize("seg_layer, expected", [
    (1, ("segment", 128, 4, 2)),  # the paper's L1 rule: FtC's L1 tiling moves to L2
    (2, (128, "segment", 4, 2)),
    (3, (128, 8, "segment", 2)),
    (4, (128, 8, 4, "segment")),
    (None, (128, 8, 4, "segment")),  # default: the last layer
])
def test_hs_loe_segmentation_layer_1_to_4(seg_layer, expected, small_image) -> None:
    cfg = make_model_config("hs", width=8, seg_layer=seg_layer)
    got = tuple("segment" if t.kind == "segment" else t.scale for t in cfg.tilings)
    assert got == expected and cfg.seg_layer == (seg_layer or 4)
    assert cfg.tilings[cfg.seg_layer - 1].experts == 4
    problem = FitProblem.create(resize_image(small_image, 8, 12), cfg)
    out = CoordinateNet(cfg)(torch.from_numpy(problem.coords()).float(),
                             routing_for(cfg, problem.coords(), problem.class_map))
    assert out.shape == (96, 3) and torch.isfinite(out).all()


def test_impossible_model_options() -> None:
    with pytest.raises(OptionError, match="1..4"):
        make_model_config("hs", seg_layer=5)
    with pytest.raises(OptionError, match="hs"):
        make_model_config("ftc", seg_layer=2)
    with pytest.raises(OptionError, match="unknown model"):
        make_model_config("mlp")
    for bad in ({"width": 0}, {"depth": 0}, {"omega0": 0.0}, {"tile_scale": -1.0}):
        with pytest.raises(OptionError):
            make_model_config("ftc", **bad)


@pytest.mark.parametrize("kind", ["siren", "ftc", "hs"])
def test_config_round_trips_through_json(kind: str) -> None:
    import json

    cfg = make_model_config(kind, width=32, depth=2, seg_layer=2 if kind == "hs" else None,
                            seg_method="equal")
    assert ModelConfig.from_dict(json.loads(cfg.to_json())) == cfg
    with pytest.raises(OptionError):
        ModelConfig.from_dict({"kind": kind})


def test_routing_restores_raster_order() -> None:
    ids = [np.array([2, 0, 1, 0, 3, 2]), np.zeros(6, dtype=np.int64), np.array([1, 1, 0, 0, 1, 0])]
    r = Routing.build(ids, [4, 1, 2])
    x = torch.arange(6.0).unsqueeze(1)
    z = x
    for route in r.layers:
        if route.before is not None:
            z = route.before.apply(z)
    assert r.restore is not None
    torch.testing.assert_close(r.restore.apply(z), x)
    assert LayerTiling().experts == 1 and grid(2).experts == 4


def test_vanishing_omega0_is_refused() -> None:
    """ω0 → 0 would overflow the SIREN init bound √(6/n)/ω0; the config refuses it."""
    with pytest.raises(OptionError, match="omega0"):
        make_model_config("siren", omega0=1e-309)
