"""The latent-grid model's command-line options (``fit``, ``encode``, ``bench``): its rate
weight λ, complexity preset and the measured alternatives of its training and upsampling."""

from __future__ import annotations

import argparse
import math

from ..errors import OptionError
from ..models.latent_config import DEFAULT_PRESET, MAX_CONTEXT, PRESETS, UPSAMPLINGS
from ..models.registry import LATENT_LAMBDA

#: Options that apply to the latent model only: option -> (dest, the models it applies to).
LATENT_SPECIFIC = {
    "--lambda": ("latent_lambda", ("latent",)),
    "--latent-preset": ("latent_preset", ("latent",)),
    "--latent-quantiser": ("latent_quantiser", ("latent",)),
    "--latent-upsampling": ("latent_upsampling", ("latent",)),
    "--latent-context": ("latent_context", ("latent",)),
}


def add_latent_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("latent grids (latent)")
    g.add_argument("--lambda", dest="latent_lambda", type=float, default=None, metavar="L",
                   help="rate weight λ: training minimises MSE + λ·bits/pixel (default "
                        f"{LATENT_LAMBDA:g}; larger: smaller files, lower PSNR)")
    g.add_argument("--latent-preset", default=None, choices=tuple(PRESETS),
                   help=f"decoding complexity in MACs per pixel (default {DEFAULT_PRESET})")
    g.add_argument("--latent-quantiser", default=None, choices=("noise", "softround"),
                   help="how training stands in for rounding before its last straight-through "
                        "steps: soft-rounding with noise (default) or additive uniform noise")
    g.add_argument("--latent-upsampling", default=None, choices=UPSAMPLINGS,
                   help="how the grids are brought to the picture's size (default bilinear)")
    g.add_argument("--latent-context", type=int, default=None, metavar="C",
                   help="causal neighbours the probability model sees (default: the preset's)")


def latent_options(args: argparse.Namespace) -> dict:
    """The :class:`ModelOptions` fields of the latent options, checked."""
    lam = getattr(args, "latent_lambda", None)
    ctx = getattr(args, "latent_context", None)
    if lam is not None and not (0 <= lam < 1e3 and math.isfinite(lam)):
        raise OptionError(f"--lambda must be 0 or more (and below 1000), got {lam}.")
    if ctx is not None and not 1 <= ctx <= MAX_CONTEXT:
        raise OptionError(f"--latent-context must be 1..{MAX_CONTEXT}, got {ctx}.")
    target = getattr(args, "target_psnr", None) if getattr(args, "model", None) == "latent" else None
    if target is not None and not (0 < target < 100):
        raise OptionError(f"--target-psnr must be in (0, 100) dB, got {target}.")
    return {"latent_lambda": LATENT_LAMBDA if lam is None else float(lam),
            "latent_preset": getattr(args, "latent_preset", None) or DEFAULT_PRESET,
            "latent_quantiser": getattr(args, "latent_quantiser", None) or "softround",
            "latent_upsampling": getattr(args, "latent_upsampling", None) or "bilinear",
            "latent_context": ctx, "latent_target_psnr": target}


def parse_lambdas(text: str | None) -> tuple[float, ...]:
    """'0.01,0.002' → (0.01, 0.002); None: the default ladder."""
    from ..studies.latent_ladder import LAMBDAS

    if text is None:
        return LAMBDAS
    try:
        out = tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise OptionError(f"--lambdas {text!r} is not a comma-separated list of numbers.") from None
    if not out or not all(0 <= x < 1e3 for x in out):
        raise OptionError(f"--lambdas must list one or more λ in [0, 1000), got {text!r}.")
    return out
