"""The latent-grid model's ``.sinr`` (format version 3): round trip, bit-exact decoding across
thread counts and processes, the integer ARM, decoding at another size, hostile files; and
versions 1 and 2 still read and written as before."""

from __future__ import annotations

from paths import DATA, REPO
import hashlib
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch

from inr_studio.codec import CodecOptions, decode_bytes, encode_model
from inr_studio.codec import header as F
from inr_studio.codec.latent_arm import (IntArm, Wavefront, all_parameters, laplace_parameters,
                                         scale_table)
from inr_studio.codec.latent_codec import int_arm, split
from inr_studio.codec.latent_file import encode_latent_model
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.trainer import Trainer
from inr_studio.errors import SinrFormatError
from inr_studio.metrics import psnr
from inr_studio.models import CoordinateNet, make_model_config
from inr_studio.models.latent_config import context_offsets
from inr_studio.models.latent_net import LATENT_GAIN, LatentNet, mu_scale
from inr_studio.models.registry import ModelOptions, build_specs
from inr_studio.problem import FitProblem


@pytest.fixture(scope="module")
def trained(small_image):
    # additive noise: at 150 steps it is further along than soft-rounding (the default), and
    # these tests are about the file, not the training
    spec = build_specs(("latent",), ModelOptions(image_size=small_image.shape[:2],
                                                 latent_lambda=2e-3, latent_quantiser="noise"))[0]
    trainer = Trainer(FitProblem.create(small_image, spec.config), TrainConfig(iters=150, seed=3),
                      spec.phases)
    while not trainer.done:
        trainer.step()
    return trainer.model.cpu()


@pytest.fixture(scope="module")
def encoded(trained, small_image):
    return encode_latent_model(trained, small_image)


def test_round_trip_gives_the_encoders_picture(trained, small_image, encoded) -> None:
    data, report = encoded
    f = decode_bytes(data)
    assert f.header["format_version"] == 3 and f.header["family"] == "latent grids"
    assert sum(f.sections.values()) == len(data)
    assert f.bpp == pytest.approx(8 * len(data) / small_image[..., 0].size)
    picture = f.render()
    assert psnr(picture, small_image) == pytest.approx(report.psnr, abs=1e-6)
    assert report.psnr_float > 20
    for a, b in zip(f.model.latent_grids(), trained.latent_grids()):
        np.testing.assert_array_equal(a, b)  # latents are coded losslessly


def test_encoding_leaves_the_network_as_it_was(trained, small_image, encoded) -> None:
    """The encoder works on its own copy: a network still training (on its device, in training
    mode) is not moved or switched to evaluation by saving it."""
    trained.train()
    try:
        data, _ = encode_latent_model(trained, small_image)
        assert trained.training
        assert data == encoded[0]
    finally:
        trained.eval()


DECODE = """
import sys, hashlib, torch
torch.set_num_threads(int(sys.argv[2]))
from inr_studio.codec import decode_bytes
f = decode_bytes(open(sys.argv[1], 'rb').read())
print(hashlib.sha256(f.render().tobytes()).hexdigest())
"""


def test_decoding_is_bit_exact_across_threads_and_processes(encoded, tmp_path) -> None:
    data, _ = encoded
    path = tmp_path / "x.sinr"
    path.write_bytes(data)
    old = torch.get_num_threads()
    digests = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            digests.append(hashlib.sha256(decode_bytes(data).render().tobytes()).hexdigest())
    finally:
        torch.set_num_threads(old)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for threads in (1, 2):
        out = subprocess.run([sys.executable, "-c", DECODE, str(path), str(threads)], env=env,
                             capture_output=True, text=True, check=True)
        digests.append(out.stdout.strip())
    assert len(set(digests)) == 1, digests


def test_the_integer_arm_is_the_float_arm_on_the_grid(trained, encoded) -> None:
    """Quantised weights in fixed point: μ and log b within a grid step or two of the float
    ARM running the same dequantised weights."""
    _, report = encoded
    net = LatentNet(trained.config)
    from inr_studio.codec.latent_codec import _load

    arm = report.code.arm
    _load(net.arm, arm.weights, arm.biases, arm.weight_exp, arm.bias_exp)
    grids = [torch.from_numpy(g.astype(np.float32)) for g in report.code.latents]
    with torch.no_grad():
        mu_f, b_f = mu_scale(net.arm(net.contexts(grids)))
    wave = Wavefront.build(trained.config.grid_shapes(), trained.config.arm_context)
    buf = wave.buffer(report.code.latents)
    mu_i, idx = all_parameters(int_arm(arm), wave, buf, -(1 << 12), (1 << 12) - 1)
    raster = np.argsort(wave.positions)  # coding order → buffer order (raster per grid)
    order = np.argsort(np.concatenate(wave.raster))
    mu, b = laplace_parameters(mu_i[raster][order], idx[raster][order])
    assert np.abs(mu - mu_f.numpy()).max() <= 4 / 256
    assert np.abs(np.log(b) - np.log(b_f.numpy())).max() <= 4 / 256


def test_every_context_is_coded_before_the_latent_it_serves() -> None:
    shapes = ((9, 13), (5, 7))
    for c in (8, 16, 24, 40):
        wave = Wavefront.build(shapes, c)
        step_of = np.full(wave.size, -1)
        for t in range(wave.steps):
            step_of[wave.positions[wave.starts[t]:wave.starts[t + 1]]] = t
        for t in range(wave.steps):
            sel = slice(int(wave.starts[t]), int(wave.starts[t + 1]))
            ctx_steps = step_of[wave.positions[sel][:, None] + wave.relative[wave.grid[sel]]]
            assert (ctx_steps < t).all()  # padding (−1) or an earlier step
        assert len(context_offsets(c)) == c


def test_the_scale_table_is_exact_exp() -> None:
    table = scale_table()
    assert len(table) == 2561 and table[1280] == 1.0
    # correctly rounded decimal exp: within one unit in the last place of any libm's
    assert np.allclose(table, np.exp(np.arange(-1280, 1281) / 256), rtol=4.5e-16, atol=0)


def test_decoding_at_another_size(encoded, small_image) -> None:
    f = decode_bytes(encoded[0])
    big = f.render(96, 128)
    assert big.shape == (96, 128, 3) and 0 <= big.min() and big.max() <= 1
    from inr_studio.imaging import resize_image

    assert psnr(resize_image(big, *small_image.shape[:2]), small_image) > 18


# ------------------------------------------------------------------------------ hostile files
def reseal(data: bytes) -> bytes:
    return data[:-4] + struct.pack("<I", zlib.crc32(data[:-4]) & 0xFFFFFFFF)


def _expect(data: bytes, fragment: str) -> None:
    with pytest.raises(SinrFormatError) as info:
        decode_bytes(data)
    msg = str(info.value)
    assert msg and "\n" not in msg and fragment in msg, msg


def _field(data: bytes, group: str, field: str) -> int:
    """Offset of a field of the latent header (fixed-size groups up to there)."""
    pos = 12 + 17 + 1  # preamble, image, family
    for g in (F.LATENT_MODEL, F.LATENT_STEPS, F.LATENT_SECTIONS):
        for f in g.fields:
            if g.name == group and f.name == field:
                return pos
            pos += 1 + data[pos] if f.fmt == "text" else struct.calcsize("<" + f.fmt)
    raise KeyError(field)


def test_hostile_latent_files_are_refused_in_one_sentence(encoded) -> None:
    data = encoded[0]
    _expect(data[:-9], "truncated")
    bad = bytearray(data)
    struct.pack_into("<I", bad, 12, 1 << 16)  # height
    _expect(reseal(bytes(bad)), "latent grids for a")
    bad = bytearray(data)
    bad[12 + 17] = 7  # family
    _expect(reseal(bytes(bad)), "family")
    bad = bytearray(data)
    pos = _field(data, "latent model", "latent_hi")
    struct.pack_into("<h", bad, pos, struct.unpack_from("<h", data, pos - 2)[0])  # hi = lo
    _expect(reseal(bytes(bad)), "alphabet")
    bad = bytearray(data)
    bad[-8] ^= 0x10  # a word of the latents
    _expect(reseal(bytes(bad)), "latents section")
    bad = bytearray(data)
    pos = _field(data, "quantisation steps", "arm_weight_exp")
    bad[pos] = 13
    _expect(reseal(bytes(bad)), "arm_weight_exp")


# ------------------------------------------------------------------------------ older versions
def _bell() -> CoordinateNet:
    net = CoordinateNet(make_model_config("siren", width=12, depth=2), 4)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())) * 0.05)
    return net


def test_version_2_files_are_still_read_and_written_byte_for_byte() -> None:
    from inr_studio.thumbmap import ThumbnailMap

    thumb = ThumbnailMap(np.array([[10, 200, 90], [250, 30, 120]], dtype=np.uint8), (50, 150), 8, 10)
    hs = CoordinateNet(make_model_config("hs", width=6, depth=1, seg_classes=3, tile_scale=0.1), 1)
    fixtures = {
        "v2_siren_2x12_entropy.sinr": (_bell(), None, CodecOptions(plain=True, bits=12)),
        "v2_hs_1x6_thumbnail_labels.sinr": (hs, thumb, CodecOptions(
            sparsity=3, target_error=None, k2=64, class_map_coding="thumbnail-labels")),
    }
    for name, (net, cmap, options) in fixtures.items():
        reference = (DATA / name).read_bytes()
        assert encode_model(net, 8, 10, cmap, options) == reference, name
        f = decode_bytes(reference)
        assert f.header["format_version"] == 2 and f.render().shape == (8, 10, 3)
        # version 3 holds the same coordinate network after its family byte
        v3 = decode_bytes(encode_model(net, 8, 10, cmap, CodecOptions(**{
            **options.__dict__, "version": 3})))
        assert v3.header["format_version"] == 3 and v3.sections["header.family"] == 1
        np.testing.assert_array_equal(v3.render(), f.render())


def test_version_1_files_still_read() -> None:
    for path in sorted(DATA.glob("v1_*.sinr")):
        f = decode_bytes(path.read_bytes())
        assert f.header["format_version"] == 1 and f.render().shape == (16, 16, 3)


def test_latents_scale_with_the_gain() -> None:
    net = LatentNet(make_latent_config_small())
    net.set_latents([np.full(s, 3) for s in net.config.grid_shapes()])
    assert all(float(p.detach().max()) == pytest.approx(3 / LATENT_GAIN) for p in net.latents)
    assert all(int(g.max()) == 3 for g in net.latent_grids())


def make_latent_config_small():
    from inr_studio.models.latent_config import make_latent_config

    return make_latent_config(8, 10)


def test_split_follows_the_files_order() -> None:
    net = LatentNet(make_latent_config_small())
    weights, biases = split(net.arm)
    assert [tuple(w.shape) for w in weights] == [(16, 16), (16, 16), (2, 16), (2, 16)]
    assert len(biases) == 4
    arm = IntArm.from_quantised([np.zeros(w.shape, np.int64) for w in weights],
                                [np.zeros(b.shape, np.int64) for b in biases], 8, 8)
    mu, idx = arm(np.zeros((3, 16), np.int64), -4, 4)
    assert (mu == 0).all()
    np.testing.assert_allclose(scale_table()[idx], np.exp(-4.0), rtol=1e-15)
