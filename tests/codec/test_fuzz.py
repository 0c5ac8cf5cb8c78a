"""Fuzzing the decoder: thousands of mutated .sinr files, each decodes or is one SinrFormatError.

Half the mutants are re-sealed with a fresh checksum, so the parser behind the CRC is what gets
exercised. ``benchmarks/fuzz_sinr.py`` runs the same property for as long as one likes.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inr_studio.codec import CodecOptions, decode_bytes, encode_model, encode_with_report
from inr_studio.errors import SinrFormatError
from inr_studio.models import CoordinateNet, make_model_config
from inr_studio.thumbmap import ThumbnailMap

from sinr_files import noisy_siren, reseal

EXAMPLES = 1500  # per test; two tests: 3,000 mutants


def latent_seed(seed: int = 0) -> bytes:
    """A version 3 latent-grid file of an 8×10 picture: random integer latents, its ARM and
    synthesis as initialised (the encoder's step search and both coded sections run)."""
    from inr_studio.codec.latent_file import encode_latent_model
    from inr_studio.models.latent_config import make_latent_config
    from inr_studio.models.latent_net import LatentNet

    net = LatentNet(make_latent_config(8, 10), seed=seed)
    rng = np.random.default_rng(seed)
    net.set_latents([rng.integers(-3, 4, shape) for shape in net.config.grid_shapes()])
    image = rng.random((8, 10, 3)).astype(np.float32)
    return encode_latent_model(net, image)[0]


def _files() -> list[bytes]:
    """Version 1 seeds, version 2 seeds with entropy-coded sections and each class-map
    coding (context, thumbnail, thumbnail labels), and version 3 seeds: a latent-grid file
    and a coordinate network after its family byte."""
    torch.set_num_threads(1)
    out = []
    cmap = (np.arange(8 * 10).reshape(8, 10) * 7 % 3).astype(np.uint8)
    hs = CoordinateNet(make_model_config("hs", width=6, depth=1, seg_classes=3, tile_scale=0.1), 1)
    v1 = {"version": 1, "entropy": False}
    out.append(encode_model(hs, 8, 10, cmap, CodecOptions(sparsity=3, target_error=None, k2=64,
                                                          **v1)))
    ftc = CoordinateNet(make_model_config("ftc", width=4, depth=1, tile_scale=0.1), 2)
    out.append(encode_model(ftc, 8, 10, None, CodecOptions(plain=True, bits=10, **v1)))
    out.append(encode_model(hs, 8, 10, cmap, CodecOptions(sparsity=3, target_error=None, k2=64,
                                                          class_map_coding="context")))
    thumb = ThumbnailMap(np.array([[10, 200, 90], [250, 30, 120]], dtype=np.uint8), (50, 150), 8, 10)
    for coding in ("thumbnail", "thumbnail-labels"):
        out.append(encode_model(hs, 8, 10, thumb, CodecOptions(plain=True, bits=7,
                                                               class_map_coding=coding)))
    siren = noisy_siren(12, 1, seed=3)
    data, report = encode_with_report(siren, 8, 10, None, CodecOptions(plain=True, bits=12))
    assert report.codings["values"] == "entropy"
    out.append(data)
    out.append(latent_seed())
    out.append(encode_model(ftc, 8, 10, None, CodecOptions(plain=True, bits=10, version=3)))
    return out


FILES = _files()

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 20), st.integers(0, 7)),
    st.tuples(st.just("set"), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("cut"), st.integers(0, 1 << 20), st.integers(1, 64)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("truncate"), st.integers(0, 1 << 20), st.just(0)),
)


def mutate(data: bytes, ops, sealed: bool) -> bytes:
    b = bytearray(data)
    for kind, pos, arg in ops:
        if not b:
            break
        p = pos % len(b)
        if kind == "flip":
            b[p] ^= 1 << arg
        elif kind == "set":
            b[p:p + len(arg)] = arg
        elif kind == "cut":
            del b[p:p + arg]
        elif kind == "insert":
            b[p:p] = arg
        else:
            del b[p:]
    return reseal(bytes(b)) if sealed and len(b) >= 4 else bytes(b)


def _check(data: bytes) -> None:
    try:
        f = decode_bytes(data)
    except SinrFormatError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert sum(f.sections.values()) == len(data)  # a mutant that still decodes is a whole file
    assert f.render(3, 5).shape == (3, 5, f.model.config.out_features)  # and it renders


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(FILES) - 1), ops=st.lists(mutation, min_size=1, max_size=4))
def test_raw_mutants_never_crash(which, ops) -> None:
    _check(mutate(FILES[which], ops, sealed=False))


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(FILES) - 1), ops=st.lists(mutation, min_size=1, max_size=4))
def test_resealed_mutants_never_crash(which, ops) -> None:
    _check(mutate(FILES[which], ops, sealed=True))
