"""The ``.sinr`` header, declared once: every field's name, binary type and bounds.

Cool-Chic's bitstream header keeps one list of elements (name, bits, allowed values) from
which both the writer and the reader follow; this module does the same for ``.sinr``. A
:class:`Group` is an ordered tuple of :class:`Field` s; :meth:`Group.pack` writes a dict of
values (refusing one out of bounds, so the encoder cannot write what the reader refuses) and
:meth:`Group.read` reads one back from a :class:`Reader`, checking each field's bounds as it
goes. Which fields a version holds is part of the declaration (``Field.versions``), so
version 1 files are written byte for byte as before and version 2 adds its fields here.
Version 3 names the model family after the image (a coordinate network, laid out as in
version 2, or the latent-grid model, with its own groups at the end of this module).

Rules that tie several fields together (a sparse tensor in a plain file, channels = outputs,
lengths the tensor table implies) are the decoder's: :mod:`.decoder`.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from ..errors import OptionError, SinrFormatError
from ..models.quantiser import MAX_BITS

V1, V2, V3 = 1, 2, 3
ALL = (V1, V2, V3)
#: The fields version 2 added, which every later version keeps.
V2UP = (V2, V3)

#: Largest |A| and |β| of a grid tiling (the paper's largest A is 128).
MAX_GRID = 1e6
#: Longest model name (a registry key) a version 2 file may carry.
MAX_NAME = 32
#: Indices are 16-bit; the largest quantiser is the weight quantiser's ``MAX_BITS``.
INDEX_BITS = 16
#: Largest dictionary: its atom indices fit the index width.
MAX_K2 = 1 << INDEX_BITS
FLAT_BELOW = 50

#: Model codes of version 1 (version 2 stores the registry key as text).
V1_MODEL_CODES = {"siren": 0, "ftc": 1, "qt": 2, "hs": 3}
TILING_CODES = {"single": 0, "grid": 1, "segment": 2}
SEG_CODES = {None: 0, "multiotsu": 1, "equal": 2}
ACTIVATION_CODES = {"sine": 0, "relu": 1}
ENCODING_CODES = {"none": 0, "nerf": 1, "gauss": 2}
MODE_PLAIN, MODE_SINR = 0, 1
#: Class-map methods: none, bytes, packed (both Brotli; version 1 and 2), context-coded
#: labels, a luminance thumbnail the decoder thresholds, and that thumbnail's labels
#: context-coded (version 2; both thumbnail methods upsample by integer nearest-neighbour).
CM_NONE, CM_BYTES, CM_PACKED, CM_CONTEXT, CM_THUMBNAIL, CM_THUMB_LABELS = 0, 1, 2, 3, 4, 5
CLASS_MAP_METHODS = {CM_NONE: "none", CM_BYTES: "bytes", CM_PACKED: "packed",
                     CM_CONTEXT: "context", CM_THUMBNAIL: "thumbnail",
                     CM_THUMB_LABELS: "thumbnail-labels"}
THUMBNAIL_METHODS = (CM_THUMBNAIL, CM_THUMB_LABELS)
#: Section codings (version 2): empty, Brotli, entropy-coded (constriction range coder),
#: stored (the raw bytes as they are, when nothing codes them shorter).
CODING_NONE, CODING_BROTLI, CODING_ENTROPY, CODING_STORED = 0, 1, 2, 3
CODING_NAMES = {CODING_NONE: "none", CODING_BROTLI: "brotli", CODING_ENTROPY: "entropy",
                CODING_STORED: "stored"}
SECTIONS = ("class_map", "values", "indices", "biases")
STREAMS = SECTIONS[1:]


@dataclass(frozen=True)
class Field:
    """One header field: ``fmt`` is a struct code (``B h H I Q f d``) or ``text`` (a u8 length,
    then that many ASCII bytes). ``lo``/``hi`` bound a number (NaN never passes), ``codes``
    lists the values an enumeration allows."""

    name: str
    fmt: str
    lo: float | None = None
    hi: float | None = None
    codes: tuple | None = None
    versions: tuple[int, ...] = ALL
    when: tuple[str, tuple] | None = None  # present only if an earlier field has these values

    def check(self, value, where: str, error: type[Exception]) -> None:
        if self.fmt == "text":
            if not (isinstance(value, str) and 1 <= len(value) <= MAX_NAME and value.isascii()
                    and value.isprintable()):
                raise error(f"the {where} field '{self.name}' holds {value!r}, not a short "
                            "ASCII name.")
            return
        if self.codes is not None and value not in self.codes:
            raise error(f"unknown {where} '{self.name}' code {value!r} (known: "
                        f"{', '.join(str(c) for c in self.codes)}).")
        if isinstance(value, float) and not math.isfinite(value) and self.lo is None:
            raise error(f"the {where} field '{self.name}' holds {value!r}, not a finite number "
                        "(outside its range).")
        if (self.lo is not None and not value >= self.lo) or \
                (self.hi is not None and not value <= self.hi):
            lo = "" if self.lo is None else f"{self.lo:g}"
            hi = "" if self.hi is None else f"{self.hi:g}"
            raise error(f"the {where} field '{self.name}' holds {value!r}, outside its range "
                        f"{lo}..{hi}.")


@dataclass(frozen=True)
class Group:
    """An ordered run of fields, written with no padding."""

    name: str
    fields: tuple[Field, ...]

    def active(self, version: int) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if version in f.versions)

    def pack(self, values: dict, version: int, check: bool = True) -> bytes:
        """The fields' bytes; ``check``: refuse a value the reader would refuse (the encoder
        does; tests that craft damaged files do not)."""
        out = []
        for f in self.active(version):
            if f.when is not None and values[f.when[0]] not in f.when[1]:
                continue
            v = values[f.name]
            if check:
                f.check(v, self.name, OptionError)
            if f.fmt == "text":
                raw = v.encode("ascii")
                out.append(struct.pack("<B", len(raw)) + raw)
            else:
                out.append(_STRUCTS[f.fmt].pack(v))
        return b"".join(out)

    def read(self, r: Reader, version: int, where: str | None = None) -> dict:
        where = where or self.name
        out = {}
        for f in self.active(version):
            if f.when is not None and out[f.when[0]] not in f.when[1]:
                out[f.name] = 0
                continue
            if f.fmt == "text":
                (n,) = r.read(_STRUCTS["B"], f"{where} {f.name}")
                raw = bytes(r.take(n, f"{where} {f.name}"))
                try:
                    v = raw.decode("ascii")
                except UnicodeDecodeError:
                    v = None  # refused by the check below
            else:
                (v,) = r.read(_STRUCTS[f.fmt], f"{where} {f.name}")
            f.check(v, where, SinrFormatError)
            out[f.name] = v
        return out

    def size(self, version: int) -> int | None:
        """Bytes of the group, or None if it holds text (variable length)."""
        if any(f.fmt == "text" or f.when for f in self.active(version)):
            return None
        return sum(_STRUCTS[f.fmt].size for f in self.active(version))


_STRUCTS = {c: struct.Struct("<" + c) for c in "BhHIQfd"}


class Reader:
    """Reads fields from a byte string; running past its end is a :class:`SinrFormatError`."""

    def __init__(self, data: bytes | memoryview, what: str) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.what = what

    def take(self, n: int, field: str) -> memoryview:
        end = self.pos + n
        if end > len(self.data):
            raise SinrFormatError(f"the {self.what} ends inside its '{field}' field: the file is "
                                  "truncated or damaged.")
        out = self.data[self.pos:end]
        self.pos = end
        return out

    def read(self, st: struct.Struct, field: str) -> tuple:
        return st.unpack(self.take(st.size, field))

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos


# -- the declaration -----------------------------------------------------------------------------
PREAMBLE = struct.Struct("<8sHH")  # magic, version, header length
CHECKSUM = struct.Struct("<I")

IMAGE = Group("image", (
    Field("height", "I"), Field("width", "I"),  # 1 ≤ H·W ≤ MAX_PIXELS: the decoder (a product)
    Field("channels", "B", 1, 4),
    Field("value_lo", "f"), Field("value_hi", "f"),
))

MODEL = Group("model", (
    Field("kind", "B", codes=tuple(V1_MODEL_CODES.values()), versions=(V1,)),
    Field("kind", "text", versions=V2UP),
    Field("width", "H", 1, 4096),
    Field("hidden", "B", 1, 32),
    Field("omega0", "d", 1e-3, 1e4 - 1e-9),
    Field("in_features", "B", codes=(2,)),
    Field("out_features", "B", 1, 4),
    Field("seg_method", "B", codes=tuple(SEG_CODES.values())),
    Field("seg_classes", "B", 0, 16),
    Field("activation", "B", codes=tuple(ACTIVATION_CODES.values()), versions=V2UP),
    Field("encoding", "B", codes=tuple(ENCODING_CODES.values()), versions=V2UP),
    Field("pe_levels", "B", 0, 16, versions=V2UP, when=("encoding", (1,))),
    Field("pe_features", "H", 0, 4096, versions=V2UP, when=("encoding", (2,))),
    Field("pe_sigma", "d", 0.0, 1e4, versions=V2UP, when=("encoding", (2,))),
    Field("pe_seed", "Q", 0, 2**63 - 1, versions=V2UP, when=("encoding", (2,))),
    Field("gradient_fit", "B", codes=(0, 1), versions=V2UP),
))

TILING = Group("tiling", (
    Field("kind", "B", codes=tuple(TILING_CODES.values())),
    Field("classes", "B"),
    Field("scale", "d", -MAX_GRID, MAX_GRID),
    Field("shift", "d", -MAX_GRID, MAX_GRID),
))

CODEC = Group("codec", (
    Field("mode", "B", codes=(MODE_PLAIN, MODE_SINR)),
    Field("value_bits", "B", 1, MAX_BITS, versions=(V1,)),  # version 2: per tensor
    Field("bias_bits", "B", 1, MAX_BITS, versions=(V1,)),
    Field("index_bits", "B", codes=(INDEX_BITS,)),
    Field("flat_below", "H"),
    Field("k2", "I", 0, MAX_K2),
    Field("seed", "Q"),
    Field("fingerprint", "I"),
))

TENSOR_COUNT = Group("tensor table", (Field("count", "H"),))

TENSOR = Group("tensor", (
    Field("layer", "B"), Field("expert", "B"),
    Field("role", "B", codes=(0, 1)),
    Field("layout", "B", codes=(0, 1, 2, 3)),
    Field("s", "H"),
    Field("bits", "B", 1, MAX_BITS, versions=V2UP),
    Field("lo", "f"), Field("hi", "f"),  # finite, lo ≤ hi: the decoder (names the tensor)
))

#: Version 1: the class-map method, then (raw, coded) of each section.
LENGTHS_V1 = Group("lengths", (
    Field("class_map_method", "B", codes=(CM_NONE, CM_BYTES, CM_PACKED)),
    *(f for s in SECTIONS for f in (Field(f"{s}_raw", "I"), Field(f"{s}_coded", "I"))),
))

#: Version 2: the class-map method, then (coding, raw, coded) of each section.
SECTIONS_V2 = Group("sections", (
    Field("class_map_method", "B", codes=tuple(CLASS_MAP_METHODS)),
    *(f for s in SECTIONS for f in (Field(f"{s}_coding", "B", codes=tuple(CODING_NAMES)),
                                    Field(f"{s}_raw", "I"), Field(f"{s}_coded", "I"))),
))

#: Version 2, class map by thumbnail only: its size; then ``classes − 1`` u8 thresholds.
THUMBNAIL = Group("thumbnail", (Field("thumb_height", "H", 1, 4096),
                                Field("thumb_width", "H", 1, 4096)))
THRESHOLD = Group("threshold", (Field("threshold", "B"),))

#: Version 2, an entropy-coded integer section opens with one model per tensor that has
#: integers in it (table order): a quantised Gaussian or Laplace over 0..2^bits − 1.
ENTROPY_FAMILIES = {0: "gaussian", 1: "laplace"}
MAX_LOC = float(1 << 17)
ENTROPY_MODEL = Group("entropy model", (
    Field("family", "B", codes=tuple(ENTROPY_FAMILIES)),
    Field("loc", "f", -MAX_LOC, MAX_LOC),
    Field("scale", "f", 1.0 / 16, MAX_LOC),
))

# -- version 3 ---------------------------------------------------------------------------------
#: After the image group: which family of model the file holds.
FAMILY_COORDINATE, FAMILY_LATENT = 0, 1
FAMILY_NAMES = {FAMILY_COORDINATE: "coordinate network", FAMILY_LATENT: "latent grids"}
FAMILY = Group("family", (Field("family", "B", codes=tuple(FAMILY_NAMES), versions=(V3,)),))

#: The latent-grid model (family 1): its shape, then its alphabet of latent values.
UPSAMPLING_CODES = {"bilinear": 0, "bicubic": 1}
MAX_LATENT = 1 << 12
LATENT_MODEL = Group("latent model", (
    Field("kind", "text", versions=(V3,)),
    Field("grids", "B", 1, 12, versions=(V3,)),
    Field("synthesis_width", "H", 1, 256, versions=(V3,)),
    Field("arm_context", "B", 1, 40, versions=(V3,)),
    Field("arm_hidden", "B", 0, 4, versions=(V3,)),
    Field("upsampling", "B", codes=tuple(UPSAMPLING_CODES.values()), versions=(V3,)),
    Field("latent_lo", "h", -MAX_LATENT, MAX_LATENT - 1, versions=(V3,)),
    Field("latent_hi", "h", -MAX_LATENT, MAX_LATENT - 1, versions=(V3,)),
))
#: Quantisation steps 2^−e of the two modules' weights and biases.
MAX_STEP_EXP = 12
LATENT_STEPS = Group("quantisation steps", tuple(
    Field(f"{module}_{role}_exp", "B", 0, MAX_STEP_EXP, versions=(V3,))
    for module in ("arm", "synthesis") for role in ("weight", "bias")))
#: Coded bytes of the two sections that follow the header.
LATENT_SECTIONS = Group("latent sections", (
    Field("weights_coded", "I", versions=(V3,)), Field("latents_coded", "I", versions=(V3,))))
