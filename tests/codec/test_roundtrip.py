"""Encode → decode: the same network (to quantisation error), the PSNR it promises, HS-LoE with
its segmentation map at source size and 2×, a byte budget that adds up, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from inr_studio.checkpoint import save_checkpoint
from inr_studio.cli.main import main
from inr_studio.codec import (
    CodecOptions,
    bpp,
    decode_bytes,
    encode_model,
    encode_with_report,
    read_sinr,
    write_sinr,
)
from inr_studio.codec.dictionary import dictionary
from inr_studio.errors import OptionError, SinrFormatError
from inr_studio.metrics import psnr
from inr_studio.models import CoordinateNet, make_model_config
from inr_studio.problem import FitProblem
from inr_studio.render import render
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.fit import fit

#: Stated tolerance: a 16-bit plain file renders within this many dB of the float32 network.
PLAIN16_PSNR_TOLERANCE = 0.05


def _trained(image, kind: str, width: int):
    cfg = make_model_config(kind, width=width, depth=2, tile_scale=1 / 12)
    problem = FitProblem.create(image, cfg)
    trainer, last = fit(problem, TrainConfig(iters=60, lr=1e-3, device="cpu"))
    return trainer.model, problem, last.psnr


@pytest.fixture(scope="module")
def ftc(small_image):
    return _trained(small_image, "ftc", 64)  # width ≥ 50: columns / rows vectors


@pytest.fixture(scope="module")
def hs(small_image):
    return _trained(small_image, "hs", 20)  # width < 50: flattened matrices


def _weights(model) -> list[np.ndarray]:
    return [p.detach().double().numpy() for p in model.parameters()]


@pytest.mark.parametrize("net", ["ftc", "hs"])
def test_plain_round_trip_is_the_same_network_to_quantisation_error(net, request) -> None:
    model, problem, psnr_float = request.getfixturevalue(net)
    h, w = problem.height, problem.width
    data = encode_model(model, h, w, problem.class_map, CodecOptions(plain=True))
    f = decode_bytes(data)
    assert f.model.config == model.config and (f.height, f.width) == (h, w)
    entries = iter(f.header["tensors"])
    for a_layer, b_layer in zip(model.layers, f.model.layers):
        for e in range(a_layer.experts):
            t = next(entries)
            step = (t["hi"] - t["lo"]) / 65535
            diff = np.abs(a_layer.weight[e].detach().double().numpy() - b_layer.weight[e].detach().double().numpy())
            assert diff.max() <= step / 2 + 1e-7  # half a quantiser step (+ float32 storage)
        t = next(entries)
        diff = np.abs(a_layer.bias.detach().double().numpy() - b_layer.bias.detach().double().numpy())
        assert diff.max() <= (t["hi"] - t["lo"]) / 65535 / 2 + 1e-7
    assert abs(psnr(f.render(), problem.pixels) - psnr_float) <= PLAIN16_PSNR_TOLERANCE
    if net == "hs":
        np.testing.assert_array_equal(f.class_map, problem.class_map)


@pytest.mark.parametrize("net", ["ftc", "hs"])
def test_sinr_round_trip_decodes_the_network_the_encoder_coded(net, request) -> None:
    """The decoder rebuilds A·x̂ (x̂: the quantised code) exactly as the encoder meant it: its
    weight error is the encoder's sparse-code error, and larger s gives smaller error."""
    model, problem, psnr_float = request.getfixturevalue(net)
    h, w = problem.height, problem.width
    errors = []
    for s in ((4, 12) if net == "ftc" else (20, 60)):
        opts = CodecOptions(sparsity=s, target_error=None, k2=256 if net == "ftc" else 1024)
        data, report = encode_with_report(model, h, w, problem.class_map, opts)
        f = decode_bytes(data)
        coded = [t for t in report.tensors if t.s]
        assert coded and all(2 * t.s < t.vec_len for t in coded)  # the paper's 2s < k
        slots = [(li, e) for li, layer in enumerate(model.layers) for e in range(layer.experts)]
        weights = [t for t in report.tensors if "weight" in t.name]
        for (li, e), t in zip(slots, weights):
            a = model.layers[li].weight[e].detach().double().numpy()
            b = f.model.layers[li].weight[e].detach().double().numpy()
            rel = np.linalg.norm(a - b) / np.linalg.norm(a)
            assert abs(rel - t.rel_error) < 2e-4, t  # only 16-bit quantisation in between
        errors.append(np.mean([t.rel_error for t in coded]))
        rec = f.render()
        assert rec.shape == problem.pixels.shape and np.isfinite(rec).all()
        assert psnr(rec, problem.pixels) < psnr_float + 0.5  # coding does not add information
    assert errors[1] < errors[0]


def test_sparse_weights_survive_sinr_coding_within_the_plain_tolerance() -> None:
    """A network whose weight vectors ARE sparse in the dictionary: SINR codes it to
    quantisation error, so its rendering keeps the PSNR (the case SINR's claim assumes)."""
    cfg = make_model_config("ftc", width=64, depth=2, tile_scale=0.1)
    model = CoordinateNet(cfg, seed=1)
    rng = np.random.default_rng(0)
    a = dictionary(64, 512, seed=0)
    with torch.no_grad():
        for layer in model.layers:
            for e in range(layer.experts):
                wt = layer.weight[e]
                cols = min(wt.shape[1], wt.shape[0])
                sup = np.stack([rng.choice(512, 4, replace=False) for _ in range(cols)])
                x = rng.standard_normal((cols, 4)) * float(wt.abs().mean())
                vecs = np.einsum("vsm,vs->vm", a.T[sup], x)
                wt.copy_(torch.from_numpy(vecs.T if wt.shape[0] >= wt.shape[1] else vecs).float())
    data = encode_model(model, 24, 32, None, CodecOptions(sparsity=4, target_error=None, k2=512))
    f = decode_bytes(data)
    ref = render(model, 24, 32)
    assert psnr(f.render(), ref) > 60
    assert len(data) < len(encode_model(model, 24, 32, None, CodecOptions(plain=True))) / 3


def test_hs_decodes_with_its_segmentation_at_source_size_and_twice_it(hs) -> None:
    model, problem, _ = hs
    h, w = problem.height, problem.width
    f = decode_bytes(encode_model(model, h, w, problem.class_map, CodecOptions(plain=True)))
    np.testing.assert_array_equal(f.class_map, problem.class_map)
    big = f.render(2 * h, 2 * w)
    assert big.shape == (2 * h, 2 * w, 3)
    ref = render(model, 2 * h, 2 * w, problem.class_map)
    assert psnr(big, ref) > 50
    # Nearest source class at 2×: each source pixel's class covers a 2×2 block.
    from inr_studio.problem import expert_id_maps

    seg = expert_id_maps(f.model.config, 2 * h, 2 * w, f.class_map)[model.config.seg_layer - 1]
    np.testing.assert_array_equal(seg, np.kron(problem.class_map, np.ones((2, 2), dtype=np.uint8)))


def test_default_options_keep_quality_and_the_budget_adds_up(ftc, tmp_path) -> None:
    model, problem, psnr_float = ftc
    h, w = problem.height, problem.width
    data = encode_model(model, h, w, None, CodecOptions())
    path = tmp_path / "a.sinr"
    write_sinr(path, data)
    f = read_sinr(path)
    assert sum(f.sections.values()) == path.stat().st_size == len(data)
    assert f.bpp == pytest.approx(bpp(len(data), h, w)) == pytest.approx(8 * len(data) / (h * w))
    assert psnr(f.render(), problem.pixels) >= psnr_float - 1.0
    write_sinr(path, data[:])  # replacing a file leaves no temporary behind
    assert [p.name for p in tmp_path.iterdir()] == ["a.sinr"]


def test_options_are_checked() -> None:
    for bad in (dict(bits=0), dict(bits=17), dict(k2=1), dict(k2=70000), dict(sparsity=0),
                dict(target_error=None), dict(target_error=1.5), dict(seed=-1)):
        with pytest.raises(OptionError):
            CodecOptions(**bad)
    assert CodecOptions(plain=True, target_error=None).plain
    model = CoordinateNet(make_model_config("hs", width=8, depth=1, tile_scale=0.1))
    with pytest.raises(OptionError, match="segmentation"):
        encode_model(model, 4, 4, None, CodecOptions(plain=True))


def test_cli_encode_info_decode(tmp_path, hs, capsys) -> None:
    model, problem, _ = hs
    h, w = problem.height, problem.width
    ckpt = tmp_path / "net.safetensors"
    save_checkpoint(ckpt, model, h, w, problem.class_map)
    out = tmp_path / "net.sinr"
    assert main(["encode", str(ckpt), "-o", str(out), "--sparsity", "30", "--k2", "256"]) == 0
    assert "bpp" in capsys.readouterr().out
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    total = [line for line in text.splitlines() if line.startswith("total")][0]
    assert int(total.split()[1].replace(",", "")) == out.stat().st_size
    assert main(["info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert sum(info["sections"].values()) == info["file_bytes"] == out.stat().st_size
    png = tmp_path / "big.png"
    assert main(["decode", str(out), "-o", str(png), "--size", f"{2 * w}x{2 * h}"]) == 0
    from PIL import Image

    assert Image.open(png).size == (2 * w, 2 * h)
    assert main(["decode", str(out), "-o", str(tmp_path / "half.png"), "--scale", "0.5"]) == 0
    assert Image.open(tmp_path / "half.png").size == (w // 2, h // 2)
    assert main(["decode", str(png), "-o", str(tmp_path / "x.png")]) == 2
    assert "not a .sinr file" in capsys.readouterr().err
    assert main(["encode", str(ckpt), "-o", str(out), "--sparsity", "3", "--plain"]) == 2
    assert main(["decode", str(out), "-o", str(tmp_path / "x.png"), "--size", "12by5"]) == 2


def test_cli_encode_fits_an_image_first(tmp_path, small_image, capsys) -> None:
    from inr_studio.imaging import save_png

    img = tmp_path / "img.png"
    save_png(img, small_image[:24, :32])
    out = tmp_path / "img.sinr"
    rc = main(["encode", str(img), "-o", str(out), "--model", "siren", "--width", "16",
               "--depth", "1", "--iters", "20", "--lr", "1e-3", "--plain", "--bits", "12",
               "--quiet"])
    assert rc == 0
    line = capsys.readouterr().out
    assert "before coding" in line and "plain 12-bit" in line
    f = read_sinr(out)
    assert (f.height, f.width) == (24, 32) and f.header["codec"]["value_bits"] == 12
    with pytest.raises(SinrFormatError):
        read_sinr(tmp_path / "missing.sinr")


@pytest.mark.parametrize("options", [CodecOptions(plain=True),
                                     CodecOptions(sparsity=20, target_error=None, k2=1024)],
                         ids=["plain", "sinr"])
def test_a_network_trained_on_each_device_codes_as_its_cpu_copy(small_image, device,
                                                                options) -> None:
    """A network trained on any device writes the bytes its CPU copy writes, and the file decodes
    on the CPU to the PSNR the encoder promised."""
    cfg = make_model_config("hs", width=20, depth=2, tile_scale=1 / 12)
    problem = FitProblem.create(small_image, cfg)
    trainer, _ = fit(problem, TrainConfig(iters=20, lr=1e-3, device=device))
    h, w = problem.height, problem.width
    data, report = encode_with_report(trainer.model, h, w, problem.class_map, options)
    on_cpu = CoordinateNet(cfg)
    on_cpu.load_state_dict({k: v.cpu() for k, v in trainer.model.state_dict().items()})
    assert data == encode_model(on_cpu, h, w, problem.class_map, options)
    decoded = decode_bytes(data)
    assert next(decoded.model.parameters()).device.type == "cpu"
    trained, coded = psnr(trainer.reconstruct(), problem.pixels), psnr(decoded.render(),
                                                                         problem.pixels)
    if options.plain:
        assert abs(coded - trained) <= PLAIN16_PSNR_TOLERANCE
    else:
        assert report.sparse_tensors > 0 and np.isfinite(coded) and coded < trained + 0.5
