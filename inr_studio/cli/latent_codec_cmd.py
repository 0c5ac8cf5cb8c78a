"""``encode --model latent`` and ``info`` of a latent-grid file: the latent model's side of the
codec sub-commands (:mod:`.codec_cmd` dispatches here)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..errors import OptionError
from .budget import byte_budget

#: Coordinate-network coding options, with their defaults: none applies to latent grids.
_NOT_FOR_LATENT = {"plain": False, "sparsity": None, "target_error": None, "qat_steps": 0,
                   "thumbnail_map": None, "no_entropy": False, "class_map_coding": "auto"}


def check_latent_encode(args: argparse.Namespace) -> None:
    """Refuse the options of coordinate networks' files (one line naming the first)."""
    for dest, default in _NOT_FOR_LATENT.items():
        if getattr(args, dest, default) != default:
            option = "--" + dest.replace("_", "-")
            raise OptionError(f"{option} applies to coordinate networks' files; the latent "
                              "model's file is set by --lambda (or --target-psnr) and "
                              "--latent-preset.")


def run_latent_encode(args: argparse.Namespace, out: Path, fit_image) -> int:
    """Train the latent model on the image (``fit_image``: codec_cmd's fitting), then write
    its file: weights' steps searched, every latent range-coded."""
    from ..codec import decode_bytes, write_sinr
    from ..codec.latent_file import encode_latent_model
    from ..metrics import psnr

    check_latent_encode(args)
    _check_size(args)
    model, h, w, _, reference, before, trained = fit_image(args)
    data, report = encode_latent_model(model, reference)
    write_sinr(out, data)
    decoded = decode_bytes(data)
    after = psnr(decoded.render(), reference)
    cfg = model.config
    lam = getattr(model, "rate_log_lambda", None)
    rate = (f"λ reached {math.exp(float(lam)):.3g} for {args.target_psnr:g} dB"
            if lam is not None else f"λ = {args.latent_lambda or _default_lambda():g}")
    print(f"wrote {out}: {len(data):,} bytes, {decoded.bpp:.3f} bpp at {w}×{h}; latent grids "
          f"({cfg.grids} grids, {cfg.macs_per_pixel():.0f} MACs/pixel), {rate}; PSNR "
          f"{before:.2f} dB after training, {report.psnr_float:.2f} dB with the latents rounded, "
          f"{after:.2f} dB decoded; weights {decoded.sections['weights']:,} bytes, latents "
          f"{decoded.sections['latents']:,} bytes; encoded in {report.seconds:.1f} s; {trained}")
    return 0


def _check_size(args: argparse.Namespace) -> None:
    """A picture too large for a latent-grid file is refused before any training."""
    from ..codec.latent_file import MAX_LATENT_PIXELS, MAX_LATENT_SIDE
    from .common import load_working

    h, w = load_working(args, args.input, warn=False)[1].shape[:2]
    if max(h, w) > MAX_LATENT_SIDE or h * w > MAX_LATENT_PIXELS:
        raise OptionError(f"a latent-grid file holds at most {MAX_LATENT_SIDE} px a side and "
                          f"{MAX_LATENT_PIXELS:,} pixels; this picture is {w}×{h} at --scale "
                          f"{args.scale:g}: use a smaller --scale.")


def _default_lambda() -> float:
    from ..models.registry import LATENT_LAMBDA

    return LATENT_LAMBDA


def refuse_latent_checkpoint() -> None:
    raise OptionError("a latent-grid checkpoint is encoded from its image: its weights' "
                      "quantisation steps are searched against the picture; run encode IMAGE "
                      "--model latent.")


def format_latent_info(f, name: str, size: int) -> str:
    hd = f.header
    cfg = hd["model"]
    steps = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in hd["quantisation_steps"].items())
    shapes = " ".join(f"{w}×{h}" for h, w in hd["grid_shapes"])
    lines = [
        f"{name}: .sinr version {hd['format_version']}, {size:,} bytes, {f.bpp:.3f} bpp at "
        f"{f.width}×{f.height} ({hd['image']['channels']} channels)",
        f"model:  {hd['model_label']} ({hd['family']}), {cfg['grids']} grids ({shapes}), "
        f"{hd['latents']:,} latents in {hd['latent_alphabet'][0]}..{hd['latent_alphabet'][1]}",
        f"        synthesis {cfg['grids']} → {cfg['synthesis_width']} → 3 + two 3×3 residual, "
        f"{cfg['upsampling']} upsampling; ARM {cfg['arm_context']} neighbours, "
        f"{cfg['arm_hidden']} hidden layers; {hd['parameters']:,} decoder parameters, "
        f"{hd['macs_per_pixel']:.0f} MACs/pixel",
        f"coding: steps {steps}; weights entropy-coded, latents range-coded (integer ARM, "
        "Laplace, wavefront order)",
        "",
        *byte_budget(f, size),
    ]
    return "\n".join(lines)
