"""The ``.sinr`` binary layout, version 1 (docs/format.md is the normative description).

One writer and one reader per field group, every size explicit, all integers little-endian:

    preamble   magic (8) · version u16 · header length u16
    header     image · model and tilings · codec · tensor table · lengths
    class map  (HS-LoE only) Brotli stream
    values     Brotli stream: quantised weights / sparse-code values
    indices    Brotli stream: gaps between sorted atom indices (SINR only)
    biases     Brotli stream: quantised biases
    checksum   CRC-32 (zlib) of every byte before it

The reader never trusts a length: each read is checked against the bytes that remain, and
semantic checks (what the lengths must be for this model) live in :mod:`.decoder`.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from ..errors import OptionError, SinrFormatError
from ..models.config import ModelConfig
from ..segmentation import SegmentationConfig
from ..tiling import LayerTiling
from .layout import LAYOUT_NAMES, TensorEntry, TensorSlot, cut_shape, tensor_slots

MAGIC = b"\x89SINR\r\n\x1a"
VERSION = 1
PREAMBLE = struct.Struct("<8sHH")  # magic, version, header length
CHECKSUM = struct.Struct("<I")
IMAGE = struct.Struct("<IIBff")  # height, width, channels, value lo, value hi
MODEL = struct.Struct("<BHBdBBBB")  # kind, width, hidden layers, ω0, in, out, seg method, classes
TILING = struct.Struct("<BBdd")  # kind, classes, scale A, shift β
CODEC = struct.Struct("<BBBBHIQI")  # mode, value bits, bias bits, index bits, flat below, k2, seed, fingerprint
TENSOR_COUNT = struct.Struct("<H")
TENSOR = struct.Struct("<BBBBHff")  # layer, expert, role, layout, s, lo, hi
LENGTHS = struct.Struct("<BIIIIIIII")  # class-map method, (raw, coded) × class map, values, indices, biases

#: Largest |A| and |β| of a grid tiling (the paper's largest A is 128).
MAX_GRID = 1e6
MODEL_CODES = {"siren": 0, "ftc": 1, "qt": 2, "hs": 3}
TILING_CODES = {"single": 0, "grid": 1, "segment": 2}
SEG_CODES = {None: 0, "multiotsu": 1, "equal": 2}
MODE_PLAIN, MODE_SINR = 0, 1
STREAMS = ("values", "indices", "biases")


def _inverse(d: dict) -> dict:
    return {v: k for k, v in d.items()}


@dataclass(frozen=True)
class ImageInfo:
    height: int
    width: int
    channels: int
    value_lo: float = -1.0
    value_hi: float = 1.0


@dataclass(frozen=True)
class CodecInfo:
    mode: int
    value_bits: int
    bias_bits: int
    index_bits: int
    flat_below: int
    k2: int
    seed: int
    fingerprint: int


@dataclass(frozen=True)
class Lengths:
    class_map_method: int
    class_map: tuple[int, int]  # (raw, coded)
    values: tuple[int, int]
    indices: tuple[int, int]
    biases: tuple[int, int]

    def coded_total(self) -> int:
        return self.class_map[1] + sum(getattr(self, s)[1] for s in STREAMS)


@dataclass(frozen=True)
class Header:
    image: ImageInfo
    config: ModelConfig
    codec: CodecInfo
    tensors: tuple[TensorEntry, ...]
    lengths: Lengths


class Reader:
    """Reads structs from a byte string; running past its end is a :class:`SinrFormatError`."""

    def __init__(self, data: bytes | memoryview, what: str) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.what = what

    def read(self, st: struct.Struct, field: str) -> tuple:
        end = self.pos + st.size
        if end > len(self.data):
            raise SinrFormatError(f"the {self.what} ends inside its '{field}' field: the file is "
                                  "truncated or damaged.")
        out = st.unpack_from(self.data, self.pos)
        self.pos = end
        return out

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos


# -- image --------------------------------------------------------------------------------------
def write_image(info: ImageInfo) -> bytes:
    return IMAGE.pack(info.height, info.width, info.channels, info.value_lo, info.value_hi)


def read_image(r: Reader) -> ImageInfo:
    return ImageInfo(*r.read(IMAGE, "image"))


# -- model and tilings -------------------------------------------------------------------------
def write_model(config: ModelConfig) -> bytes:
    seg = config.segmentation
    out = [MODEL.pack(MODEL_CODES[config.kind], config.width, config.depth, config.omega0,
                      config.in_features, config.out_features,
                      SEG_CODES[None if seg is None else seg.method], 0 if seg is None else seg.classes)]
    for t in config.tilings:
        out.append(TILING.pack(TILING_CODES[t.kind], t.classes, t.scale, t.shift))
    return b"".join(out)


def read_model(r: Reader) -> ModelConfig:
    kind, width, hidden, omega0, n_in, n_out, seg_code, seg_classes = r.read(MODEL, "model")
    kinds, tkinds, segs = _inverse(MODEL_CODES), _inverse(TILING_CODES), _inverse(SEG_CODES)
    if kind not in kinds:
        raise SinrFormatError(f"unknown model code {kind} in the header.")
    if seg_code not in segs:
        raise SinrFormatError(f"unknown segmentation method code {seg_code} in the header.")
    if not 1 <= hidden <= 32:
        raise SinrFormatError(f"the header declares {hidden} hidden layers (1..32 allowed).")
    tilings = []
    for i in range(hidden + 1):
        tk, classes, scale, shift = r.read(TILING, f"tiling of L{i + 1}")
        if tk not in tkinds:
            raise SinrFormatError(f"unknown tiling code {tk} for L{i + 1}.")
        if not (abs(scale) <= MAX_GRID and abs(shift) <= MAX_GRID):  # also refuses NaN
            raise SinrFormatError(f"L{i + 1}: grid scale {scale:g} or shift {shift:g} is not a "
                                  f"number within ±{MAX_GRID:g}.")
        tilings.append((tkinds[tk], classes, scale, shift))
    try:
        seg = None if segs[seg_code] is None else SegmentationConfig(segs[seg_code], seg_classes)
        config = ModelConfig(
            kind=kinds[kind],
            tilings=tuple(LayerTiling(k, scale=s, shift=b, classes=c) for k, c, s, b in tilings),
            width=width, omega0=omega0, in_features=n_in, out_features=n_out, segmentation=seg)
        config.validate()
    except OptionError as exc:
        raise SinrFormatError(f"the model in the header is impossible ({exc})") from exc
    if any(t.kind == "segment" and t.shift != 0.0 for t in config.tilings):
        raise SinrFormatError("a segmentation layer has a non-zero shift in the header.")
    return config


# -- codec ----------------------------------------------------------------------------------------
def write_codec(c: CodecInfo) -> bytes:
    return CODEC.pack(c.mode, c.value_bits, c.bias_bits, c.index_bits, c.flat_below, c.k2, c.seed,
                      c.fingerprint)


def read_codec(r: Reader) -> CodecInfo:
    return CodecInfo(*r.read(CODEC, "codec"))


# -- tensor table ---------------------------------------------------------------------------------
def write_tensors(entries: tuple[TensorEntry, ...] | list[TensorEntry]) -> bytes:
    out = [TENSOR_COUNT.pack(len(entries))]
    for e in entries:
        out.append(TENSOR.pack(e.layer, e.expert, e.role, e.layout, e.s, e.lo, e.hi))
    return b"".join(out)


def read_tensors(r: Reader, slots: list[TensorSlot]) -> tuple[TensorEntry, ...]:
    """The table; each row's vector length and count follow from its layout and the shape of
    the tensor the model configuration puts at that position."""
    (count,) = r.read(TENSOR_COUNT, "tensor count")
    if count != len(slots):
        raise SinrFormatError(f"the tensor table lists {count} tensors; this model has {len(slots)}.")
    if count * TENSOR.size > r.remaining:
        raise SinrFormatError("the tensor table runs past the header: the file is damaged.")
    out = []
    for i, slot in enumerate(slots):
        layer, expert, role, layout, s, lo, hi = r.read(TENSOR, f"tensor {i}")
        if layout not in LAYOUT_NAMES:
            raise SinrFormatError(f"{slot.name()}: unknown layout code {layout}.")
        vec_len, n_vec = cut_shape(layout, slot.shape)
        out.append(TensorEntry(layer, expert, role, layout, s, vec_len, n_vec, lo, hi))
    return tuple(out)


# -- lengths --------------------------------------------------------------------------------------
def write_lengths(n: Lengths) -> bytes:
    return LENGTHS.pack(n.class_map_method, *n.class_map, *n.values, *n.indices, *n.biases)


def read_lengths(r: Reader) -> Lengths:
    m, *v = r.read(LENGTHS, "lengths")
    return Lengths(m, (v[0], v[1]), (v[2], v[3]), (v[4], v[5]), (v[6], v[7]))


# -- whole file -----------------------------------------------------------------------------------
def header_groups(h: Header) -> dict[str, bytes]:
    """The header's field groups, in file order (their sizes make ``info``'s byte budget)."""
    return {
        "image": write_image(h.image),
        "model": write_model(h.config),
        "codec": write_codec(h.codec),
        "tensor_table": write_tensors(h.tensors),
        "lengths": write_lengths(h.lengths),
    }


def pack_file(h: Header, class_map: bytes, streams: dict[str, bytes]) -> bytes:
    header = b"".join(header_groups(h).values())
    if len(header) > 0xFFFF:
        raise OptionError("this model's header exceeds 64 KiB; it cannot be stored as .sinr v1.")
    parts = [PREAMBLE.pack(MAGIC, VERSION, len(header)), header, class_map]
    parts += [streams[s] for s in STREAMS]
    body = b"".join(parts)
    return body + CHECKSUM.pack(zlib.crc32(body) & 0xFFFFFFFF)


def read_preamble(data: bytes) -> int:
    """Check magic and version; return the header length."""
    if len(data) < PREAMBLE.size + CHECKSUM.size:
        if not MAGIC.startswith(bytes(data[: len(MAGIC)])) or len(data) == 0:
            raise SinrFormatError("this is not a .sinr file (no SINR signature).")
        raise SinrFormatError(f"the file is truncated: {len(data)} bytes is shorter than any "
                              ".sinr file.")
    magic, version, header_len = PREAMBLE.unpack_from(data, 0)
    if magic != MAGIC:
        raise SinrFormatError("this is not a .sinr file (no SINR signature).")
    if version > VERSION:
        raise SinrFormatError(f"this .sinr file is format version {version}; this inr-studio reads "
                              f"version {VERSION} and older. Update inr-studio to open it.")
    if version == 0:
        raise SinrFormatError("this .sinr file declares format version 0, which never existed.")
    return header_len


def read_header(data: bytes, header_len: int) -> Header:
    """Parse the header block (field syntax only; :mod:`.decoder` checks the meaning)."""
    if PREAMBLE.size + header_len + CHECKSUM.size > len(data):
        raise SinrFormatError(f"the file is truncated: its header alone needs {header_len} bytes.")
    r = Reader(memoryview(data)[PREAMBLE.size:PREAMBLE.size + header_len], "header")
    image = read_image(r)
    config = read_model(r)
    codec = read_codec(r)
    tensors = read_tensors(r, tensor_slots(config))
    lengths = read_lengths(r)
    if r.remaining:
        raise SinrFormatError(f"the header has {r.remaining} bytes more than its fields: the file "
                              "is damaged.")
    return Header(image, config, codec, tensors, lengths)


def verify_checksum(data: bytes) -> None:
    (stored,) = CHECKSUM.unpack_from(data, len(data) - CHECKSUM.size)
    actual = zlib.crc32(memoryview(data)[: len(data) - CHECKSUM.size]) & 0xFFFFFFFF
    if stored != actual:
        raise SinrFormatError("the file is damaged: its checksum does not match its contents "
                              f"(stored {stored:08x}, computed {actual:08x}).")
