"""The ``.sinr`` version 3 layout of the latent-grid model (family 1; docs/format.md):

    preamble   magic · version 3 · header length
    header     image · family (1) · latent model · quantisation steps · latent sections
    weights    the ARM's and the synthesis' integers, entropy-coded (:mod:`.entropy`)
    latents    every latent, range-coded in wavefront order (:mod:`.latent_codec`)
    checksum   CRC-32 of every byte before it

Every header field is declared in :mod:`.header`; the reader checks each bound as it reads,
then the rules across fields (:func:`_check`) before decoding anything.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

import numpy as np

from ..errors import OptionError, SinrFormatError
from ..imaging import MAX_PIXELS
from ..models import registry
from ..models.latent_config import LatentConfig
from ..models.latent_net import LatentNet
from . import container as C
from . import header as F
from .header import V3
from .latent_codec import (LatentCode, decode_latents, decode_weights, encode_latents,
                           encode_weights, find_code)
from .sinr_file import SinrFile

#: Largest image a latent-grid file may declare, and its longest side: decoding is a
#: sequential wavefront (about W + 4·H steps), so both bound a hostile file's decoding time.
MAX_LATENT_PIXELS = 1 << 19
MAX_LATENT_SIDE = 1024
_UPSAMPLING = {v: k for k, v in F.UPSAMPLING_CODES.items()}


@dataclass(frozen=True)
class LatentHeader:
    image: C.ImageInfo
    config: LatentConfig
    lo: int
    hi: int
    exps: dict  # "{arm,synthesis}_{weight,bias}_exp" → e (step 2^−e)
    weights_coded: int
    latents_coded: int


def header_groups(h: LatentHeader, check: bool = False) -> dict[str, bytes]:
    cfg = h.config
    model = dict(kind=cfg.kind, grids=cfg.grids, synthesis_width=cfg.synthesis_width,
                 arm_context=cfg.arm_context, arm_hidden=cfg.arm_hidden,
                 upsampling=F.UPSAMPLING_CODES[cfg.upsampling], latent_lo=h.lo, latent_hi=h.hi)
    return {
        "image": F.IMAGE.pack(h.image.__dict__, V3, check),
        "family": F.FAMILY.pack({"family": F.FAMILY_LATENT}, V3, check),
        "latent_model": F.LATENT_MODEL.pack(model, V3, check),
        "steps": F.LATENT_STEPS.pack(h.exps, V3, check),
        "sections": F.LATENT_SECTIONS.pack({"weights_coded": h.weights_coded,
                                            "latents_coded": h.latents_coded}, V3, check),
    }


def pack(h: LatentHeader, weights: bytes, latents: bytes, check: bool = False) -> bytes:
    header = b"".join(header_groups(h, check).values())
    body = C.PREAMBLE.pack(C.MAGIC, V3, len(header)) + header + weights + latents
    return body + C.CHECKSUM.pack(zlib.crc32(body) & 0xFFFFFFFF)


def read_header(data: bytes, version: int, header_len: int) -> LatentHeader:
    r = C.header_reader(data, header_len)
    image = C.ImageInfo(**F.IMAGE.read(r, version))
    F.FAMILY.read(r, version)
    m = F.LATENT_MODEL.read(r, version)
    exps = F.LATENT_STEPS.read(r, version)
    sec = F.LATENT_SECTIONS.read(r, version)
    if r.remaining:
        raise SinrFormatError(f"the header has {r.remaining} bytes more than its fields: the file "
                              "is damaged.")
    _check_image(image)
    try:
        config = LatentConfig(image.height, image.width, m["grids"], m["synthesis_width"],
                              m["arm_context"], m["arm_hidden"], _UPSAMPLING[m["upsampling"]],
                              kind=m["kind"])
        config.validate()
    except OptionError as exc:
        raise SinrFormatError(f"the latent model in the header is impossible ({exc})") from exc
    if not m["latent_lo"] < m["latent_hi"]:
        raise SinrFormatError(f"the latent alphabet {m['latent_lo']}..{m['latent_hi']} is not "
                              "a range of two or more values.")
    return LatentHeader(image, config, m["latent_lo"], m["latent_hi"], exps,
                        sec["weights_coded"], sec["latents_coded"])


def _check_image(image: C.ImageInfo) -> None:
    h, w = image.height, image.width
    if not (1 <= h <= MAX_LATENT_SIDE and 1 <= w <= MAX_LATENT_SIDE and h * w <= MAX_LATENT_PIXELS):
        raise SinrFormatError(f"the header declares latent grids for a {w}×{h} image (at most "
                              f"{MAX_LATENT_SIDE} px a side and {MAX_LATENT_PIXELS:,} pixels).")
    if image.channels != 3:
        raise SinrFormatError(f"the header declares {image.channels} channels; latent-grid "
                              "models draw 3.")
    if (image.value_lo, image.value_hi) != (-1.0, 1.0):
        raise SinrFormatError(f"value range [{image.value_lo}, {image.value_hi}] is not supported "
                              "(networks output [-1, 1]).")


def decode_latent(data: bytes, version: int, header_len: int) -> SinrFile:
    h = read_header(data, version, header_len)
    C.check_whole(data, header_len, h.weights_coded + h.latents_coded)
    start = C.PREAMBLE.size + header_len
    view = memoryview(data)
    weights = view[start:start + h.weights_coded]
    latents = view[start + h.weights_coded:start + h.weights_coded + h.latents_coded]
    net, codes = decode_weights(h.config, weights, h.exps)
    net.set_latents(decode_latents(h.config, codes["arm"], latents, h.lo, h.hi))
    net.eval()
    return SinrFile(net, h.image.height, h.image.width, None, header_dict(h),
                    sections(h, header_len))


def sections(h: LatentHeader, header_len: int) -> dict[str, int]:
    """Bytes per part of the file, in file order; they sum to the file size."""
    groups = {k: len(v) for k, v in header_groups(h).items()}
    assert sum(groups.values()) == header_len
    out = {"preamble": C.PREAMBLE.size}
    out.update({f"header.{k}": v for k, v in groups.items()})
    out.update(weights=h.weights_coded, latents=h.latents_coded, checksum=C.CHECKSUM.size)
    return out


def header_dict(h: LatentHeader) -> dict:
    """The header as plain JSON-able data (``info``, the window)."""
    cfg = h.config
    return {
        "format_version": V3,
        "family": F.FAMILY_NAMES[F.FAMILY_LATENT],
        "image": {"height": h.image.height, "width": h.image.width,
                  "channels": h.image.channels,
                  "value_range": [h.image.value_lo, h.image.value_hi]},
        "model": cfg.to_dict(),
        "model_label": registry.label(cfg.kind),
        "parameters": cfg.decoder_parameter_count(),
        "latents": cfg.latent_count(),
        "grid_shapes": [list(s) for s in cfg.grid_shapes()],
        "macs_per_pixel": cfg.macs_per_pixel(),
        "latent_alphabet": [h.lo, h.hi],
        "quantisation_steps": {k.removesuffix("_exp"): f"2^-{v}" for k, v in h.exps.items()},
        "streams": {"weights": {"coding": "entropy", "coded_bytes": h.weights_coded},
                    "latents": {"coding": "wavefront range coding (integer ARM, Laplace)",
                                "coded_bytes": h.latents_coded}},
    }


# ---------------------------------------------------------------------------------- encoding
@dataclass(frozen=True)
class LatentReport:
    """What the encoder chose and measured."""

    code: LatentCode
    seconds: float

    @property
    def psnr_float(self) -> float:
        return self.code.psnr_float

    @property
    def psnr(self) -> float:
        return self.code.psnr


def encode_latent_model(net: LatentNet, image: np.ndarray, lam: float | None = None
                        ) -> tuple[bytes, LatentReport]:
    """The ``.sinr`` bytes of a trained latent-grid network; ``image`` (H×W×3 in [0, 1], the
    picture it was trained on) is what the synthesis' quantisation step is measured against,
    at the rate weight ``lam`` (default: the λ the network was trained with, if it records one)."""
    t0 = time.perf_counter()
    cfg = net.config
    if tuple(image.shape[:2]) != (cfg.height, cfg.width):
        raise OptionError(f"the image is {image.shape[1]}×{image.shape[0]}, the latent grids "
                          f"were trained for {cfg.width}×{cfg.height}.")
    if cfg.height * cfg.width > min(MAX_LATENT_PIXELS, MAX_PIXELS) or \
            max(cfg.height, cfg.width) > MAX_LATENT_SIDE:
        raise OptionError(f"latent-grid files hold images of at most {MAX_LATENT_SIDE} px a side "
                          f"and {MAX_LATENT_PIXELS:,} pixels; this one is {cfg.width}×{cfg.height}.")
    try:
        code = find_code(net, image, lam if lam is not None else getattr(net, "rate_lambda", None))
    except ValueError as exc:
        raise OptionError(f"this latent-grid network cannot be stored ({exc}).") from exc
    weights, latents = encode_weights(code), encode_latents(code)
    h = LatentHeader(C.ImageInfo(cfg.height, cfg.width, 3), cfg, code.lo, code.hi,
                     {f"{m}_{r}_exp": getattr(getattr(code, m), f"{r}_exp")
                      for m in ("arm", "synthesis") for r in ("weight", "bias")},
                     len(weights), len(latents))
    data = pack(h, weights, latents, check=True)
    return data, LatentReport(code, time.perf_counter() - t0)
