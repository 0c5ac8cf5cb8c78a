"""Options shared by the sub-commands that fit a network: the model, and (from
:mod:`.train_options`) the training preset, its overrides and the working size.

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
from ..engine.presets import PRESETS
from ..errors import OptionError
from ..imaging import LoadedImage, load_image, resize_image, scaled_size
from ..models import registry
from ..models.config import ModelConfig, check_shape
from ..models.options import ModelOptions
from ..models.spec import ModelSpec
from ..segmentation import SEG_METHODS
from ..tiling import aliasing_warning, auto_tile_scale
from .train_options import (  # noqa: F401 - train_config_from_args re-exported
    add_image_options,
    add_train_options,
    check_scale,
    naming_options,
    preset_from_args,
    target_size,
    tile_scale_from_args,
    tile_scale_name,
    train_config_from_args,
    width_from_args,
)
from .latent_options import LATENT_SPECIFIC, add_latent_options, latent_options

TILE_SCALE_HELP = ("multiplier on every LoE scale A_i: 'paper' (1, the paper's A for 768×512), "
                   "'auto' (keeps the paper's cell sizes in pixels at this image size) or a number")


def add_model_options(parser: argparse.ArgumentParser, *, model: bool = True,
                      model_default: str | None = "hs", train: bool = True,
                      image: bool = True) -> None:
    """Declare the network options (and, by default, the training and working-size options).

    ``model=False`` leaves ``--model`` out (``bench`` takes ``--models``).
    """
    g = parser.add_argument_group("network")
    if model:
        g.add_argument("--model", default=model_default, required=model_default is None,
                       choices=list(registry.REGISTRY), metavar="MODEL",
                       help="; ".join(f"{e.key}: {e.label}" for e in registry.REGISTRY.values())
                            + (f"; default {model_default}" if model_default else ""))
    g.add_argument("--width", type=int, default=None,
                   help="hidden width (default: the preset's, "
                        + ", ".join(f"{p.name} {p.width}" for p in PRESETS.values()) + ")")
    g.add_argument("--depth", type=int, default=ModelOptions.depth,
                   help=f"hidden layers (default {ModelOptions.depth})")
    g.add_argument("--omega0", type=float, default=ModelOptions.omega0,
                   help=f"SIREN ω0 (default {ModelOptions.omega0:g})")
    g.add_argument("--tile-scale", default=None, help=TILE_SCALE_HELP + " (default: the "
                   "preset's, " + ", ".join(f"{p.name} {tile_scale_name(p)}"
                                            for p in PRESETS.values()) + ")")
    g.add_argument("--seg-layer", type=int, default=None,
                   help="HS-LoE: the layer (1-based) whose tiling is the segmentation "
                        "(default: the last)")
    g.add_argument("--seg-method", default=None, choices=SEG_METHODS,
                   help=f"HS-LoE thresholds: multiotsu or equal (equal-size bins); default "
                        f"{ModelOptions.seg_method}")
    g.add_argument("--seg-classes", type=int, default=None,
                   help=f"HS-LoE classes (default {ModelOptions.seg_classes})")
    add_encoding_options(parser)
    add_latent_options(parser)
    if train:
        add_train_options(parser)
    if image:
        add_image_options(parser)


#: Options that apply to some models only: option -> (dest, the models it applies to).
PE_MODELS = ("pe-relu", "pe-siren")
MODEL_ONLY_OPTIONS = {
    "--seg-layer": ("seg_layer", ("hs",)), "--seg-method": ("seg_method", ("hs",)),
    "--seg-classes": ("seg_classes", ("hs",)),
    "--pe": ("pe", PE_MODELS), "--pe-gauss": ("pe_gauss", PE_MODELS),
    "--pe-features": ("pe_features", PE_MODELS),
    "--eoren-pixel-weight": ("eoren_pixel_weight", ("eoren",)),
    "--eoren-colour-steps": ("eoren_colour_steps", ("eoren",)),
    **LATENT_SPECIFIC,
}


def add_encoding_options(parser: argparse.ArgumentParser) -> None:
    """The positional encoding of pe-relu/pe-siren and EoREN's stage options (docs/models.md)."""
    g = parser.add_argument_group("positional encoding (pe-relu, pe-siren) and EoREN")
    g.add_argument("--pe", type=int, default=None, metavar="L",
                   help="NeRF frequencies 2^0..2^(L-1) (the default encoding; default L = "
                        "floor(log2(longest side)) of the working size, 9 at 768 px)")
    g.add_argument("--pe-gauss", type=float, nargs="?", const=5.0, default=None,
                   metavar="SIGMA", help="Gaussian Fourier features instead, B ~ N(0, SIGMA²) "
                                         "(SIGMA 5 if omitted; coordinates span [-1, 1])")
    g.add_argument("--pe-features", type=int, default=None, metavar="M",
                   help=f"rows of B for --pe-gauss (default {ModelOptions.pe_features})")
    g.add_argument("--eoren-pixel-weight", type=float, default=None, metavar="A",
                   help="EoREN: weight of a pixel term in the gradient stage, times "
                        "(longest side / 2)² (default 0: gradients only)")
    g.add_argument("--eoren-colour-steps", type=int, default=None, metavar="N",
                   help="EoREN: pixel steps after the gradient stage, at lr/10 (default 0: "
                        "only the closed-form colour constant)")


def check_model_specific(args: argparse.Namespace, models: list[str] | tuple[str, ...]) -> None:
    """An option for a model that is not in the run is an error (one readable line)."""
    for option, (dest, owners) in MODEL_ONLY_OPTIONS.items():
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
    seed = getattr(args, "seed", None)
    return {"pe_levels": pe, "pe_sigma": sigma, "pe_features": feats or ModelOptions.pe_features,
            "pe_seed": TrainConfig.seed if seed is None else int(seed),
            "eoren_pixel_weight": weight or 0.0, "eoren_colour_steps": colour or 0}


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
    w = width_from_args(args)
    d = getattr(args, "depth", ModelOptions.depth)
    omega0 = getattr(args, "omega0", ModelOptions.omega0)
    with naming_options():
        check_shape(w, d, omega0)
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
    tile_scale = parse_tile_scale(tile_scale_from_args(args), height, width)
    options = ModelOptions(width=w, depth=d, omega0=omega0, tile_scale=tile_scale,
                           seg_layer=seg_layer, seg_method=seg_method or ModelOptions.seg_method,
                           seg_classes=seg_classes or ModelOptions.seg_classes,
                           image_size=(height, width), **encoding_options(args),
                           **latent_options(args))
    return entry.spec(options)


def load_scaled(path: str | Path, scale: float = 1.0, max_pixels: int | None = None,
                warn: bool = True, resize: bool = True) -> tuple[LoadedImage, np.ndarray]:
    """Read an image and resize it by ``scale`` (unless not ``resize``); the loader's notes go
    to stderr as warnings."""
    scale = check_scale(scale)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the notes are printed below, once, as plain lines
        loaded = load_image(path) if max_pixels is None else load_image(path, max_pixels)
    if warn:
        for note in loaded.notes:
            warn_line(note)
    if not resize:
        return loaded, loaded.pixels
    h, w = scaled_size(loaded.height, loaded.width, scale)
    return loaded, resize_image(loaded.pixels, h, w)


def load_working(args: argparse.Namespace, path: str | Path,
                 warn: bool = True) -> tuple[LoadedImage, np.ndarray]:
    """Read an image and resize it to the working size the options ask for
    (:func:`~.train_options.target_size`: ``--scale``, ``--long-side`` or the preset's)."""
    loaded, _ = load_scaled(path, 1.0, warn=warn, resize=False)
    h, w = target_size(args, loaded.height, loaded.width)
    return loaded, resize_image(loaded.pixels, h, w)


def prepare_fit(args: argparse.Namespace, image: str | Path):
    """``image`` at its working size and the model spec the options describe (aliasing
    warned): what ``fit`` and ``encode IMAGE`` both start from.

    Returns ``(loaded_image, pixels, spec, aliasing_message_or_None)``.
    """
    loaded, pixels = load_working(args, image)
    h, w = pixels.shape[:2]
    spec = spec_from_args(args, h, w)
    alias = warn_if_aliasing(spec.config, h, w)
    check_fits(args, pixels, (spec,), h / loaded.height)  # before segmenting a huge photo
    check_segmentable(pixels, spec)
    return loaded, pixels, spec, alias


def check_fits(args: argparse.Namespace, pixels: np.ndarray, specs: tuple,
               scale: float) -> None:
    """The memory guard before any training, its way out in this command's terms (``--scale``
    relative to the source image, which the working image is ``scale`` of); the engine checks
    again for every run (``bench``)."""
    from ..engine.memory import check_memory

    device = pick_device(getattr(args, "device", "auto") or "auto")
    h, w = pixels.shape[:2]
    check_memory(specs, h, w, getattr(args, "batch_pixels", None), str(device),
                 pixels.shape[2] if pixels.ndim == 3 else 1, scale=scale)


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
                quiet: bool = False, bar=None, cpu_threads: int | None = None):
    """Train ``specs`` side by side with a progress bar (or ``bar``, shared across runs);
    Ctrl-C keeps the networks as they are and says at which step. ``cpu_threads``: the
    preset's (None: torch's own).

    Returns ``(run, results, interrupted)`` of :func:`inr_studio.engine.fit.fit_side_by_side`.
    """
    from ..engine.fit import fit_side_by_side

    own = bar is None
    total = sum(s.total_steps(config.iters) for s in specs)
    bar = progress_bar(total, desc, quiet) if own else bar
    start = bar.n
    last_step: dict[str, int] = {}
    last_psnr: dict[str, float] = {}

    def on_progress(batch) -> None:
        for key, st in batch.stats.items():
            last_step[key] = st.step
            if np.isfinite(st.psnr):  # a batch with no new step of a model keeps its last PSNR
                last_psnr[key] = st.psnr
        psnr = "  ".join(f"{k} {p:.2f} dB" for k, p in last_psnr.items())
        bar.set_postfix_str(f"PSNR {psnr}" if psnr else "", refresh=False)
        bar.update(start + sum(last_step.values()) - bar.n)

    try:
        run, results, interrupted = fit_side_by_side(pixels, specs, config, on_progress,
                                                     cpu_threads=cpu_threads)
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
