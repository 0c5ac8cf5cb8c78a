"""Bad .sinr files: each is one SinrFormatError with a sentence; memory stays bounded.

Most cases re-seal the file (a fresh checksum) so that the check under test, not the CRC, is
what catches it. These are version 1 files (every reader keeps opening them); the version 2
sections have their own cases in ``test_entropy_sections.py``.
"""

from __future__ import annotations

import dataclasses
import struct

import brotli
import numpy as np
import pytest

from inr_studio.codec import CodecOptions, decode_bytes, encode_model, read_sinr
from inr_studio.codec import container
from inr_studio.codec.streams import inflate
from inr_studio.errors import SinrFormatError
from inr_studio.models import CoordinateNet, make_model_config

from sinr_files import expect_error, reseal

H, W = 12, 16
V1 = {"version": 1, "entropy": False}


@pytest.fixture(scope="module")
def hs_file() -> bytes:
    model = CoordinateNet(make_model_config("hs", width=12, depth=2, tile_scale=0.1), seed=3)
    cmap = (np.arange(H * W).reshape(H, W) % 4).astype(np.uint8)
    return encode_model(model, H, W, cmap, CodecOptions(sparsity=5, target_error=None, k2=128,
                                                        **V1))


@pytest.fixture(scope="module")
def plain_file() -> bytes:
    model = CoordinateNet(make_model_config("ftc", width=8, depth=1, tile_scale=0.1), seed=4)
    return encode_model(model, H, W, None, CodecOptions(plain=True, **V1))


def parts(data: bytes):
    """(header, class map raw, {stream: raw}) of a valid file."""
    v, n = container.read_preamble(data)
    h = container.read_header(data, v, n)
    pos = container.PREAMBLE.size + n
    raw = {}
    for name in ("class_map",) + container.STREAMS:
        r, c = getattr(h.lengths, name)
        raw[name] = inflate(data[pos:pos + c], r, name)
        pos += c
    return h, raw


def repack(h, raw: dict, coded: dict | None = None) -> bytes:
    """A file from a header and raw streams; ``coded`` overrides a stream's coded bytes."""
    coded = dict(coded or {})
    for k, v in raw.items():
        coded.setdefault(k, brotli.compress(v) if v else b"")
    lengths = container.Lengths(h.lengths.class_map_method,
                        *((len(raw[k]), len(coded[k])) for k in ("class_map",) + container.STREAMS))
    h = dataclasses.replace(h, lengths=lengths)
    return container.pack_file(h, coded["class_map"], {k: coded[k] for k in container.STREAMS})


def group_offset(data: bytes, group: str) -> int:
    h = container.read_header(data, *container.read_preamble(data))
    pos = container.PREAMBLE.size
    for name, blob in container.header_groups(h).items():
        if name == group:
            return pos
        pos += len(blob)
    raise KeyError(group)


def test_the_fixtures_are_valid(hs_file, plain_file) -> None:
    assert decode_bytes(hs_file).class_map is not None
    assert decode_bytes(plain_file).class_map is None
    h, raw = parts(hs_file)
    assert decode_bytes(repack(h, raw)).header == decode_bytes(hs_file).header  # helpers work


def test_not_a_sinr_file(hs_file, tmp_path) -> None:
    expect_error(b"", "not a .sinr")
    expect_error(b"\x89PNG\r\n\x1a\n" + bytes(40), "not a .sinr")
    expect_error(b"GIF89a", "not a .sinr")
    expect_error(b"X" + hs_file[1:], "not a .sinr")
    with pytest.raises(SinrFormatError, match="no such"):
        read_sinr(tmp_path / "absent.sinr")
    with pytest.raises(SinrFormatError, match="no such"):
        read_sinr(tmp_path)


def test_truncated_anywhere(hs_file) -> None:
    cuts = sorted(set(range(60)) | set(range(60, len(hs_file), 13)) | {len(hs_file) - 1})
    for n in cuts:
        msg = expect_error(hs_file[:n])
        assert any(w in msg for w in ("truncated", "not a .sinr", "checksum", "ends inside")), msg
    expect_error(hs_file[:-1], "truncated")


def test_trailing_bytes(plain_file) -> None:
    expect_error(plain_file + b"\0\0\0", "after its declared end")


def test_every_bit_flip_is_caught(plain_file, hs_file) -> None:
    for data in (plain_file, hs_file):
        for pos in range(0, len(data), 3):
            flipped = bytearray(data)
            flipped[pos] ^= 1 << (pos % 8)
            expect_error(bytes(flipped))


def test_checksum_mismatch_names_itself(plain_file) -> None:
    data = bytearray(plain_file)
    data[-10] ^= 0xFF  # inside the payload
    expect_error(bytes(data), "checksum")


def test_future_and_impossible_versions(hs_file) -> None:
    for version, fragment in ((4, "version 4"), (999, "update inr-studio"), (0, "version 0")):
        data = bytearray(hs_file)
        struct.pack_into("<H", data, 8, version)
        expect_error(reseal(bytes(data)), fragment)


def test_absurd_lengths_are_refused_before_allocating(hs_file, plain_file) -> None:
    off = group_offset(hs_file, "lengths")
    for field in range(1, 9):  # every (raw, coded) length
        data = bytearray(hs_file)
        struct.pack_into("<I", data, off + 1 + 4 * (field - 1), 0xFFFFFFF0)
        expect_error(reseal(bytes(data)), peak_mb=2)
    img = group_offset(plain_file, "image")
    for hw in ((0xFFFFFFFF, 0xFFFFFFFF), (0, 16), (100000, 100000)):
        data = bytearray(plain_file)
        struct.pack_into("<II", data, img, *hw)
        expect_error(reseal(bytes(data)), "pixels", peak_mb=2)
    model = group_offset(plain_file, "model")
    data = bytearray(plain_file)
    struct.pack_into("<H", data, model + 1, 4096)  # width 4096: parameters past the limit
    expect_error(reseal(bytes(data)), peak_mb=2)
    data = bytearray(plain_file)
    struct.pack_into("<H", data, 10, 0xFFFF)  # header length
    expect_error(reseal(bytes(data)), peak_mb=2)
    table = group_offset(plain_file, "tensor_table")
    data = bytearray(plain_file)
    struct.pack_into("<H", data, table, 0xFFFF)  # tensor count
    expect_error(reseal(bytes(data)), "tensor", peak_mb=2)


def test_a_parameter_limit_guards_the_model() -> None:
    model = CoordinateNet(make_model_config("ftc", width=8, depth=2, tile_scale=0.1))
    h, raw = parts(encode_model(model, H, W, None, CodecOptions(plain=True, **V1)))
    big = make_model_config("ftc", width=4096, depth=2, tile_scale=0.1)  # 67 M parameters
    expect_error(repack(dataclasses.replace(h, config=big), raw), "parameters", peak_mb=2)


def test_brotli_bomb_stops_at_the_declared_size(plain_file) -> None:
    h, raw = parts(plain_file)
    bomb = brotli.compress(bytes(64 << 20), quality=5)  # 64 MiB of zeros in a few hundred bytes
    assert len(bomb) < 4096
    expect_error(repack(h, raw, {"values": bomb}), "inflates past", peak_mb=4)
    expect_error(repack(h, raw, {"values": brotli.compress(raw["values"][:-5])}), "declares")
    expect_error(repack(h, raw, {"biases": brotli.compress(raw["biases"])[:-3]}))
    expect_error(repack(h, raw, {"biases": b"\xff" * 20}), "damaged")


def test_semantic_damage_with_a_valid_checksum(hs_file) -> None:
    h, raw = parts(hs_file)
    cm = bytearray(raw["class_map"])
    if h.lengths.class_map_method == 1:
        cm[0] = 9
    else:
        cm[0] = 0xFF
    h5 = dataclasses.replace(h, config=dataclasses.replace(
        h.config, segmentation=dataclasses.replace(h.config.segmentation, classes=3)))
    expect_error(repack(h5, {**raw, "class_map": bytes(cm)}), "class")
    idx = bytearray(raw["indices"])
    idx[0] = 0xFF  # a gap of ≥ 65280 on a dictionary of 128 atoms
    expect_error(repack(h, {**raw, "indices": bytes(idx)}), "beyond k2")
    wrong = dataclasses.replace(h, codec=dataclasses.replace(h.codec, fingerprint=12345))
    expect_error(repack(wrong, raw), "generator")
    e0 = dataclasses.replace(h.tensors[0], lo=float("nan"))
    expect_error(repack(dataclasses.replace(h, tensors=(e0,) + h.tensors[1:]), raw), "range")
    e0 = dataclasses.replace(h.tensors[0], s=200)
    expect_error(repack(dataclasses.replace(h, tensors=(e0,) + h.tensors[1:]), raw))
    no_map = dataclasses.replace(h, lengths=dataclasses.replace(h.lengths, class_map_method=0))
    expect_error(repack(no_map, {**raw, "class_map": b""}), "segmentation map")
    other = make_model_config("ftc", width=12, depth=2, tile_scale=0.1)
    expect_error(repack(dataclasses.replace(h, config=other), raw), "segmentation")
    plain = dataclasses.replace(h, codec=dataclasses.replace(h.codec, mode=container.MODE_PLAIN))
    expect_error(repack(plain, raw), "plain")
    value = dataclasses.replace(h, image=dataclasses.replace(h.image, value_lo=0.0))
    expect_error(repack(value, raw), "value range")


def test_an_omega0_that_breaks_the_network_init_is_refused(plain_file) -> None:
    """Found by benchmarks/fuzz_sinr.py: ω0 = 1e-309 passed the model check and made the
    SIREN init overflow (a RuntimeError from torch). ModelConfig.validate now refuses it."""
    data = bytearray(plain_file)
    struct.pack_into("<d", data, group_offset(plain_file, "model") + 4, 1.39065e-309)
    expect_error(reseal(bytes(data)), "omega0")
