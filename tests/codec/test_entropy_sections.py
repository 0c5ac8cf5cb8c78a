"""Version 2 sections: entropy-coded integers and the class map's context and thumbnail codings
round-trip bit-exactly, and damaged ones are refused with one sentence in bounded memory."""

from __future__ import annotations

import dataclasses
import struct

import numpy as np
import pytest
import torch

from inr_studio.codec import (
    CodecOptions,
    class_map_source,
    classmap,
    decode_bytes,
    encode_model,
    encode_with_report,
    entropy,
    roundtrip,
)
from inr_studio.codec import container
from inr_studio.codec.header import CM_CONTEXT
from inr_studio.errors import OptionError, SinrFormatError
from inr_studio.models import CoordinateNet, make_model_config
from inr_studio.problem import FitProblem
from inr_studio.render import TrainedNetwork
from inr_studio.segmentation import SegmentationConfig
from inr_studio.thumbmap import (
    ThumbnailMap,
    class_map_from_thumbnail,
    thumbnail_of,
    thumbnail_segmentation,
)
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.fit import fit

from sinr_files import expect_error, noisy_siren, reseal


def smooth_map(h: int, w: int, classes: int, seed: int = 0) -> np.ndarray:
    """A class map like a photo's: smooth luminance bands with some speckle."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    lum = 0.5 + 0.4 * np.sin(x / 7.0 + rng.uniform(0, 6)) * np.cos(y / 11.0)
    lum += 0.05 * rng.standard_normal((h, w))
    return np.clip((lum * classes).astype(int), 0, classes - 1).astype(np.uint8)


# -- entropy-coded integers -----------------------------------------------------------------------
def test_entropy_sections_round_trip_bit_exactly() -> None:
    rng = np.random.default_rng(1)
    parts = [
        (np.clip(np.rint(rng.normal(30000, 900, 5000)), 0, 65535).astype(np.uint32), 16),
        (np.zeros(0, dtype=np.uint32), 8),
        (np.clip(np.rint(rng.laplace(100, 6, 777)), 0, 255).astype(np.uint32), 8),
        (np.full(40, 5, dtype=np.uint32), 3),  # a constant tensor
        (rng.integers(0, 1 << 12, 300).astype(np.uint32), 12),  # uniform: nothing to gain
    ]
    coded = entropy.encode(parts)
    back = entropy.decode(coded, [(q.size, b) for q, b in parts], "values")
    for (q, _), r in zip(parts, back):
        np.testing.assert_array_equal(q, r)
    # the Gaussian tensor costs about its entropy, far less than its 2 bytes per integer
    assert len(entropy.encode(parts[:1])) < 0.75 * 2 * 5000


def test_a_file_takes_the_smaller_coding_per_section_and_decodes_the_same_network() -> None:
    model = CoordinateNet(make_model_config("siren", width=24, depth=2), 0)
    with torch.no_grad():  # trained weights are bell-shaped, not the uniform init
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.05)
    opts = CodecOptions(plain=True, bits=12)
    data, report = encode_with_report(model, 16, 16, None, opts)
    brotli_only = encode_model(model, 16, 16, None, dataclasses.replace(opts, entropy=False))
    assert report.codings["values"] == "entropy" and len(data) < len(brotli_only)
    a, b = decode_bytes(data), decode_bytes(brotli_only)
    assert a.header["streams"]["values"]["coding"] == "entropy"
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q)
    # SINR files: values and indices sections each choose too
    sinr = CodecOptions(sparsity=10, target_error=None, k2=512, bits=10)
    f = decode_bytes(encode_model(model, 16, 16, None, sinr))
    g = decode_bytes(encode_model(model, 16, 16, None, dataclasses.replace(sinr, entropy=False)))
    for p, q in zip(f.model.parameters(), g.model.parameters()):
        assert torch.equal(p, q)


@pytest.fixture(scope="module")
def entropy_file() -> bytes:
    model = noisy_siren(24, 2, seed=0)
    data, report = encode_with_report(model, 16, 16, None, CodecOptions(plain=True, bits=12))
    assert report.codings["values"] == "entropy"
    return data


def _header_end(h: container.Header) -> int:
    """Where the header of ``h`` ends in its file (the class map starts)."""
    return container.PREAMBLE.size + sum(len(g) for g in container.header_groups(h).values())


def _with_header(h: container.Header, rest: bytes) -> bytes:
    """A file of header ``h`` and the sections ``rest``, its checksum made to fit."""
    header = b"".join(container.header_groups(h).values())
    return reseal(container.PREAMBLE.pack(container.MAGIC, h.version, len(header)) + header + rest
                  + b"\0" * 4)


def _values_span(data: bytes) -> tuple[container.Header, int, int]:
    h = container.read_header(data, *container.read_preamble(data))
    start = _header_end(h) + h.lengths.class_map[1]
    return h, start, start + h.lengths.values[1]


def _with_values(data: bytes, new: bytes) -> bytes:
    """The file with its values section replaced (lengths and checksum made to fit)."""
    h, a, b = _values_span(data)
    h2 = dataclasses.replace(h, lengths=dataclasses.replace(h.lengths, values=(h.lengths.values[0],
                                                                               len(new))))
    return _with_header(h2, data[_header_end(h):a] + new + data[b:-4])


def test_damaged_entropy_sections_are_refused(entropy_file) -> None:
    h, a, b = _values_span(entropy_file)
    section = entropy_file[a:b]
    n_models = sum(1 for e in h.tensors if e.role == 0)
    head = 9 * n_models
    assert decode_bytes(_with_values(entropy_file, section)).height == 16  # the helper is exact
    expect_error(_with_values(entropy_file, section[:-4]))  # a word short
    expect_error(_with_values(entropy_file, section + b"\x01\x02\x03\x04"), "not the coding")
    expect_error(_with_values(entropy_file, section[:-1]), "not whole")
    expect_error(_with_values(entropy_file, section[:head - 3]))  # inside the model table
    bad_scale = bytearray(section)
    struct.pack_into("<f", bad_scale, 5, 0.0)  # first model's scale
    expect_error(_with_values(entropy_file, bytes(bad_scale)), "range")
    bad_family = bytearray(section)
    bad_family[0] = 7
    expect_error(_with_values(entropy_file, bytes(bad_family)), "family")
    nan_loc = bytearray(section)
    struct.pack_into("<f", nan_loc, 1, float("nan"))
    expect_error(_with_values(entropy_file, bytes(nan_loc)), "range")
    flipped = bytearray(entropy_file)
    flipped[a + head + 2] ^= 0x10
    expect_error(bytes(flipped), "checksum")  # not resealed: the CRC names it
    for pos in range(a + head, b, 4):  # resealed garbage words: refused or a whole network
        junk = bytearray(entropy_file)
        junk[pos] ^= 0xA5
        try:
            f = decode_bytes(reseal(bytes(junk)))
        except SinrFormatError as exc:
            assert "\n" not in str(exc)
        else:
            assert f.render(2, 2).shape == (2, 2, 3)


def test_absurd_version_2_lengths_are_refused_before_allocating(entropy_file) -> None:
    h = container.read_header(entropy_file, *container.read_preamble(entropy_file))
    off = container.PREAMBLE.size + sum(len(v) for k, v in container.header_groups(h).items()
                                if k in ("image", "model", "codec", "tensor_table"))
    for field in range(4):
        for part in (1, 5):  # raw, coded of each (coding u8, raw u32, coded u32)
            data = bytearray(entropy_file)
            struct.pack_into("<I", data, off + 1 + 9 * field + part, 0xFFFFFFF0)
            expect_error(reseal(bytes(data)), peak_mb=2)
        data = bytearray(entropy_file)
        data[off + 1 + 9 * field] = 9  # unknown coding
        expect_error(reseal(bytes(data)), "coding", peak_mb=2)


# -- the class map --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,classes", [((37, 53), 4), ((1, 40), 2), ((30, 1), 3),
                                           ((24, 24), 16), ((64, 48), 5)])
def test_the_context_coder_round_trips_bit_exactly(shape, classes) -> None:
    cmap = smooth_map(*shape, classes, seed=classes)
    coded = classmap.context_encode(cmap, classes)
    np.testing.assert_array_equal(classmap.context_decode(coded, *shape, classes), cmap)


def test_context_coding_beats_packed_brotli_on_a_smooth_map() -> None:
    cmap = smooth_map(96, 128, 4)
    method, _, coded = classmap.encode_lossless(cmap, 4)
    packed = classmap.encode_lossless(cmap, 4, allow_context=False)[2]
    assert method == CM_CONTEXT and len(coded) < len(packed)


def test_hs_files_with_a_context_coded_map(tmp_path) -> None:
    model = CoordinateNet(make_model_config("hs", width=8, depth=2, tile_scale=0.1), 2)
    cmap = smooth_map(40, 56, 4)
    data, report = encode_with_report(model, 40, 56, cmap, CodecOptions(plain=True, bits=8,
                                                                        class_map_coding="context"))
    f = decode_bytes(data)
    assert report.codings["class_map"] == "context" and f.header["class_map"]["method"] == "context"
    np.testing.assert_array_equal(f.class_map, cmap)
    h = container.read_header(data, *container.read_preamble(data))
    # damaged labels: refused, or a map that still holds valid classes
    start = _header_end(h)
    for pos in range(start, start + h.lengths.class_map[1]):
        junk = bytearray(data)
        junk[pos] ^= 0x5A
        try:
            g = decode_bytes(reseal(bytes(junk)))
        except SinrFormatError as exc:
            assert "\n" not in str(exc)
        else:
            assert g.class_map.max() < 4
    # a declared size beyond what context decoding allows is refused before decoding
    big = dataclasses.replace(h, image=dataclasses.replace(h.image, height=4000, width=4000),
                              lengths=dataclasses.replace(h.lengths, class_map=(16_000_000,
                                                                                h.lengths.class_map[1])))
    expect_error(_with_header(big, data[_header_end(h):-4]), "context", peak_mb=4)
    with pytest.raises(OptionError, match="version 1"):
        CodecOptions(plain=True, class_map_coding="context", version=1)


def _image(h: int = 48, w: int = 64) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    return np.clip(np.stack([x, 0.5 * (x + y), y ** 2], axis=-1), 0, 1).astype(np.float32)


def test_the_thumbnail_map_is_rebuilt_identically_by_encoder_and_decoder() -> None:
    pixels = _image()
    seg = thumbnail_segmentation(pixels, SegmentationConfig("multiotsu", 4), side=12)
    thumb = seg.thumb
    assert thumb.thumbnail.dtype == np.uint8 and max(thumb.thumbnail.shape) == 12
    np.testing.assert_array_equal(seg.class_map, class_map_from_thumbnail(
        thumb.thumbnail.copy(), list(thumb.thresholds), 48, 64))
    assert all(b > a for a, b in zip(thumb.thresholds, thumb.thresholds[1:]))
    assert len(np.unique(seg.class_map)) == 4
    config = make_model_config("hs", width=8, depth=2, tile_scale=0.1)
    model = CoordinateNet(config, 0)
    sizes = {}
    for coding in ("thumbnail", "thumbnail-labels", "auto"):
        data, report = encode_with_report(model, 48, 64, thumb, CodecOptions(
            plain=True, bits=8, class_map_coding=coding))
        f = decode_bytes(data)
        assert f.header["class_map"]["method"] == report.codings["class_map"]
        assert f.header["class_map"]["thresholds"] == list(thumb.thresholds)
        np.testing.assert_array_equal(f.class_map, seg.class_map)  # the map training used
        sizes[report.codings["class_map"] if coding == "auto" else coding] = f.sections["class_map"]
    assert sizes["thumbnail"] <= thumb.thumbnail.size  # Brotli or stored, never more
    assert min(sizes["thumbnail"], sizes["thumbnail-labels"]) == min(sizes.values())  # auto: smaller
    with pytest.raises(OptionError, match="thumbnail map"):
        encode_model(model, 48, 64, seg.class_map, CodecOptions(class_map_coding="thumbnail"))
    # integer nearest-neighbour: each thumbnail pixel covers a block of whole pixels
    small = np.arange(6, dtype=np.uint8).reshape(2, 3) * 40
    big = class_map_from_thumbnail(small, (30, 90, 170), 4, 6)
    np.testing.assert_array_equal(big, np.kron((small[..., None] >= [30, 90, 170]).sum(-1),
                                               np.ones((2, 2), dtype=int)))


def test_training_on_the_thumbnail_map_and_saving_it_agree() -> None:
    """A run asks for the thumbnail map in its model configuration; the engine's problem
    builds it, the file stores it, the decoder rebuilds the same map."""
    pixels = _image(32, 40)
    base = make_model_config("hs", width=16, depth=2, tile_scale=0.1)
    config = dataclasses.replace(base, segmentation=dataclasses.replace(base.segmentation,
                                                                        thumbnail=8))
    trainer, _ = fit(FitProblem.create(pixels, config), TrainConfig(iters=60, lr=1e-3, seed=0))
    problem = trainer.problem
    expected = thumbnail_segmentation(pixels, config.segmentation, side=8)
    np.testing.assert_array_equal(problem.class_map, expected.class_map)
    net = TrainedNetwork(trainer.model.cpu(), 32, 40, problem.class_map)
    rt = roundtrip(net, pixels, CodecOptions(plain=True, bits=16),
                   class_map=class_map_source(problem.segmentation))
    assert rt.decoded.header["class_map"]["method"] in ("thumbnail", "thumbnail-labels")
    np.testing.assert_array_equal(rt.decoded.class_map, problem.class_map)
    assert rt.decoded.model.config == config  # the thumbnail side comes back too
    from inr_studio.metrics import psnr
    assert abs(rt.psnr - psnr(net.render(), pixels)) < 0.05


def test_bad_thumbnail_headers_are_refused() -> None:
    pixels = _image()
    seg = thumbnail_segmentation(pixels, SegmentationConfig("equal", 3), side=10)
    model = CoordinateNet(make_model_config("hs", width=6, depth=1, seg_classes=3,
                                            tile_scale=0.1), 0)
    data = encode_model(model, 48, 64, seg.thumb, CodecOptions(plain=True, bits=8))
    h = container.read_header(data, *container.read_preamble(data))
    groups = container.header_groups(h)
    off = container.PREAMBLE.size + sum(len(v) for k, v in groups.items() if k != "thumbnail")
    swapped = bytearray(data)
    swapped[off + 4], swapped[off + 5] = swapped[off + 5], swapped[off + 4]  # thresholds
    expect_error(reseal(bytes(swapped)), "increasing")
    zero = bytearray(data)
    struct.pack_into("<H", zero, off, 0)
    expect_error(reseal(bytes(zero)), "thumb_height")
    wrong = ThumbnailMap(seg.thumb.thumbnail, seg.thumb.thresholds, 48, 64)
    assert decode_bytes(encode_model(model, 48, 64, wrong, CodecOptions(plain=True))).class_map.shape == (48, 64)
    assert thumbnail_of(pixels, 1000).shape == (48, 64)  # never larger than the image


def test_roundtrip_measures_the_file_it_returns() -> None:
    """The one encode → decode → PSNR that the rd study and the export dialog share."""
    from inr_studio.metrics import psnr

    pixels = _image(16, 20)
    model = CoordinateNet(make_model_config("siren", width=24, depth=2), 0)
    net = TrainedNetwork(model, 16, 20, None)
    for opts in (CodecOptions(plain=True, bits=8), CodecOptions(sparsity=8, target_error=None,
                                                                k2=256)):
        rt = roundtrip(net, pixels, opts)
        assert rt.file_bytes == len(rt.data) == sum(rt.decoded.sections.values())
        assert rt.bpp == pytest.approx(8 * len(rt.data) / (16 * 20))
        assert rt.psnr == pytest.approx(psnr(decode_bytes(rt.data).render(), pixels))
        sparse = sum(1 for t in rt.decoded.header["tensors"] if t["layout"] != "dense")
        assert rt.report.sparse_tensors == sparse and rt.report.weight_tensors == 3
        assert (sparse > 0) == (not opts.plain)
