"""``.sinr`` bytes → network, with every declared length checked before anything is allocated.

Order of checks (docs/format.md, "Decoding"): signature and version; header fields; the file
size the lengths add up to; the checksum; the lengths the model implies; then bounded Brotli
inflates and the rebuild. Any problem is one :class:`SinrFormatError` with a sentence.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import brotli
import numpy as np
import torch

from ..errors import OptionError, SinrFormatError
from ..imaging import MAX_PIXELS, size_ok
from ..models.network import CoordinateNet
from . import classmap, entropy
from . import container as C
from .container import (CHECKSUM, MODE_SINR, PREAMBLE, SECTIONS, STREAMS, CodecInfo, Header,
                        header_dict, header_groups)
from .dictionary import MAX_DICTIONARY_VALUES, fingerprint, reconstruct
from .header import (
    CM_BYTES,
    CM_CONTEXT,
    CM_NONE,
    CM_PACKED,
    CM_THUMB_LABELS,
    CODING_BROTLI,
    CODING_ENTROPY,
    CODING_NONE,
    CODING_STORED,
    FAMILY_LATENT,
    INDEX_BITS,
    MAX_K2,
    V1,
)
from .layout import LAYOUT_DENSE, ROLE_BIAS, TensorEntry, TensorSlot, from_vectors, tensor_slots
from .latent_file import decode_latent
from .quantise import dequantise, planes_size, split_planes
from .sinr_file import SinrFile
from .streams import unpack_bytes

#: Largest network a file may declare (parameters); a 3×1024 LoE has ~12.6 M.
MAX_PARAMETERS = 1 << 24
#: Largest file read from disk (a 16 M-parameter network at 16 bits is ~32 MB).
MAX_FILE_BYTES = 256 << 20


def read_sinr(path: str | os.PathLike) -> SinrFile:
    p = Path(path)
    if not p.is_file():
        raise SinrFormatError(f"{p}: no such .sinr file.")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SinrFormatError(f"{p.name} is {size:,} bytes, larger than any .sinr file this tool "
                              "writes.")
    try:
        return decode_bytes(p.read_bytes())
    except SinrFormatError as exc:
        raise SinrFormatError(f"{p.name}: {exc}") from exc


def decode_bytes(data: bytes) -> SinrFile:
    """Decode a whole .sinr file held in memory."""
    data = bytes(data)
    if len(data) > MAX_FILE_BYTES:
        raise SinrFormatError("the data is larger than any .sinr file this tool writes.")
    try:
        return _decode(data)
    except SinrFormatError:
        raise
    except (struct.error, ValueError, OverflowError, IndexError, OptionError, brotli.error) as exc:
        # A safety net: every check above should have caught a damaged file with its own words.
        raise SinrFormatError(f"the file is damaged ({type(exc).__name__}: {exc}).") from exc


def _decode(data: bytes) -> SinrFile:
    version, header_len = C.read_preamble(data)
    if C.read_family(data, version, header_len) == FAMILY_LATENT:
        return decode_latent(data, version, header_len)
    h = C.read_header(data, version, header_len)
    C.check_whole(data, header_len, h.lengths.coded_total())
    slots = _check_header(h)
    pos = PREAMBLE.size + header_len
    view = memoryview(data)
    coded = {}
    for name in SECTIONS:
        coded[name] = view[pos:pos + getattr(h.lengths, name)[1]]
        pos += len(coded[name])
    ints = {name: _integers(h, name, coded[name]) for name in STREAMS}
    tensors = _rebuild(h, slots, ints)
    model = CoordinateNet(h.config, seed=0)  # seeded: leaves torch's global generator alone
    with torch.no_grad():
        for slot, arr in tensors.items():
            layer = model.layers[slot.layer]
            target = layer.bias if slot.role == ROLE_BIAS else layer.weight[slot.expert]
            target.copy_(torch.from_numpy(arr.astype(np.float32)))
    model.eval()
    class_map = None
    method = h.lengths.class_map_method
    if method != CM_NONE:
        raw_len = h.lengths.class_map[0]
        raw = b"" if method in (CM_CONTEXT, CM_THUMB_LABELS) else unpack_bytes(
            coded["class_map"], h.lengths.coding("class_map"), raw_len, "class map")
        class_map = classmap.decode(method, raw, coded["class_map"], h.image.height,
                                    h.image.width, h.config.segmentation.classes, h.thumbnail)
    sections = _sections(h, header_len)
    return SinrFile(model, h.image.height, h.image.width, class_map, header_dict(h), sections)


def _counts(h: Header, stream: str) -> list[tuple[int, int]]:
    """(integers, bits) of each tensor's part of a stream, in table order."""
    if stream == "indices":
        return [(e.index_count, INDEX_BITS) for e in h.tensors if e.sparse]
    role = ROLE_BIAS if stream == "biases" else 0
    return [(e.value_count, e.bits) for e in h.tensors if e.role == role]


def _integers(h: Header, stream: str, coded: memoryview) -> list[np.ndarray]:
    counts = _counts(h, stream)
    coding = h.lengths.coding(stream)
    if coding == CODING_ENTROPY:
        return entropy.decode(coded, counts, stream)
    raw = unpack_bytes(coded, coding, getattr(h.lengths, stream)[0], stream)
    return split_planes(raw, counts)


def _check_header(h: Header) -> list[TensorSlot]:
    """Every rule across fields of the header; returns the model's tensor slots."""
    img, cfg, codec = h.image, h.config, h.codec
    if not size_ok(img.height, img.width):
        raise SinrFormatError(f"the header declares an image of {img.width}×{img.height} pixels "
                              f"(1..{MAX_PIXELS:,} allowed).")
    if img.channels != cfg.out_features:
        raise SinrFormatError(f"the header declares {img.channels} channels for a network with "
                              f"{cfg.out_features} outputs.")
    if (img.value_lo, img.value_hi) != (-1.0, 1.0):
        raise SinrFormatError(f"value range [{img.value_lo}, {img.value_hi}] is not supported "
                              "(networks output [-1, 1]).")
    if cfg.parameter_count() > MAX_PARAMETERS:
        raise SinrFormatError(f"the header declares {cfg.parameter_count():,} parameters, more "
                              f"than the {MAX_PARAMETERS:,} any .sinr file may hold.")
    slots = tensor_slots(cfg)
    sparse = False
    for slot, e in zip(slots, h.tensors):
        _check_entry(slot, e, codec)
        sparse |= e.layout != LAYOUT_DENSE
    if sparse:
        if not 1 <= codec.k2 <= MAX_K2:
            raise SinrFormatError(f"dictionary size k2 = {codec.k2} (1..{MAX_K2} allowed).")
        if codec.fingerprint != fingerprint(codec.seed):
            raise SinrFormatError("this machine's random generator does not reproduce the file's "
                                  "dictionary (numpy's PCG64 normal stream differs); it cannot "
                                  "be decoded here.")
    _check_lengths(h, slots)
    return slots


def _check_entry(slot: TensorSlot, e: TensorEntry, codec: CodecInfo) -> None:
    where = slot.name()
    if (e.layer, e.expert, e.role) != (slot.layer, slot.expert, slot.role):
        raise SinrFormatError(f"the tensor table is out of order at {where}.")
    if not (np.isfinite(e.lo) and np.isfinite(e.hi) and e.lo <= e.hi):
        raise SinrFormatError(f"{where}: value range [{e.lo}, {e.hi}] is not a range.")
    if e.role == ROLE_BIAS and e.layout != LAYOUT_DENSE:
        raise SinrFormatError(f"{where}: unknown or impossible layout code {e.layout}.")
    if e.layout != LAYOUT_DENSE and codec.mode != MODE_SINR:
        raise SinrFormatError(f"{where}: a sparse tensor in a plain file.")
    if e.layout == LAYOUT_DENSE:
        if e.s != 0:
            raise SinrFormatError(f"{where}: a dense tensor with sparsity {e.s}.")
        return
    if not 1 <= e.s <= min(e.vec_len, codec.k2):
        raise SinrFormatError(f"{where}: sparsity {e.s} for vectors of {e.vec_len} and k2 = "
                              f"{codec.k2}.")
    if e.vec_len * codec.k2 > MAX_DICTIONARY_VALUES:
        raise SinrFormatError(f"{where}: a {e.vec_len}×{codec.k2} dictionary exceeds the limit of "
                              f"{MAX_DICTIONARY_VALUES:,} values.")


def _check_lengths(h: Header, slots: list[TensorSlot]) -> None:
    n = h.lengths
    for name in STREAMS:
        size = planes_size(_counts(h, name))
        raw = getattr(n, name)[0]
        if raw != size:
            raise SinrFormatError(f"the {name} stream declares {raw:,} bytes; the tensor table "
                                  f"implies {size:,}.")
        want = {CODING_BROTLI, CODING_ENTROPY, CODING_STORED} if size else {CODING_NONE}
        if n.codings is not None and n.coding(name) not in want:
            raise SinrFormatError(f"the {name} section's coding does not fit its contents.")
    seg = h.config.seg_layer is not None
    method = n.class_map_method
    if seg and method == CM_NONE:
        raise SinrFormatError("an HS-LoE network without its segmentation map cannot be decoded.")
    if not seg and method != CM_NONE:
        raise SinrFormatError("a class map in a file whose model has no segmentation layer.")
    thumb = None if h.thumbnail is None else (h.thumbnail.height, h.thumbnail.width)
    size = classmap.raw_size(method, h.image.height, h.image.width,
                             h.config.segmentation.classes if seg else 1, thumb)
    if n.class_map[0] != size:
        raise SinrFormatError(f"the class map declares {n.class_map[0]:,} bytes; a "
                              f"{h.image.width}×{h.image.height} map needs {size:,}.")
    coding = {CM_NONE: {CODING_NONE}, CM_CONTEXT: {CODING_ENTROPY},
              CM_THUMB_LABELS: {CODING_ENTROPY}}.get(
        method, {CODING_BROTLI, CODING_STORED})
    if n.codings is not None and n.coding("class_map") not in coding:
        raise SinrFormatError("the class map section's coding does not fit its method.")
    if method == CM_CONTEXT and size > classmap.MAX_CONTEXT_PIXELS:
        raise SinrFormatError(f"a context-coded class map of {size:,} pixels (at most "
                              f"{classmap.MAX_CONTEXT_PIXELS:,}).")
    if h.version == V1 and method not in (CM_NONE, CM_BYTES, CM_PACKED):
        raise SinrFormatError(f"class-map method {method} in a version 1 file.")


def _rebuild(h: Header, slots: list[TensorSlot],
             ints: dict[str, list[np.ndarray]]) -> dict[TensorSlot, np.ndarray]:
    codec = h.codec
    parts = {k: iter(v) for k, v in ints.items()}
    out: dict[TensorSlot, np.ndarray] = {}
    pending: dict[tuple[int, int], list] = {}  # (vector length, s) → tensors to rebuild together
    for slot, e in zip(slots, h.tensors):
        q = next(parts["biases" if e.role == ROLE_BIAS else "values"])
        if q.size and int(q.max()) >= 1 << e.bits:
            raise SinrFormatError(f"{slot.name()}: a quantised value exceeds the quantiser's range.")
        coef = dequantise(q, e.bits, e.lo, e.hi)
        if e.layout == LAYOUT_DENSE:
            out[slot] = coef.reshape(slot.shape)
            continue
        gaps = next(parts["indices"]).astype(np.int64).reshape(e.n_vec, e.s)
        support = np.cumsum(gaps + 1, axis=1) - 1
        if support.size and int(support[:, -1].max()) >= codec.k2:
            raise SinrFormatError(f"{slot.name()}: an atom index is beyond k2 = {codec.k2}.")
        pending.setdefault((e.vec_len, e.s), []).append((slot, e, support, coef.reshape(e.n_vec, e.s)))
    for (m, _), items in pending.items():
        support = np.concatenate([it[2] for it in items])
        coef = np.concatenate([it[3] for it in items])
        vecs = reconstruct(m, codec.k2, codec.seed, support, coef)
        start = 0
        for slot, e, _, _ in items:
            out[slot] = from_vectors(vecs[start:start + e.n_vec], e.layout, slot.shape)
            start += e.n_vec
    return out


def _sections(h: Header, header_len: int) -> dict[str, int]:
    """Bytes per part of the file, in file order; they sum to the file size."""
    groups = {k: len(v) for k, v in header_groups(h).items()}
    assert sum(groups.values()) == header_len
    sec = {"preamble": PREAMBLE.size}
    sec.update({f"header.{k}": v for k, v in groups.items()})
    for name in SECTIONS:
        sec[name] = getattr(h.lengths, name)[1]
    sec["checksum"] = CHECKSUM.size
    return sec
