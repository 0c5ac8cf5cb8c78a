"""Options shared by the sub-commands that fit a network: model, training, image scale, device.

``fit``, ``bench`` and ``encode`` take the same options with the same meaning, so they are
declared once here. Validation turns every impossible value into an :class:`OptionError`
naming the option, which ``main`` prints as one line with exit code 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from ..device import pick_device
from ..engine.config import TrainConfig
from ..errors import OptionError
from ..imaging import LoadedImage, load_image, resize_image, scaled_size
from ..models import registry
from ..models.config import ModelConfig
from ..models.registry import ModelOptions
from ..models.spec import ModelSpec
from ..segmentation import SEG_METHODS
from ..tiling import aliasing_warning, auto_tile_scale
from .latent_options import LATENT_SPECIFIC, add_latent_options, latent_options

TILE_SCALE_HELP = ("multiplier on every LoE scale A_i: 'paper' (1, the paper's A for 768×512), "
                   "'auto' (keeps the paper's cell sizes in pixels at this image size) or a number")


def add_model_options(parser: argparse.ArgumentParser, *, model: bool = True,
                      model_default: str | None = "hs", train: bool = True,
                      image: bool = True) -> None:
    """Declare the network options (and, by default, the training and ``--scale`` options).

    ``model=False`` leaves ``--model`` out (``bench`` takes ``--models``).
    """
    g = parser.add_argument_group("network")
    if model:
        g.add_argument("--model", default=model_default, required=model_default is None,
                       choices=list(registry.REGISTRY), metavar="MODEL",
                       help="; ".join(f"{e.key}: {e.label}" for e in registry.REGISTRY.values())
                            + (f"; default {model_default}" if model_default else ""))
    g.add_argument("--width", type=int, default=256, help="hidden width (default 256)")
    g.add_argument("--depth", type=int, default=3, help="hidden layers (default 3)")
    g.add_argument("--omega0", type=float, default=30.0, help="SIREN ω0 (default 30)")
    g.add_argument("--tile-scale", default="paper", help=TILE_SCALE_HELP)
    g.add_argument("--seg-layer", type=int, default=None,
                   help="HS-LoE: the layer (1-based) whose tiling is the segmentation "
                        "(default: the last)")
    g.add_argument("--seg-method", default=None, choices=SEG_METHODS,
                   help="HS-LoE thresholds: multiotsu (default) or equal (equal-size bins)")
    g.add_argument("--seg-classes", type=int, default=None, help="HS-LoE classes (default 4)")
    add_encoding_options(parser)
    add_latent_options(parser)
    if train:
        add_train_options(parser)
    if image:
        add_image_options(parser)


#: Options that apply to some models only: option -> (dest, the models it applies to).
PE_MODELS = ("pe-relu", "pe-siren")
MODEL_SPECIFIC = {
    "--seg-layer": ("seg_layer", ("hs",)), "--seg-method": ("seg_method", ("hs",)),
    "--seg-classes": ("seg_classes", ("hs",)),
    "--pe": ("pe", PE_MODELS), "--pe-gauss": ("pe_gauss", PE_MODELS),
    "--pe-features": ("pe_features", PE_MODELS),
    "--eoren-pixel-weight": ("eoren_pixel_weight", ("eoren",)),
    "--eoren-colour-steps": ("eoren_colour_steps", ("eoren",)),
    **LATENT_SPECIFIC,
}


def add_encoding_options(parser: argparse.ArgumentParser) -> None:
    """The positional encoding of pe-relu/pe-siren (SPEC §8) and EoREN's stage options (§7)."""
    g = parser.add_argument_group("positional encoding (pe-relu, pe-siren) and EoREN")
    g.add_argument("--pe", type=int, default=None, metavar="L",
                   help="NeRF frequencies 2^0..2^(L-1) (the default encoding; default L = "
                        "floor(log2(longest side)) of the working size, 9 at 768 px)")
    g.add_argument("--pe-gauss", type=float, nargs="?", const=5.0, default=None,
                   metavar="SIGMA", help="Gaussian Fourier features instead, B ~ N(0, SIGMA²) "
                                         "(SIGMA 5 if omitted; coordinates span [-1, 1])")
    g.add_argument("--pe-features", type=int, default=None, metavar="M",
                   help="rows of B for --pe-gauss (default 256)")
    g.add_argument("--eoren-pixel-weight", type=float, default=None, metavar="A",
                   help="EoREN: weight of a pixel term in the gradient stage, times "
                        "(longest side / 2)² (default 0: gradients only)")
    g.add_argument("--eoren-colour-steps", type=int, default=None, metavar="N",
                   help="EoREN: pixel steps after the gradient stage, at lr/10 (default 0: "
                        "only the closed-form colour constant)")


def check_model_specific(args: argparse.Namespace, models: list[str] | tuple[str, ...]) -> None:
    """An option for a model that is not in the run is an error (one readable line)."""
    for option, (dest, owners) in MODEL_SPECIFIC.items():
        if getattr(args, dest, None) is not None and not set(owners) & set(models):
            which = " or ".join(owners)
            raise OptionError(f"{option} only applies to the {which} model; drop it or "
                              f"choose the {which} model.")


def encoding_options(args: argparse.Namespace) -> dict:
    """The :class:`ModelOptions` fields of the encoding and EoREN options, checked."""
    pe, sigma, feats = (getattr(args, k, None) for k in ("pe", "pe_gauss", "pe_features"))
    weight, colour = getattr(args, "eoren_pixel_weight", None), getattr(args, "eoren_colour_steps", None)
    if pe is not None and sigma is not None:
        raise OptionError("--pe and --pe-gauss are two encodings; give one of them.")
    if pe is not None and not 1 <= pe <= 16:
        raise OptionError(f"--pe must be 1..16 frequency levels, got {pe}.")
    if sigma is not None and not (0 < sigma < 1e4 and math.isfinite(sigma)):
        raise OptionError(f"--pe-gauss SIGMA must be positive (and below 10000), got {sigma}.")
    if feats is not None and sigma is None:
        raise OptionError("--pe-features applies to --pe-gauss; add --pe-gauss or drop it.")
    if feats is not None and not 1 <= feats <= 4096:
        raise OptionError(f"--pe-features must be 1..4096, got {feats}.")
    if weight is not None and not (weight >= 0 and math.isfinite(weight)):
        raise OptionError(f"--eoren-pixel-weight must be 0 or more, got {weight}.")
    if colour is not None and not 0 <= colour <= 1_000_000:
        raise OptionError(f"--eoren-colour-steps must be 0 or more, got {colour}.")
    return {"pe_levels": pe, "pe_sigma": sigma, "pe_features": feats or 256,
            "pe_seed": int(getattr(args, "seed", 0) or 0),
            "eoren_pixel_weight": weight or 0.0, "eoren_colour_steps": colour or 0}


def add_train_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("training")
    g.add_argument("--iters", type=int, default=TrainConfig.iters,
                   help=f"Adam steps (default {TrainConfig.iters}, the paper's)")
    g.add_argument("--lr", type=float, default=TrainConfig.lr,
                   help=f"learning rate (default {TrainConfig.lr:g})")
    g.add_argument("--batch-pixels", type=int, default=None,
                   help="random pixels per step (default: every pixel, the paper's full batch)")
    g.add_argument("--warmup", type=float, default=0.0, metavar="SHARE",
                   help="coarse warm-up: this share of the steps (e.g. 0.25) first fits one "
                        "random pixel of each 2×2 cell, about 4× cheaper a step (default 0, "
                        "the paper; the window's CPU default is 0.25)")
    g.add_argument("--device", default="auto", help="auto (default), cpu, cuda or mps")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--fast", action="store_true",
                   help="fast training step (fused Adam, CUDA graph on CUDA); experimental, "
                        "not yet measured on a GPU")


def add_image_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fit the image resized by this factor (default 1, full size)")


def parse_tile_scale(value: str | float | None, height: int, width: int) -> float:
    """'paper' → 1, 'auto' → :func:`auto_tile_scale`, else a positive number."""
    if value is None:
        return 1.0
    text = str(value).strip().lower()
    if text == "paper":
        return 1.0
    if text == "auto":
        return auto_tile_scale(height, width)
    try:
        number = float(text)
    except ValueError:
        raise OptionError(f"--tile-scale {value!r} is not understood; use paper, auto or a "
                          "positive number.") from None
    if not (number > 0 and math.isfinite(number)):
        raise OptionError(f"--tile-scale must be positive, got {value}; use paper, auto or a "
                          "positive number.")
    return number


def model_config_from_args(args: argparse.Namespace, height: int, width: int,
                           kind: str | None = None) -> ModelConfig:
    """The :class:`ModelConfig` the options describe for an H×W image."""
    return spec_from_args(args, height, width, kind).config


def spec_from_args(args: argparse.Namespace, height: int, width: int,
                   kind: str | None = None) -> ModelSpec:
    """The :class:`ModelSpec` (network and training phases) the options describe.

    With ``kind`` given (``bench`` runs several models), the HS-LoE options apply to the hs
    runs only; with the kind from ``--model``, giving them for another model is an error.
    """
    strict = kind is None
    kind = kind or getattr(args, "model", None)
    entry = registry.entry(str(kind))
    w, d = getattr(args, "width", 256), getattr(args, "depth", 3)
    if w is None or w < 1:
        raise OptionError(f"--width must be at least 1, got {w}.")
    if d is None or d < 1:
        raise OptionError(f"--depth must be at least 1, got {d}.")
    omega0 = getattr(args, "omega0", 30.0)
    if not (omega0 > 0 and math.isfinite(omega0)):
        raise OptionError(f"--omega0 must be positive, got {omega0}.")
    seg_layer = getattr(args, "seg_layer", None)
    seg_method = getattr(args, "seg_method", None)
    seg_classes = getattr(args, "seg_classes", None)
    if strict:
        check_model_specific(args, (str(kind),))
    if kind != "hs":
        seg_layer = seg_method = seg_classes = None
    elif seg_layer is not None and not 1 <= seg_layer <= d + 1:
        raise OptionError(f"--seg-layer must be 1..{d + 1} (the linear layers of a depth-{d} "
                          f"network), got {seg_layer}.")
    if seg_classes is not None and not 2 <= seg_classes <= 16:
        raise OptionError(f"--seg-classes must be 2..16, got {seg_classes}.")
    tile_scale = parse_tile_scale(getattr(args, "tile_scale", "paper"), height, width)
    options = ModelOptions(width=w, depth=d, omega0=omega0, tile_scale=tile_scale,
                           seg_layer=seg_layer, seg_method=seg_method or "multiotsu",
                           seg_classes=seg_classes or 4, image_size=(height, width),
                           **encoding_options(args), **latent_options(args))
    return entry.spec(options)


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    """A :class:`TrainConfig`; the device is checked now, before any image is read."""
    iters = getattr(args, "iters", TrainConfig.iters)
    lr = getattr(args, "lr", TrainConfig.lr)
    batch = getattr(args, "batch_pixels", None)
    if iters is None or iters < 1:
        raise OptionError(f"--iters must be at least 1, got {iters}.")
    if not (lr is not None and 0 < lr < 1):
        raise OptionError(f"--lr must be in (0, 1), got {lr}; the paper's range is about 1e-4.")
    if batch is not None and batch < 1:
        raise OptionError(f"--batch-pixels must be at least 1, got {batch} "
                          "(omit it for full batch).")
    seed = getattr(args, "seed", 0)
    if seed is None or not 0 <= seed < 2**63:
        raise OptionError(f"--seed must be a whole number in 0..2^63-1, got {seed}.")
    device = getattr(args, "device", "auto") or "auto"
    pick_device(device)  # raises OptionError naming the devices available here
    warmup = getattr(args, "warmup", 0.0) or 0.0
    if not 0 <= warmup < 1:
        raise OptionError(f"--warmup must be a share of the steps in [0, 1), got {warmup}.")
    return TrainConfig(iters=iters, lr=lr, batch_pixels=batch, seed=seed, device=device,
                       fast=bool(getattr(args, "fast", False)), warmup=warmup)


def check_scale(scale: float | None) -> float:
    scale = 1.0 if scale is None else float(scale)
    if not (scale > 0 and math.isfinite(scale)):
        raise OptionError(f"--scale must be positive (1 = full size, 0.5 = half), got {scale}.")
    return scale


def load_scaled(path: str | Path, scale: float = 1.0, max_pixels: int | None = None,
                warn: bool = True) -> tuple[LoadedImage, np.ndarray]:
    """Read an image and resize it by ``scale``; the loader's notes go to stderr as warnings."""
    scale = check_scale(scale)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the notes are printed below, once, as plain lines
        loaded = load_image(path) if max_pixels is None else load_image(path, max_pixels)
    if warn:
        for note in loaded.notes:
            warn_line(note)
    h, w = scaled_size(loaded.height, loaded.width, scale)
    pixels = resize_image(loaded.pixels, h, w)
    return loaded, pixels


def prepare_fit(args: argparse.Namespace, image: str | Path):
    """``image`` resized by ``--scale`` and the model spec the options describe (aliasing
    warned): what ``fit`` and ``encode IMAGE`` both start from.

    Returns ``(loaded_image, pixels, spec, aliasing_message_or_None)``.
    """
    loaded, pixels = load_scaled(image, getattr(args, "scale", 1.0))
    h, w = pixels.shape[:2]
    spec = spec_from_args(args, h, w)
    alias = warn_if_aliasing(spec.config, h, w)
    check_fits(args, pixels, (spec,))  # before segmenting a photo too large to train
    check_segmentable(pixels, spec)
    return loaded, pixels, spec, alias


def check_fits(args: argparse.Namespace, pixels: np.ndarray, specs: tuple) -> None:
    """The memory guard before any training, its way out in this command's terms (``--scale``
    relative to the source image); the engine checks again for every run (``bench``)."""
    from ..engine.memory import check_memory

    device = pick_device(getattr(args, "device", "auto") or "auto")
    h, w = pixels.shape[:2]
    check_memory(specs, h, w, getattr(args, "batch_pixels", None), str(device),
                 pixels.shape[2] if pixels.ndim == 3 else 1,
                 scale=check_scale(getattr(args, "scale", 1.0)))


def check_segmentable(pixels: np.ndarray, spec: ModelSpec) -> None:
    """An image the model's segmentation cannot split is refused now, before any training."""
    if spec.config.segmentation is not None:
        from ..segmentation import segment

        segment(pixels, spec.config.segmentation)


def progress_bar(total: int, desc: str = "", quiet: bool = False):
    """tqdm on stderr: percentage, steps, rate, elapsed and ETA (tqdm computes them)."""
    from tqdm import tqdm

    tty = sys.stderr.isatty()
    return tqdm(total=total, desc=desc, file=sys.stderr, disable=quiet, unit="step",
                mininterval=0.2 if tty else 5.0, dynamic_ncols=tty, ascii=not tty,
                bar_format="{desc} {percentage:5.1f}% |{bar:20}| {n_fmt}/{total_fmt} steps "
                           "{postfix} · {rate_fmt} · elapsed {elapsed} · ETA {remaining}")


def train_specs(pixels: np.ndarray, specs: tuple, config: TrainConfig, *, desc: str = "",
                quiet: bool = False, bar=None):
    """Train ``specs`` side by side with a progress bar (or ``bar``, shared across runs);
    Ctrl-C keeps the networks as they are and says at which step.

    Returns ``(run, results, interrupted)`` of :func:`inr_studio.engine.fit.fit_side_by_side`.
    """
    from ..engine.fit import fit_side_by_side

    own = bar is None
    total = sum(s.total_steps(config.iters) for s in specs)
    bar = progress_bar(total, desc, quiet) if own else bar
    start = bar.n
    last_step: dict[str, int] = {}

    def on_progress(batch) -> None:
        for key, st in batch.stats.items():
            last_step[key] = st.step
        psnr = "  ".join(f"{k} {st.psnr:.2f} dB" for k, st in batch.stats.items()
                         if np.isfinite(st.psnr))
        bar.set_postfix_str(f"PSNR {psnr}" if psnr else "", refresh=False)
        bar.update(start + sum(last_step.values()) - bar.n)

    try:
        run, results, interrupted = fit_side_by_side(pixels, specs, config, on_progress)
    finally:
        if own:
            bar.close()
    if interrupted:
        steps = ", ".join(str(r.steps) for r in results.values())
        print(f"interrupted at step {steps}", file=sys.stderr, flush=True)
    return run, results, interrupted


def warn_line(message: str) -> None:
    print(f"inr-studio: warning: {message}", file=sys.stderr)


def warn_if_aliasing(config: ModelConfig, height: int, width: int,
                     already: set[str] | None = None) -> str | None:
    """Print the aliasing warning (grid cells below a pixel), suggesting ``--tile-scale auto``;
    a message already in ``already`` is not printed again (a benchmark meets it per image)."""
    msg = aliasing_warning(config.tilings, height, width)
    if msg and (already is None or msg not in already):
        warn_line(msg + " Pass --tile-scale auto.")
        if already is not None:
            already.add(msg)
    return msg
