"""The models beyond the paper's four: positional encodings, the ReLU and parameter-matched
networks, their command-line options and files, and the edge PSNR. (How well every model
learns: ``test_fidelity_floors.py``.)"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from inr_studio.cli.main import main
from inr_studio.engine.config import TrainConfig
from inr_studio.errors import OptionError
from inr_studio.imaging import resize_image
from inr_studio.metrics import edge_psnr, psnr
from inr_studio.models import registry
from inr_studio.models.build import build_network
from inr_studio.models.config import default_pe_levels, make_model_config
from inr_studio.models.encoding import PositionalEncoding, gauss_matrix
from inr_studio.models.network import CoordinateNet
from inr_studio.models.registry import ModelOptions, matched_width
from inr_studio.problem import routing_for
from inr_studio.render import render

NEW_MODELS = ("eoren", "pe-relu", "pe-siren", "siren-matched")


def _nerf(levels: int):
    return replace(make_model_config("siren", width=8), encoding="nerf", pe_levels=levels)


def _gauss(m: int, sigma: float, seed: int):
    return replace(make_model_config("siren", width=8), encoding="gauss", pe_features=m,
                   pe_sigma=sigma, pe_seed=seed)


def test_nerf_features_are_p_then_sines_and_cosines_of_2_to_the_k_pi_p() -> None:
    levels = 4
    enc = PositionalEncoding(_nerf(levels))
    p = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (13, 2)))
    g = enc(p)
    assert g.shape == (13, 2 * (1 + 2 * levels)) == (13, _nerf(levels).encoded_features)
    torch.testing.assert_close(g[:, :2], p)
    for c in range(2):
        for k in range(levels):
            angle = 2.0 ** k * math.pi * p[:, c]
            torch.testing.assert_close(g[:, 2 + c * levels + k], torch.sin(angle),
                                       rtol=1e-6, atol=1e-6)
            torch.testing.assert_close(g[:, 2 + 2 * levels + c * levels + k], torch.cos(angle),
                                       rtol=1e-6, atol=1e-6)


def test_nerf_default_levels_follow_the_working_size() -> None:
    assert default_pe_levels(512, 768) == 9 and default_pe_levels(64, 96) == 6
    assert default_pe_levels(2, 2) == 1 and default_pe_levels(4000, 100000) == 16
    for h, w in ((64, 96), (512, 768), (300, 17)):
        L = default_pe_levels(h, w)
        # the finest frequency 2^(L-1)·π has a period 2^(2-L) of at least two pixels (4/N) ...
        assert 2.0 ** (2 - L) >= 4.0 / max(h, w) - 1e-12
        # ... and one level more would not
        assert 2.0 ** (1 - L) < 4.0 / max(h, w)
    spec = registry.entry("pe-siren").spec(ModelOptions(width=8, image_size=(64, 96)))
    assert spec.config.encoding == "nerf" and spec.config.pe_levels == 6


def test_gauss_features_are_cos_and_sin_of_2_pi_b_p_with_a_seeded_b() -> None:
    m, sigma = 2048, 5.0
    b = gauss_matrix(m, sigma, seed=7)
    assert b.shape == (m, 2)
    torch.testing.assert_close(b, gauss_matrix(m, sigma, seed=7), rtol=0, atol=0)
    assert not torch.equal(b, gauss_matrix(m, sigma, seed=8))
    assert abs(float(b.std()) - sigma) < 0.05 * sigma and abs(float(b.mean())) < 0.2
    enc = PositionalEncoding(_gauss(m, sigma, 7))
    assert "freqs" not in enc.state_dict()  # B is rebuilt from the seed, never stored
    p = torch.from_numpy(np.random.default_rng(1).uniform(-1, 1, (5, 2)).astype(np.float32))
    g = enc(p)
    assert g.shape == (5, 2 * m) == (5, _gauss(m, sigma, 7).encoded_features)
    angles = 2 * math.pi * p.double() @ b.double().t()
    torch.testing.assert_close(g[:, :m].double(), torch.cos(angles), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(g[:, m:].double(), torch.sin(angles), rtol=1e-4, atol=1e-4)
    # Two networks from the same configuration agree (what a decoder relies on).
    a, c = CoordinateNet(_gauss(16, 5.0, 3), seed=0), CoordinateNet(_gauss(16, 5.0, 3), seed=0)
    r = routing_for(a.config, p.double().numpy(), None)
    torch.testing.assert_close(a(p, r), c(p, r))


def test_pe_siren_first_layer_init_is_uniform_over_one_over_dim_gamma() -> None:
    spec = registry.entry("pe-siren").spec(ModelOptions(width=64, image_size=(512, 768)))
    net = CoordinateNet(spec.config, seed=0)
    n_in = 2 * (1 + 2 * 9)
    w = net.layers[0].weight.detach()
    assert w.shape[-1] == n_in and float(w.abs().max()) <= 1.0 / n_in
    assert float(w.abs().max()) > 0.9 / n_in
    relu = CoordinateNet(registry.entry("pe-relu").spec(ModelOptions(width=64)).config, seed=0)
    assert relu.config.activation == "relu" and float(relu.layers[1].weight.detach().abs().max()) <= 1 / 8


@pytest.mark.parametrize("width,depth,expected", [(256, 3, 513), (32, 3, 65), (16, 2, None)])
def test_siren_matched_has_lo_e_ftcs_parameter_count_within_2_percent(width, depth,
                                                                       expected) -> None:
    options = ModelOptions(width=width, depth=depth)
    ftc = registry.entry("ftc").spec(options).config.parameter_count()
    spec = registry.entry("siren-matched").spec(options)
    n = spec.config.parameter_count()
    assert abs(n - ftc) / ftc < 0.02, (n, ftc)
    if expected is not None:
        assert spec.config.width == expected
    w = spec.config.width
    for other in (w - 1, w + 1):  # the nearest width
        c = registry.entry("siren").spec(replace(options, width=other)).config.parameter_count()
        assert abs(c - ftc) >= abs(n - ftc)
    assert spec.label == f"SIREN (matched, w={w})" and spec.config.depth == depth
    assert n == sum(p.numel() for p in CoordinateNet(spec.config).parameters())
    assert matched_width(530179, 3) == 513


# ---------------------------------------------------------------- command line

def test_encoding_options_reach_the_models_and_refuse_the_wrong_ones(tmp_path, small_image,
                                                                     capsys) -> None:
    import argparse

    from inr_studio.cli.common import add_model_options, spec_from_args

    parser = argparse.ArgumentParser()
    add_model_options(parser)
    spec = spec_from_args(parser.parse_args(["--model", "pe-relu", "--pe", "4"]), 64, 96)
    assert spec.config.pe_levels == 4 and spec.config.activation == "relu"
    spec = spec_from_args(parser.parse_args(["--model", "pe-siren", "--pe-gauss"]), 64, 96)
    assert (spec.config.encoding, spec.config.pe_sigma, spec.config.pe_features) == \
        ("gauss", 5.0, 256)
    spec = spec_from_args(parser.parse_args(["--model", "pe-siren", "--pe-gauss", "2.5",
                                             "--pe-features", "32", "--seed", "9"]), 64, 96)
    assert (spec.config.pe_sigma, spec.config.pe_features, spec.config.pe_seed) == (2.5, 32, 9)
    spec = spec_from_args(parser.parse_args(["--model", "eoren", "--eoren-pixel-weight", "0.5",
                                             "--eoren-colour-steps", "7"]), 64, 96)
    assert [p.objective for p in spec.phases] == ["gradients", "colour"]
    for argv, message in [
        (["--model", "siren", "--pe", "4"], "only applies to the pe-relu or pe-siren"),
        (["--model", "pe-relu", "--pe", "4", "--pe-gauss"], "give one of them"),
        (["--model", "pe-relu", "--pe", "0"], "1..16"),
        (["--model", "pe-relu", "--pe-features", "8"], "applies to --pe-gauss"),
        (["--model", "pe-relu", "--pe-gauss", "-1"], "positive"),
        (["--model", "ftc", "--eoren-colour-steps", "5"], "only applies to the eoren"),
        (["--model", "eoren", "--eoren-pixel-weight", "nan"], "0 or more"),
    ]:
        with pytest.raises(OptionError, match=message):
            spec_from_args(parser.parse_args(argv), 64, 96)
    img = tmp_path / "a.png"
    from PIL import Image

    Image.fromarray((small_image[:12, :16] * 255).astype(np.uint8)).save(img)
    rc = main(["bench", "--images", str(img), "--models", "siren,ftc", "--pe", "3",
               "--csv", str(tmp_path / "b.csv")])
    assert rc == 2 and "--pe only applies" in capsys.readouterr().err


def test_bench_and_fit_accept_every_new_model(tmp_path, small_image, capsys) -> None:
    from PIL import Image

    img = tmp_path / "a.png"
    Image.fromarray((small_image[:12, :16] * 255).astype(np.uint8)).save(img)
    path = tmp_path / "b.csv"
    rc = main(["bench", "--images", str(img), "--models", ",".join(NEW_MODELS), "--iters", "3",
               "--width", "8", "--lr", "1e-3", "--csv", str(path), "--markdown", "--device",
               "cpu"])
    out = capsys.readouterr().out
    assert rc == 0
    import csv

    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["model"] for r in rows] == list(NEW_MODELS)
    assert all(np.isfinite(float(r["edge_psnr"])) for r in rows)
    assert "| EoREN |" in out and "| SIREN (matched) |" in out and "edge PSNR" in out
    for model in ("eoren", "pe-relu"):
        rc = main(["fit", str(img), "--model", model, "--iters", "3", "--width", "8",
                   "--lr", "1e-3", "--out", str(tmp_path / model), "--quiet", "--device", "cpu"])
        assert rc == 0, capsys.readouterr().err


def test_rd_takes_every_registry_model() -> None:
    from inr_studio.studies.rd import RdModel

    for key in registry.REGISTRY:
        assert RdModel.parse(f"{key}:3x64@20") == RdModel(key, 3, 64, 20)
    with pytest.raises(OptionError, match="pe-relu"):
        RdModel.parse("nerf:3x64")


# ---------------------------------------------------------------- edge measure

def test_edge_psnr_sees_blur_not_a_constant_shift(small_image) -> None:
    from skimage.filters import gaussian

    ref = 0.2 + 0.6 * small_image  # away from the clipping at 0 and 1
    assert edge_psnr(ref, ref) == math.inf
    assert edge_psnr(ref + 0.05, ref) > 100  # gradients do not see a constant (float rounding)
    soft = gaussian(ref, sigma=1.0, channel_axis=2)
    softer = gaussian(ref, sigma=2.0, channel_axis=2)
    assert np.isfinite(edge_psnr(soft, ref)) and edge_psnr(softer, ref) < edge_psnr(soft, ref)
    flat = np.full((8, 8, 3), 0.5)
    noisy = flat.copy()
    noisy[1:-1, 1:-1] += np.random.default_rng(0).normal(0, 0.05, (6, 6, 3))
    assert np.isnan(edge_psnr(noisy, flat))  # a flat target has no edges: no peak


# ---------------------------------------------------------------- .sinr

@pytest.mark.parametrize("key", NEW_MODELS)
def test_a_sinr_of_every_new_model_decodes_to_the_image_it_renders(small_image, key) -> None:
    from inr_studio.codec import CodecOptions, decode_bytes, encode_model
    from inr_studio.engine.fit import fit_side_by_side

    pixels = resize_image(small_image, 12, 16)
    options = ModelOptions(width=8, image_size=(12, 16), pe_sigma=3.0 if key == "pe-relu"
                           else None, pe_features=16, pe_seed=5)
    spec = registry.entry(key).spec(options)
    run, _, _ = fit_side_by_side(pixels, (spec,), TrainConfig(iters=20, lr=1e-3, device="cpu"))
    model = run.trainers[key].model
    decoded = decode_bytes(encode_model(model, 12, 16, None, CodecOptions(plain=True)))
    assert decoded.config == model.config
    assert psnr(decoded.render(), render(model, 12, 16)) > 40
