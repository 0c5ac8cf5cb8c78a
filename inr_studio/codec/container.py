"""The ``.sinr`` binary layout of coordinate networks, versions 1 to 3 (docs/format.md is the
normative description; the latent-grid model's version 3 layout is :mod:`.latent_file`).

    preamble   magic (8) · version u16 · header length u16
    header     image · model and tilings · codec · tensor table · lengths / sections
    class map  (HS-LoE only)
    values     quantised weights / sparse-code values
    indices    gaps between sorted atom indices (SINR only)
    biases     quantised biases
    checksum   CRC-32 (zlib) of every byte before it

Every field is declared once in :mod:`.header`; this module turns those field dicts into the
typed header the encoder and decoder share, and back. The reader never trusts a length: each
read is checked against the bytes that remain; rules across fields live in :mod:`.decoder`.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..errors import OptionError, SinrFormatError
from ..models import registry  # labels only: the network is built from the fields alone
from ..models.config import ModelConfig
from ..segmentation import SegmentationConfig
from ..tiling import LayerTiling
from . import header
from .header import (
    CHECKSUM,
    CODING_BROTLI,
    CODING_NONE,
    PREAMBLE,
    SECTIONS,
    STREAMS,
    V1,
    V2,
    V3,
    Reader,
)
from .layout import LAYOUT_NAMES, ROLE_BIAS, TensorEntry, TensorSlot, cut_shape, tensor_slots

MAGIC = b"\x89SINR\r\n\x1a"
#: The version the encoder writes for a coordinate network (3 adds nothing to its layout but the
#: family byte, so older readers keep opening them); the latent-grid model is written as 3.
VERSION = V2
#: Readers open every version up to this one.
READABLE = V3
MODE_PLAIN, MODE_SINR = header.MODE_PLAIN, header.MODE_SINR


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
    value_bits: int  # version 1 only (version 2: per tensor, 0 here)
    bias_bits: int
    index_bits: int
    flat_below: int
    k2: int
    seed: int
    fingerprint: int


@dataclass(frozen=True)
class Lengths:
    """(raw, coded) bytes of each section, and how each is coded (version 1: Brotli)."""

    class_map_method: int
    class_map: tuple[int, int]  # (raw, coded)
    values: tuple[int, int]
    indices: tuple[int, int]
    biases: tuple[int, int]
    codings: tuple[int, int, int, int] | None = None  # per section; None: version 1's rule

    def coded_total(self) -> int:
        return sum(getattr(self, s)[1] for s in SECTIONS)

    def coding(self, section: str) -> int:
        if self.codings is not None:
            return self.codings[SECTIONS.index(section)]
        return CODING_BROTLI if getattr(self, section)[1] else CODING_NONE


@dataclass(frozen=True)
class Thumbnail:
    """The class map's thumbnail coding (version 2): its size and integer thresholds."""

    height: int
    width: int
    thresholds: tuple[int, ...]


@dataclass(frozen=True)
class Header:
    image: ImageInfo
    config: ModelConfig
    codec: CodecInfo
    tensors: tuple[TensorEntry, ...]
    lengths: Lengths
    version: int = VERSION
    thumbnail: Thumbnail | None = None


# -- model and tilings -------------------------------------------------------------------------
def _model_values(config: ModelConfig, version: int) -> dict:
    seg = config.segmentation
    if version == V1:
        if config.kind not in header.V1_MODEL_CODES or config.activation != "sine" or \
                config.encoding != "none" or config.gradient_fit:
            raise OptionError(f"model {config.kind!r} needs .sinr version 2.")
        kind = header.V1_MODEL_CODES[config.kind]
    else:
        kind = config.kind
    return dict(kind=kind, width=config.width, hidden=config.depth, omega0=config.omega0,
                in_features=config.in_features, out_features=config.out_features,
                seg_method=header.SEG_CODES[None if seg is None else seg.method],
                seg_classes=0 if seg is None else seg.classes,
                activation=header.ACTIVATION_CODES[config.activation],
                encoding=header.ENCODING_CODES[config.encoding], pe_levels=config.pe_levels,
                pe_features=config.pe_features, pe_sigma=config.pe_sigma, pe_seed=config.pe_seed,
                gradient_fit=int(config.gradient_fit))


def write_model(config: ModelConfig, version: int = VERSION, check: bool = True) -> bytes:
    out = [header.MODEL.pack(_model_values(config, version), version, check)]
    for t in config.tilings:
        out.append(header.TILING.pack(dict(kind=header.TILING_CODES[t.kind], classes=t.classes,
                                      scale=t.scale, shift=t.shift), version, check))
    return b"".join(out)


def read_model(r: Reader, version: int) -> ModelConfig:
    m = header.MODEL.read(r, version)
    tkinds = _inverse(header.TILING_CODES)
    tilings = []
    for i in range(m["hidden"] + 1):
        t = header.TILING.read(r, version, f"L{i + 1} tiling")
        tilings.append(LayerTiling(tkinds[t["kind"]], scale=t["scale"], shift=t["shift"],
                                   classes=t["classes"]))
    kind = _inverse(header.V1_MODEL_CODES)[m["kind"]] if version == V1 else m["kind"]
    seg_method = _inverse(header.SEG_CODES)[m["seg_method"]]
    extra = {} if version == V1 else dict(
        activation=_inverse(header.ACTIVATION_CODES)[m["activation"]],
        encoding=_inverse(header.ENCODING_CODES)[m["encoding"]], pe_levels=m["pe_levels"],
        pe_features=m["pe_features"], pe_sigma=float(m["pe_sigma"]), pe_seed=m["pe_seed"],
        gradient_fit=bool(m["gradient_fit"]))
    try:
        seg = None if seg_method is None else SegmentationConfig(seg_method, m["seg_classes"])
        config = ModelConfig(kind=kind, tilings=tuple(tilings), width=m["width"],
                             omega0=m["omega0"], in_features=m["in_features"],
                             out_features=m["out_features"], segmentation=seg, **extra)
        config.validate()
    except OptionError as exc:
        raise SinrFormatError(f"the model in the header is impossible ({exc})") from exc
    if any(t.kind == "segment" and t.shift != 0.0 for t in config.tilings):
        raise SinrFormatError("a segmentation layer has a non-zero shift in the header.")
    return config


# -- codec and tensor table ---------------------------------------------------------------------
def write_codec(c: CodecInfo, version: int = VERSION, check: bool = True) -> bytes:
    return header.CODEC.pack(c.__dict__, version, check)


def read_codec(r: Reader, version: int) -> CodecInfo:
    d = header.CODEC.read(r, version)
    d.setdefault("value_bits", 0)
    d.setdefault("bias_bits", 0)
    return CodecInfo(**d)


def write_tensors(entries, version: int = VERSION, check: bool = True) -> bytes:
    out = [header.TENSOR_COUNT.pack({"count": len(entries)}, version, check)]
    out += [header.TENSOR.pack(e.__dict__, version, check) for e in entries]
    return b"".join(out)


def read_tensors(r: Reader, slots: list[TensorSlot], codec: CodecInfo,
                 version: int) -> tuple[TensorEntry, ...]:
    """The table; each row's vector length and count follow from its layout and the shape of
    the tensor the model configuration puts at that position."""
    count = header.TENSOR_COUNT.read(r, version)["count"]
    if count != len(slots):
        raise SinrFormatError(f"the tensor table lists {count} tensors; this model has {len(slots)}.")
    if count * header.TENSOR.size(version) > r.remaining:
        raise SinrFormatError("the tensor table runs past the header: the file is damaged.")
    out = []
    for i, slot in enumerate(slots):
        d = header.TENSOR.read(r, version, f"tensor {i} ({slot.name()})")
        if version == V1:
            d["bits"] = codec.bias_bits if d["role"] == ROLE_BIAS else codec.value_bits
        vec_len, n_vec = cut_shape(d["layout"], slot.shape)
        out.append(TensorEntry(d["layer"], d["expert"], d["role"], d["layout"], d["s"], vec_len,
                               n_vec, d["lo"], d["hi"], d["bits"]))
    return tuple(out)


# -- lengths / sections ------------------------------------------------------------------------
def write_lengths(n: Lengths, version: int = VERSION, check: bool = True) -> bytes:
    d = {"class_map_method": n.class_map_method}
    for s in SECTIONS:
        d[f"{s}_raw"], d[f"{s}_coded"] = getattr(n, s)
        d[f"{s}_coding"] = n.coding(s)
    return (header.LENGTHS_V1 if version == V1 else header.SECTIONS_V2).pack(d, version, check)


def read_lengths(r: Reader, version: int) -> Lengths:
    d = (header.LENGTHS_V1 if version == V1 else header.SECTIONS_V2).read(r, version)
    codings = None if version == V1 else tuple(d[f"{s}_coding"] for s in SECTIONS)
    return Lengths(d["class_map_method"], *((d[f"{s}_raw"], d[f"{s}_coded"]) for s in SECTIONS),
                   codings=codings)


def write_thumbnail(t: Thumbnail | None, version: int = VERSION, check: bool = True) -> bytes:
    if t is None:
        return b""
    size = {"thumb_height": t.height, "thumb_width": t.width}
    out = [header.THUMBNAIL.pack(size, version, check)]
    out += [header.THRESHOLD.pack({"threshold": v}, version, check) for v in t.thresholds]
    return b"".join(out)


def read_thumbnail(r: Reader, version: int, classes: int) -> Thumbnail:
    d = header.THUMBNAIL.read(r, version)
    thr = tuple(header.THRESHOLD.read(r, version)["threshold"] for _ in range(classes - 1))
    if any(b <= a for a, b in zip(thr, thr[1:])):
        raise SinrFormatError("the class map's thresholds are not increasing.")
    return Thumbnail(d["thumb_height"], d["thumb_width"], thr)


# -- whole file -----------------------------------------------------------------------------------
def header_groups(h: Header, check: bool = False) -> dict[str, bytes]:
    """The header's field groups, in file order (their sizes make ``info``'s byte budget);
    ``check``: refuse a field out of its declared bounds."""
    v = h.version
    groups = {"image": header.IMAGE.pack(h.image.__dict__, v, check)}
    if v >= V3:
        groups["family"] = header.FAMILY.pack({"family": header.FAMILY_COORDINATE}, v, check)
    groups.update({
        "model": write_model(h.config, v, check),
        "codec": write_codec(h.codec, v, check),
        "tensor_table": write_tensors(h.tensors, v, check),
        "lengths" if v == V1 else "sections": write_lengths(h.lengths, v, check),
    })
    if h.thumbnail is not None:
        groups["thumbnail"] = write_thumbnail(h.thumbnail, v, check)
    return groups


def pack_file(h: Header, class_map: bytes, streams: dict[str, bytes], check: bool = False) -> bytes:
    """The whole file; the encoder passes ``check`` (tests craft damaged headers without)."""
    header_block = b"".join(header_groups(h, check).values())
    if len(header_block) > 0xFFFF:
        raise OptionError("this model's header exceeds 64 KiB; it cannot be stored as .sinr.")
    parts = [PREAMBLE.pack(MAGIC, h.version, len(header_block)), header_block, class_map]
    parts += [streams[s] for s in STREAMS]
    body = b"".join(parts)
    return body + CHECKSUM.pack(zlib.crc32(body) & 0xFFFFFFFF)


def read_preamble(data: bytes) -> tuple[int, int]:
    """Check magic and version; return (version, header length)."""
    if len(data) < PREAMBLE.size + CHECKSUM.size:
        if not MAGIC.startswith(bytes(data[: len(MAGIC)])) or len(data) == 0:
            raise SinrFormatError("this is not a .sinr file (no SINR signature).")
        raise SinrFormatError(f"the file is truncated: {len(data)} bytes is shorter than any "
                              ".sinr file.")
    magic, version, header_len = PREAMBLE.unpack_from(data, 0)
    if magic != MAGIC:
        raise SinrFormatError("this is not a .sinr file (no SINR signature).")
    if version > READABLE:
        raise SinrFormatError(f"this .sinr file is format version {version}; this inr-studio reads "
                              f"version {READABLE} and older. Update inr-studio to open it.")
    if version == 0:
        raise SinrFormatError("this .sinr file declares format version 0, which never existed.")
    return version, header_len


def header_reader(data: bytes, header_len: int) -> Reader:
    """A bounded reader over the header block (the file must hold it and its checksum)."""
    if PREAMBLE.size + header_len + CHECKSUM.size > len(data):
        raise SinrFormatError(f"the file is truncated: its header alone needs {header_len} bytes.")
    return Reader(memoryview(data)[PREAMBLE.size:PREAMBLE.size + header_len], "header")


def read_family(data: bytes, version: int, header_len: int) -> int:
    """The model family a file holds (versions 1 and 2: always a coordinate network)."""
    if version < V3:
        return header.FAMILY_COORDINATE
    r = header_reader(data, header_len)
    header.IMAGE.read(r, version)
    return header.FAMILY.read(r, version)["family"]


def read_header(data: bytes, version: int, header_len: int) -> Header:
    """Parse the header block (field syntax and bounds; :mod:`.decoder` checks the rest)."""
    r = header_reader(data, header_len)
    image = ImageInfo(**header.IMAGE.read(r, version))
    if version >= V3 and header.FAMILY.read(r, version)["family"] != header.FAMILY_COORDINATE:
        raise SinrFormatError("this file holds latent grids, not a coordinate network.")
    config = read_model(r, version)
    codec = read_codec(r, version)
    tensors = read_tensors(r, tensor_slots(config), codec, version)
    lengths = read_lengths(r, version)
    thumb = None
    if lengths.class_map_method in header.THUMBNAIL_METHODS:
        if config.segmentation is None:
            raise SinrFormatError("a class-map thumbnail in a file whose model has no "
                                  "segmentation layer.")
        thumb = read_thumbnail(r, version, config.segmentation.classes)
        # the network was trained on this thumbnail's map: say so, as its configuration did
        config = replace(config, segmentation=replace(config.segmentation,
                                                      thumbnail=max(thumb.height, thumb.width)))
    if r.remaining:
        raise SinrFormatError(f"the header has {r.remaining} bytes more than its fields: the file "
                              "is damaged.")
    return Header(image, config, codec, tensors, lengths, version, thumb)


def check_whole(data: bytes, header_len: int, sections: int) -> None:
    """The file is exactly its preamble, header, ``sections`` bytes and checksum, and the
    checksum matches (before anything is decoded)."""
    expected = PREAMBLE.size + header_len + sections + CHECKSUM.size
    if expected != len(data):
        if expected > len(data):
            raise SinrFormatError(f"the file is truncated (or its lengths are damaged): its header "
                                  f"declares {expected:,} bytes, it has {len(data):,}.")
        raise SinrFormatError(f"the file has {len(data) - expected:,} bytes after its declared end.")
    verify_checksum(data)


def verify_checksum(data: bytes) -> None:
    (stored,) = CHECKSUM.unpack_from(data, len(data) - CHECKSUM.size)
    actual = zlib.crc32(memoryview(data)[: len(data) - CHECKSUM.size]) & 0xFFFFFFFF
    if stored != actual:
        raise SinrFormatError("the file is damaged: its checksum does not match its contents "
                              f"(stored {stored:08x}, computed {actual:08x}).")


# -- what the file says, for people ---------------------------------------------------------------
def bpp(n_bytes: int, height: int, width: int) -> float:
    """Bits per pixel: 8·bytes / (H·W), every byte of the file counted (docs/coding.md)."""
    return 8.0 * n_bytes / (height * width)


def write_sinr(path: str | os.PathLike, data: bytes) -> None:
    """Write a .sinr file atomically (temporary file beside it, then rename)."""
    atomic_write_bytes(Path(path), data)


def header_dict(h: Header) -> dict:
    """The header as plain JSON-able data (what ``info`` prints and the window shows)."""
    codec = h.codec
    out = {
        "format_version": h.version,
        "image": {"height": h.image.height, "width": h.image.width, "channels": h.image.channels,
                  "value_range": [h.image.value_lo, h.image.value_hi]},
        "model": h.config.to_dict(),
        "model_label": registry.label(h.config.kind),
        "parameters": h.config.parameter_count(),
        "codec": {"mode": "sinr" if codec.mode == MODE_SINR else "plain",
                  "index_bits": codec.index_bits, "flat_below": codec.flat_below,
                  "k2": codec.k2, "seed": codec.seed, "fingerprint": f"{codec.fingerprint:08x}"},
        "tensors": [{"layer": e.layer + 1, "expert": e.expert,
                     "role": "bias" if e.role == ROLE_BIAS else "weight",
                     "layout": LAYOUT_NAMES[e.layout], "s": e.s, "bits": e.bits,
                     "vec_len": e.vec_len, "n_vec": e.n_vec, "lo": e.lo, "hi": e.hi}
                    for e in h.tensors],
        "class_map": {"method": header.CLASS_MAP_METHODS[h.lengths.class_map_method],
                      "coding": header.CODING_NAMES[h.lengths.coding("class_map")],
                      "raw_bytes": h.lengths.class_map[0]},
        "streams": {name: {"coding": header.CODING_NAMES[h.lengths.coding(name)],
                           "raw_bytes": getattr(h.lengths, name)[0],
                           "coded_bytes": getattr(h.lengths, name)[1]} for name in STREAMS},
    }
    weights = [e.bits for e in h.tensors if e.role != ROLE_BIAS]
    biases = [e.bits for e in h.tensors if e.role == ROLE_BIAS]
    out["codec"]["value_bits"] = max(weights) if weights else 0
    out["codec"]["bias_bits"] = max(biases) if biases else 0
    if h.thumbnail is not None:
        out["class_map"]["thumbnail"] = [h.thumbnail.height, h.thumbnail.width]
        out["class_map"]["thresholds"] = list(h.thumbnail.thresholds)
    return out
