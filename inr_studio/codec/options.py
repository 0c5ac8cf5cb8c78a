"""What a user chooses when saving a network as .sinr (SINR leaves k2 and s open; docs/coding.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import OptionError
from .header import MAX_BITS, MAX_K2, V2, V3

VERSION = V2
#: Versions a coordinate network can be written as (3: the same layout after a family byte).
WRITABLE = (1, V2, V3)
#: "auto": the smallest coding of the map (a thumbnail map is always stored as one of the two
#: thumbnail codings); the thumbnail codings need a thumbnail map.
CLASS_MAP_CODINGS = ("auto", "bytes", "packed", "context", "thumbnail", "thumbnail-labels")



@dataclass(frozen=True)
class CodecOptions:
    """SINR settings.

    ``sparsity`` (s): non-zeros per vector, clipped per tensor to the paper's 2s < k. ``None``
    lets the encoder pick, per tensor, the smallest s whose relative weight error
    (‖W − Ŵ‖_F / ‖W‖_F, before quantisation) is at most ``target_error``; a tensor whose
    target cannot be met with 2s < k, or whose sparse code would hold more bits than the dense
    tensor, is stored dense (quantised, like ``plain``). ``k2``: dictionary atoms (≤ 65,536).
    ``bits``: uniform quantiser for values and biases (SINR: 16). ``plain``: no sparse code, the
    baseline SINR claims to beat. ``seed``: the dictionary's generator seed.
    ``tensor_bits``: one bit depth per tensor of the file's table (a bit-allocation step sets
    them; ``None``: ``bits`` for all). ``entropy``: also try the range coder on each integer
    section and keep the smaller (version 2). ``class_map_coding``: force a lossless coding of
    the HS-LoE map. ``version``: the format written (1 only for files an old reader must open;
    3 adds the model-family byte that latent-grid files need, nothing else).

    Defaults (docs/format.md, docs/results.md): target error 1 %, k2 = 4096, 16 bits. With
    ω0 = 30 SIRENs a 1 % weight error already costs dB, and most tensors cannot reach it with
    2s < k, so the default keeps quality and uses the sparse code only where it meets that bar.
    """

    sparsity: int | None = None
    target_error: float | None = 0.01
    k2: int = 4096
    bits: int = 16
    plain: bool = False
    seed: int = 0
    tensor_bits: tuple[int, ...] | None = None
    entropy: bool = True
    class_map_coding: str = "auto"
    version: int = VERSION

    def __post_init__(self) -> None:
        if not (isinstance(self.bits, int) and 1 <= self.bits <= MAX_BITS):
            raise OptionError(f"quantiser bits must be 1..{MAX_BITS}, got {self.bits}.")
        if self.tensor_bits is not None and not all(
                isinstance(b, int) and 1 <= b <= MAX_BITS for b in self.tensor_bits):
            raise OptionError(f"per-tensor bits must each be 1..{MAX_BITS}.")
        if self.class_map_coding not in CLASS_MAP_CODINGS:
            raise OptionError(f"class-map coding must be one of {', '.join(CLASS_MAP_CODINGS)}.")
        if self.version not in WRITABLE:
            raise OptionError(f"the .sinr version written must be one of "
                              f"{', '.join(map(str, WRITABLE))}.")
        if self.version == 1 and (self.tensor_bits is not None or self.entropy
                                  or self.class_map_coding not in ("auto", "bytes", "packed")):
            raise OptionError("version 1 files have one bit depth, Brotli sections and a bytes "
                              "or packed class map; use version 2 for the rest.")
        if not 0 <= int(self.seed) < 2**64:
            raise OptionError(f"the dictionary seed must be in 0..2^64-1, got {self.seed}.")
        if self.plain:
            return
        if not (isinstance(self.k2, int) and 2 <= self.k2 <= MAX_K2):
            raise OptionError(f"k2 (dictionary size) must be 2..{MAX_K2}, got {self.k2}.")
        if self.sparsity is not None:
            if not (isinstance(self.sparsity, int) and self.sparsity >= 1):
                raise OptionError(f"sparsity s must be a whole number ≥ 1, got {self.sparsity}.")
        elif self.target_error is None:
            raise OptionError("give a sparsity s, a target error, or choose plain quantisation.")
        elif not (math.isfinite(self.target_error) and 0 < self.target_error < 1):
            raise OptionError(f"the target error is a fraction in (0, 1) (0.01 = 1 %), got "
                              f"{self.target_error}.")

    def label(self) -> str:
        if self.plain:
            return f"plain {self.bits}-bit"
        s = f"s={self.sparsity}" if self.sparsity is not None else f"target {self.target_error:.3g}"
        return f"SINR {s}, k2={self.k2}, {self.bits}-bit"
