"""``.sinr`` bytes → network, with every declared length checked before anything is allocated.

Order of checks (docs/format.md, "Decoding"): signature and version; header fields; the file
size the lengths add up to; the checksum; the lengths the model implies; then bounded Brotli
inflates and the rebuild. Any problem is one :class:`SinrFormatError` with a sentence.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import brotli
import numpy as np
import torch

from ..atomic import atomic_write_bytes
from ..errors import OptionError, SinrFormatError
from ..imaging import MAX_PIXELS, size_ok
from ..models import registry
from ..models.network import CoordinateNet
from ..render import TrainedNetwork
from . import container as C
from .dictionary import MAX_DICTIONARY_VALUES, fingerprint, reconstruct
from .layout import (
    LAYOUT_DENSE,
    LAYOUT_NAMES,
    ROLE_BIAS,
    TensorEntry,
    TensorSlot,
    from_vectors,
    tensor_slots,
)
from .quantise import MAX_BITS, byte_width, dequantise, from_planes
from .streams import (
    CLASS_MAP_BYTES,
    CLASS_MAP_NONE,
    CLASS_MAP_PACKED,
    class_map_raw_size,
    decode_class_map,
    inflate,
)

#: Largest network a file may declare (parameters); a 3×1024 LoE has ~12.6 M.
MAX_PARAMETERS = 1 << 24
#: Largest file read from disk (a 16 M-parameter network at 16 bits is ~32 MB).
MAX_FILE_BYTES = 256 << 20


@dataclass(frozen=True)
class SinrFile(TrainedNetwork):
    """A decoded ``.sinr`` file: the network (on the CPU) and what is needed to render it."""

    header: dict = field(default_factory=dict)
    sections: dict = field(default_factory=dict)

    @property
    def file_bytes(self) -> int:
        return int(sum(self.sections.values()))

    @property
    def bpp(self) -> float:
        return bpp(self.file_bytes, self.height, self.width)


def bpp(n_bytes: int, height: int, width: int) -> float:
    """Bits per pixel: 8·bytes / (H·W), every byte of the file counted (SPEC §5)."""
    return 8.0 * n_bytes / (height * width)


def write_sinr(path: str | os.PathLike, data: bytes) -> None:
    """Write a .sinr file atomically (temporary file beside it, then rename)."""
    atomic_write_bytes(Path(path), data)


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
    header_len = C.read_preamble(data)
    h = C.read_header(data, header_len)
    expected = C.PREAMBLE.size + header_len + h.lengths.coded_total() + C.CHECKSUM.size
    if expected != len(data):
        if expected > len(data):
            raise SinrFormatError(f"the file is truncated (or its lengths are damaged): its header "
                                  f"declares {expected:,} bytes, it has {len(data):,}.")
        raise SinrFormatError(f"the file has {len(data) - expected:,} bytes after its declared end.")
    C.verify_checksum(data)
    slots = _check_header(h)
    pos = C.PREAMBLE.size + header_len
    view = memoryview(data)
    coded = {}
    for name in ("class_map",) + C.STREAMS:
        raw_len, coded_len = getattr(h.lengths, name)
        coded[name] = (view[pos:pos + coded_len], raw_len)
        pos += coded_len
    raw = {name: inflate(c, n, name.replace("_", " ")) for name, (c, n) in coded.items()}
    tensors = _rebuild(h, slots, raw)
    model = CoordinateNet(h.config, seed=0)  # seeded: leaves torch's global generator alone
    with torch.no_grad():
        for slot, arr in tensors.items():
            layer = model.layers[slot.layer]
            target = layer.bias if slot.role == ROLE_BIAS else layer.weight[slot.expert]
            target.copy_(torch.from_numpy(arr.astype(np.float32)))
    model.eval()
    class_map = None
    if h.lengths.class_map_method != CLASS_MAP_NONE:
        class_map = decode_class_map(h.lengths.class_map_method, raw["class_map"],
                                     h.image.height, h.image.width, h.config.segmentation.classes)
    sections = _sections(h, header_len)
    return SinrFile(model, h.image.height, h.image.width, class_map, header_dict(h), sections)


def _check_header(h: C.Header) -> list[TensorSlot]:
    """Every semantic rule of the header; returns the model's tensor slots."""
    img, cfg, codec = h.image, h.config, h.codec
    if not size_ok(img.height, img.width):
        raise SinrFormatError(f"the header declares an image of {img.width}×{img.height} pixels "
                              f"(1..{MAX_PIXELS:,} allowed).")
    if img.channels != cfg.out_features:
        raise SinrFormatError(f"the header declares {img.channels} channels for a network with "
                              f"{cfg.out_features} outputs.")
    if (img.value_lo, img.value_hi) != (-1.0, 1.0):
        raise SinrFormatError(f"value range [{img.value_lo}, {img.value_hi}] is not supported "
                              "(version 1 networks output [-1, 1]).")
    if cfg.parameter_count() > MAX_PARAMETERS:
        raise SinrFormatError(f"the header declares {cfg.parameter_count():,} parameters, more "
                              f"than the {MAX_PARAMETERS:,} any .sinr file may hold.")
    if codec.mode not in (C.MODE_PLAIN, C.MODE_SINR):
        raise SinrFormatError(f"unknown coding mode {codec.mode}.")
    for name, bits in (("value", codec.value_bits), ("bias", codec.bias_bits)):
        if not 1 <= bits <= MAX_BITS:
            raise SinrFormatError(f"{name} quantiser of {bits} bits (1..{MAX_BITS} allowed).")
    if codec.index_bits != 16:
        raise SinrFormatError(f"index width {codec.index_bits} bits is not supported (16).")
    slots = tensor_slots(cfg)
    sparse = False
    for slot, e in zip(slots, h.tensors):
        _check_entry(slot, e, codec)
        sparse |= e.layout != LAYOUT_DENSE
    if sparse:
        if not 1 <= codec.k2 <= 1 << 16:
            raise SinrFormatError(f"dictionary size k2 = {codec.k2} (1..65536 allowed).")
        if codec.fingerprint != fingerprint(codec.seed):
            raise SinrFormatError("this machine's random generator does not reproduce the file's "
                                  "dictionary (numpy's PCG64 normal stream differs); it cannot "
                                  "be decoded here.")
    _check_lengths(h, slots)
    return slots


def _check_entry(slot: TensorSlot, e: TensorEntry, codec: C.CodecInfo) -> None:
    where = slot.name()
    if (e.layer, e.expert, e.role) != (slot.layer, slot.expert, slot.role):
        raise SinrFormatError(f"the tensor table is out of order at {where}.")
    if not (np.isfinite(e.lo) and np.isfinite(e.hi) and e.lo <= e.hi):
        raise SinrFormatError(f"{where}: value range [{e.lo}, {e.hi}] is not a range.")
    if e.layout not in LAYOUT_NAMES or (e.role == ROLE_BIAS and e.layout != LAYOUT_DENSE):
        raise SinrFormatError(f"{where}: unknown or impossible layout code {e.layout}.")
    if e.layout != LAYOUT_DENSE and codec.mode != C.MODE_SINR:
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


def _check_lengths(h: C.Header, slots: list[TensorSlot]) -> None:
    codec, n = h.codec, h.lengths
    want = {
        "values": sum(e.value_count for e in h.tensors if e.role != ROLE_BIAS) * byte_width(codec.value_bits),
        "indices": sum(e.index_count for e in h.tensors) * 2,
        "biases": sum(e.value_count for e in h.tensors if e.role == ROLE_BIAS) * byte_width(codec.bias_bits),
    }
    for name, size in want.items():
        if getattr(n, name)[0] != size:
            raise SinrFormatError(f"the {name} stream declares {getattr(n, name)[0]:,} bytes; the "
                                  f"tensor table implies {size:,}.")
    seg = h.config.seg_layer is not None
    method = n.class_map_method
    if seg and method not in (CLASS_MAP_BYTES, CLASS_MAP_PACKED):
        raise SinrFormatError("an HS-LoE network without its segmentation map cannot be decoded.")
    if not seg and method != CLASS_MAP_NONE:
        raise SinrFormatError("a class map in a file whose model has no segmentation layer.")
    size = class_map_raw_size(method, h.image.height, h.image.width,
                              h.config.segmentation.classes if seg else 1)
    if n.class_map[0] != size:
        raise SinrFormatError(f"the class map declares {n.class_map[0]:,} bytes; a "
                              f"{h.image.width}×{h.image.height} map needs {size:,}.")


def _rebuild(h: C.Header, slots: list[TensorSlot], raw: dict[str, bytes]) -> dict[TensorSlot, np.ndarray]:
    codec = h.codec
    vw, bw = byte_width(codec.value_bits), byte_width(codec.bias_bits)
    n_values = len(raw["values"]) // vw
    n_biases = len(raw["biases"]) // bw
    values = from_planes(raw["values"], n_values, vw)
    indices = from_planes(raw["indices"], len(raw["indices"]) // 2, 2)
    biases = from_planes(raw["biases"], n_biases, bw)
    if values.size and int(values.max()) >= 1 << codec.value_bits:
        raise SinrFormatError("a quantised value exceeds the quantiser's range.")
    if biases.size and int(biases.max()) >= 1 << codec.bias_bits:
        raise SinrFormatError("a quantised bias exceeds the quantiser's range.")
    out: dict[TensorSlot, np.ndarray] = {}
    pending: dict[tuple[int, int], list] = {}  # (vector length, s) → tensors to rebuild together
    vpos = ipos = bpos = 0
    for slot, e in zip(slots, h.tensors):
        if e.role == ROLE_BIAS:
            q = biases[bpos:bpos + e.value_count]
            bpos += e.value_count
            out[slot] = dequantise(q, codec.bias_bits, e.lo, e.hi).reshape(slot.shape)
            continue
        q = values[vpos:vpos + e.value_count]
        vpos += e.value_count
        coef = dequantise(q, codec.value_bits, e.lo, e.hi)
        if e.layout == LAYOUT_DENSE:
            out[slot] = coef.reshape(slot.shape)
            continue
        gaps = indices[ipos:ipos + e.index_count].astype(np.int64).reshape(e.n_vec, e.s)
        ipos += e.index_count
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


def _sections(h: C.Header, header_len: int) -> dict[str, int]:
    """Bytes per part of the file, in file order; they sum to the file size."""
    groups = {k: len(v) for k, v in C.header_groups(h).items()}
    assert sum(groups.values()) == header_len
    sec = {"preamble": C.PREAMBLE.size}
    sec.update({f"header.{k}": v for k, v in groups.items()})
    sec["class_map"] = h.lengths.class_map[1]
    for name in C.STREAMS:
        sec[name] = getattr(h.lengths, name)[1]
    sec["checksum"] = C.CHECKSUM.size
    return sec


def header_dict(h: C.Header) -> dict:
    """The header as plain JSON-able data (what ``info`` prints and the window shows)."""
    codec = h.codec
    return {
        "format_version": C.VERSION,
        "image": {"height": h.image.height, "width": h.image.width, "channels": h.image.channels,
                  "value_range": [h.image.value_lo, h.image.value_hi]},
        "model": h.config.to_dict(),
        "model_label": registry.label(h.config.kind),
        "parameters": h.config.parameter_count(),
        "codec": {"mode": "sinr" if codec.mode == C.MODE_SINR else "plain",
                  "value_bits": codec.value_bits, "bias_bits": codec.bias_bits,
                  "index_bits": codec.index_bits, "flat_below": codec.flat_below,
                  "k2": codec.k2, "seed": codec.seed, "fingerprint": f"{codec.fingerprint:08x}"},
        "tensors": [{"layer": e.layer + 1, "expert": e.expert,
                     "role": "bias" if e.role == ROLE_BIAS else "weight",
                     "layout": LAYOUT_NAMES[e.layout], "s": e.s, "vec_len": e.vec_len,
                     "n_vec": e.n_vec, "lo": e.lo, "hi": e.hi} for e in h.tensors],
        "class_map": {"method": {CLASS_MAP_NONE: "none", CLASS_MAP_BYTES: "bytes",
                                 CLASS_MAP_PACKED: "packed"}[h.lengths.class_map_method],
                      "raw_bytes": h.lengths.class_map[0]},
        "streams": {name: {"raw_bytes": getattr(h.lengths, name)[0],
                           "coded_bytes": getattr(h.lengths, name)[1]} for name in C.STREAMS},
    }

