"""The header declared once: version 1 bytes unchanged, version 2 fields round-trip, bounds hold."""

from __future__ import annotations

import dataclasses
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

from inr_studio.codec import CodecOptions, decode_bytes, encode_model, encode_with_report
from inr_studio.codec import container
from inr_studio.codec import header
from inr_studio.codec.layout import tensor_slots
from inr_studio.errors import OptionError, SinrFormatError
from inr_studio.models import CoordinateNet, make_model_config

from paths import DATA, REPO

V1 = {"version": 1, "entropy": False}


def _cmap16() -> np.ndarray:
    return ((np.arange(256).reshape(16, 16) // 5) % 3).astype(np.uint8)


# The networks and options of tests/data/make_v1_fixtures.py (run at commit 70213dc).
FIXTURES = {
    "v1_siren_2x8_plain.sinr": (make_model_config("siren", width=8, depth=2), 0, None,
                                dict(plain=True, bits=12)),
    "v1_siren_2x8_sinr.sinr": (make_model_config("siren", width=8, depth=2), 0, None,
                               dict(sparsity=5, target_error=None, k2=256, bits=10)),
    "v1_hs_1x6_sinr.sinr": (make_model_config("hs", width=6, depth=1, seg_classes=3,
                                              tile_scale=0.1), 1, _cmap16(),
                            dict(sparsity=3, target_error=None, k2=64)),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_version_1_files_are_written_byte_for_byte_as_before(name) -> None:
    config, seed, cmap, opts = FIXTURES[name]
    reference = (DATA / name).read_bytes()
    data = encode_model(CoordinateNet(config, seed), 16, 16, cmap, CodecOptions(**opts, **V1))
    assert data == reference
    old = decode_bytes(reference)
    assert old.header["format_version"] == 1
    new = decode_bytes(encode_model(CoordinateNet(config, seed), 16, 16, cmap, CodecOptions(**opts)))
    assert new.header["format_version"] == 2
    np.testing.assert_array_equal(old.render(), new.render())  # same quantiser, same network


def test_every_field_of_the_file_is_declared_in_the_header_module() -> None:
    """The byte budget of ``info`` is the declared groups' sizes, nothing hand-counted."""
    config, seed, cmap, opts = FIXTURES["v1_hs_1x6_sinr.sinr"]
    data = (DATA / "v1_hs_1x6_sinr.sinr").read_bytes()
    h = container.read_header(data, *container.read_preamble(data))
    groups = container.header_groups(h)
    assert len(groups["image"]) == header.IMAGE.size(1) == 17
    assert len(groups["codec"]) == header.CODEC.size(1) == 22 and header.CODEC.size(2) == 20
    assert len(groups["lengths"]) == header.LENGTHS_V1.size(1) == 33
    n = len(tensor_slots(config))
    assert header.TENSOR.size(1) == 14
    assert len(groups["tensor_table"]) == 2 + n * header.TENSOR.size(1)
    assert header.TENSOR.size(2) == 15 and header.SECTIONS_V2.size(2) == 1 + 4 * 9


NEW_MODELS = [
    dict(kind="pe-siren", encoding="nerf", pe_levels=4),
    dict(kind="pe-relu", activation="relu", encoding="gauss", pe_features=8, pe_sigma=5.0,
         pe_seed=7),
    dict(kind="eoren", gradient_fit=True),
    dict(kind="siren-matched"),
]


@pytest.mark.parametrize("extra", NEW_MODELS, ids=lambda e: e["kind"])
def test_version_2_carries_the_new_model_fields(extra) -> None:
    config = dataclasses.replace(make_model_config("siren", width=16, depth=2), **extra)
    model = CoordinateNet(config, 0)
    data = encode_model(model, 20, 30, None, CodecOptions(plain=True, bits=12))
    f = decode_bytes(data)
    assert f.model.config == config  # built from the fields alone, no registry needed
    for a, b in zip(model.parameters(), f.model.parameters()):
        assert a.shape == b.shape
        assert float((a - b).abs().max().detach()) < 1e-3
    with pytest.raises(OptionError, match="version 2"):
        encode_model(model, 20, 30, None, CodecOptions(plain=True, **V1))


def test_a_model_name_the_registry_lacks_still_decodes() -> None:
    config = dataclasses.replace(make_model_config("siren", width=8, depth=1), kind="future-net")
    f = decode_bytes(encode_model(CoordinateNet(config, 0), 8, 8, None, CodecOptions(plain=True)))
    assert f.model.config.kind == "future-net" and f.header["model_label"] == "future-net"
    assert f.render().shape == (8, 8, 3)


def test_per_tensor_bits_are_carried_and_used() -> None:
    model = CoordinateNet(make_model_config("siren", width=16, depth=2), 0)
    n = len(tensor_slots(model.config))
    bits = (4, 16, 6, 12, 3, 16)[:n]
    data, report = encode_with_report(model, 16, 16, None, CodecOptions(plain=True, tensor_bits=bits))
    f = decode_bytes(data)
    assert tuple(t["bits"] for t in f.header["tensors"]) == bits == tuple(t.bits for t in report.tensors)
    # each tensor's decoded values lie on its own grid of 2^bits − 1 steps (f32 storage blurs
    # the 16-bit grids, so those are checked by count only)
    for t, (name, param) in zip(f.header["tensors"], _tensors(f.model)):
        assert np.unique(param).size <= 1 << t["bits"], name
        if t["bits"] <= 12:
            steps = (t["hi"] - t["lo"]) / ((1 << t["bits"]) - 1)
            q = (param.astype(np.float64) - t["lo"]) / steps
            assert np.abs(q - np.rint(q)).max() < 1e-2, name
    with pytest.raises(OptionError, match="per-tensor"):
        encode_model(model, 16, 16, None, CodecOptions(plain=True, tensor_bits=(8,) * (n + 1)))


def _tensors(model):
    for slot in tensor_slots(model.config):
        layer = model.layers[slot.layer]
        t = layer.bias if slot.role == 1 else layer.weight[slot.expert]
        yield slot.name(), t.detach().numpy().ravel()


def test_field_bounds_are_the_readers_and_the_writers() -> None:
    model = CoordinateNet(make_model_config("siren", width=8, depth=1), 0)
    data = bytearray(encode_model(model, 8, 8, None, CodecOptions(plain=True)))
    version, n = container.read_preamble(bytes(data))
    h = container.read_header(bytes(data), version, n)
    off = container.PREAMBLE.size + len(container.header_groups(h)["image"])
    # model group, version 2: kind text (u8 length + "siren"), then width u16
    struct.pack_into("<H", data, off + 1 + 5, 5000)
    body = bytes(data[:-4])
    sealed = body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)
    with pytest.raises(SinrFormatError, match="width"):
        decode_bytes(sealed)
    bad = dataclasses.replace(h, tensors=(dataclasses.replace(h.tensors[0], bits=17),) + h.tensors[1:])
    with pytest.raises(OptionError, match="bits"):
        container.header_groups(bad, check=True)


def test_info_into_a_closed_pipe_prints_no_traceback(tmp_path) -> None:
    model = CoordinateNet(make_model_config("hs", width=8, depth=2, tile_scale=0.1), 0)
    cmap = (np.arange(64 * 64).reshape(64, 64) // 700 % 4).astype(np.uint8)
    path = tmp_path / "x.sinr"
    path.write_bytes(encode_model(model, 64, 64, cmap, CodecOptions(plain=True)))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "inr_studio", "info", "--tensors", str(path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader is gone before the first line (`| head -0`)
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    out = subprocess.run(cmd, capture_output=True, env=env, timeout=60)
    assert out.returncode == 0 and b"sections:" in out.stdout
