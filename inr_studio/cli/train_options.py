"""How a sub-command trains: a named preset (the device's unless ``--preset`` names one), the
options that override its values, the working size, and a word before a long run.

The presets (:mod:`inr_studio.engine.presets`) hold every training default; an option left out
is the preset's value, so ``--help`` shows them per preset and the run's first line says which
preset it used and what was given. Values are checked by the core (``TrainConfig`` and the
model configuration), once; :func:`naming_options` puts the option's name in front of the
core's sentence.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields, replace

from ..engine.config import TrainConfig
from ..engine.presets import PRESETS, Preset, for_device, preset, protocol_text  # noqa: F401
from ..engine.schedule import AUTO, SCHEDULES
from ..errors import OptionError
from ..imaging import scaled_size, working_size

#: The option that sets each field the core checks (the core names the field it refuses).
OPTION_OF = {"iters": "--iters", "lr": "--lr", "batch_pixels": "--batch-pixels",
             "warmup": "--warmup", "seed": "--seed", "width": "--width", "depth": "--depth",
             "omega0": "--omega0", "preset": "--preset", "schedule": "--schedule",
             "best_every": "--best-every"}
QAT_OPTION_OF = {"steps": "--qat-steps", "lr_scale": "--qat-lr-scale", "bits": "--bits"}
#: The options that override a preset's values, in the order a run's header lists them.
PRESET_OPTIONS = ("iters", "lr", "batch_pixels", "warmup", "schedule", "returned", "tf32", "seed",
                  "width", "long_side", "scale", "tile_scale")
#: A run predicted to train longer than this says so before it starts.
LONG_RUN_S = 600.0


def _per_preset(value) -> str:
    """``cpu 2000, gpu 5000, paper 5000``: one value of every preset, for a help text."""
    return ", ".join(f"{p.name} {value(p)}" for p in PRESETS.values())


def add_train_options(parser: argparse.ArgumentParser,
                      own_iters: tuple[int, str] | None = None) -> None:
    """The preset and its overrides. ``own_iters``: (steps, why) of a command whose runs have
    their own length (``rd``), instead of the preset's."""
    g = parser.add_argument_group("training (a preset, and the options that override it)")
    g.add_argument("--preset", default=None, choices=list(PRESETS),
                   help="training defaults: " + "; ".join(
                       f"{p.name}: {p.purpose} ({p.describe()})" for p in PRESETS.values())
                        + ". Default: the device's, cpu on a CPU and gpu on CUDA or MPS")
    steps, why = own_iters or (None, f"the preset's, {_per_preset(lambda p: p.train.iters)}")
    g.add_argument("--iters", type=int, default=steps, help=f"Adam steps (default: {why})")
    g.add_argument("--lr", type=float, default=None,
                   help=f"learning rate (default: the preset's, {_per_preset(lambda p: f'{p.train.lr:g}')})")
    g.add_argument("--batch-pixels", type=int, default=None,
                   help="random pixels per step (default: every pixel, the paper's full batch)")
    g.add_argument("--warmup", type=float, default=None, metavar="SHARE",
                   help="coarse warm-up: this share of the steps (e.g. 0.25) first fits one "
                        "random pixel of each 2×2 cell, about 4× cheaper a step (default: the "
                        f"preset's, {_per_preset(lambda p: f'{p.train.warmup:g}')})")
    g.add_argument("--schedule", default=None, choices=(AUTO, *SCHEDULES),
                   help="learning-rate schedule of every phase: auto (each model's own, "
                        "measured), constant, cosine (to 1 %% of the rate at the last step), "
                        "step (×0.1 at half and three quarters) or cooldown (constant, then a "
                        "cosine to 1 %% over the last fifth). Default: the preset's, "
                        f"{_per_preset(lambda p: p.train.schedule)}")
    g.add_argument("--return", dest="returned", choices=("best", "last"), default=None,
                   help="the network a run returns, reports and saves: its best step's weights "
                        "(the lowest whole-image error) or the last step's. Default: the "
                        "preset's, " + _per_preset(lambda p: "best" if p.train.keep_best
                                                   else "last"))
    g.add_argument("--device", default="auto", help="auto (default), cpu, cuda or mps")
    g.add_argument("--seed", type=int, default=None,
                   help=f"random seed (default {TrainConfig.seed})")
    g.add_argument("--fast", action="store_true",
                   help="fast training step (fused Adam, CUDA graph on CUDA): the plain step's "
                        "update, 2-3 %% faster at the paper's size on an H200")
    g.add_argument("--tf32", action=argparse.BooleanOptionalAction, default=None,
                   help="TF32 matrix products while training on CUDA: 1.6-1.8x faster, within "
                        "0.07 dB of fp32 (measured on an H200); no effect elsewhere. Default: "
                        "the preset's, " + _per_preset(lambda p: "on" if p.train.tf32 else "off"))


def add_image_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("working size").add_mutually_exclusive_group()
    g.add_argument("--long-side", type=int, default=None, metavar="PX",
                   help="train on the image resized so its longest side is PX (never "
                        "enlarged; 0: the image's own size). Default: the preset's, "
                        + _per_preset(lambda p: p.long_side or "full size"))
    g.add_argument("--scale", type=float, default=None,
                   help="train on the image resized by this factor instead (1: full size, "
                        "0.5: half)")


@contextmanager
def naming_options(options: dict[str, str] = OPTION_OF) -> Iterator[None]:
    """An :class:`OptionError` the core raised for a field gets its option's name in front."""
    try:
        yield
    except OptionError as exc:
        flag = options.get(exc.field or "")
        if flag is None or str(exc).startswith(flag):
            raise
        raise OptionError(f"{flag}: {exc}", exc.field) from exc


def preset_from_args(args: argparse.Namespace) -> Preset:
    """The preset named by ``--preset``, else the device's (the device is checked here)."""
    from ..device import pick_device

    name = getattr(args, "preset", None)
    device = pick_device(getattr(args, "device", None) or "auto")  # names the devices here
    return preset(name) if name else for_device(device.type)


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The preset's :class:`TrainConfig` with every option given (checked by the core)."""
    base = preset_from_args(args)
    given = {f.name: getattr(args, f.name) for f in fields(TrainConfig)
             if f.name not in ("device", "fast") and getattr(args, f.name, None) is not None}
    returned = getattr(args, "returned", None)
    if returned is not None:
        given["keep_best"] = returned == "best"
    with naming_options():
        return replace(base.train, device=getattr(args, "device", None) or "auto",
                       fast=bool(getattr(args, "fast", False)), **given)


def check_scale(scale: float | None) -> float:
    scale = 1.0 if scale is None else float(scale)
    if not (scale > 0 and math.isfinite(scale)):
        raise OptionError(f"--scale must be positive (1 = full size, 0.5 = half), got {scale}.")
    return scale


def tile_scale_name(p: Preset) -> str:
    return "auto" if p.scale_tiles else "paper"


def tile_scale_from_args(args: argparse.Namespace) -> str:
    """``--tile-scale`` as given, else the preset's ('auto' or 'paper')."""
    given = getattr(args, "tile_scale", None)
    return str(given) if given is not None else tile_scale_name(preset_from_args(args))


def check_image_options(args: argparse.Namespace) -> None:
    """``--scale`` and ``--long-side`` checked before any image is read."""
    if getattr(args, "scale", None) is not None:
        check_scale(args.scale)
    side = getattr(args, "long_side", None)
    if side is not None and side < 0:
        raise OptionError(f"--long-side must be 0 (the image's own size) or more, got {side}.")


def width_from_args(args: argparse.Namespace) -> int:
    width = getattr(args, "width", None)
    return preset_from_args(args).width if width is None else width


def target_size(args: argparse.Namespace, height: int, width: int) -> tuple[int, int]:
    """The working size of an H×W image: ``--scale`` if given, else ``--long-side``, else the
    preset's long side."""
    check_image_options(args)
    scale = getattr(args, "scale", None)
    if scale is not None:
        return scaled_size(height, width, scale)
    side = getattr(args, "long_side", None)
    return working_size(height, width, preset_from_args(args).long_side if side is None else side)


def protocol(args: argparse.Namespace) -> str:
    """``the cpu preset, the device's (2000 steps, …); overriding it: --iters 3``: how a run
    trains."""
    p = preset_from_args(args)
    whose = "" if getattr(args, "preset", None) else ", the device's"
    given = [_given(name, getattr(args, name)) for name in PRESET_OPTIONS
             if getattr(args, name, None) is not None]
    return (f"the {p.name} preset{whose} ({p.describe()})"
            + (f"; overriding it: {', '.join(given)}" if given else ""))


def _given(name: str, value: object) -> str:
    """``--iters 3``, or a switch's ``--tf32`` / ``--no-tf32``."""
    if isinstance(value, bool):
        return f"--{'' if value else 'no-'}{name.replace('_', '-')}"
    return f"{_flag(name)} {_text(value)}"


def _flag(name: str) -> str:
    return "--return" if name == "returned" else f"--{name.replace('_', '-')}"


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def announce(args: argparse.Namespace, quiet: bool = False) -> str:
    """Print the run's protocol to stderr (unless ``quiet``); returns it."""
    text = protocol(args)
    if not quiet:
        print(f"inr-studio: training with {text}", file=sys.stderr, flush=True)
    return text


def use_preset_threads(args: argparse.Namespace) -> None:
    """The preset's CPU threads for the rest of the process (the studies' many short fits)."""
    threads = preset_from_args(args).cpu_threads()
    if threads:
        import torch

        torch.set_num_threads(threads)


def warn_if_long(pixels, specs: tuple, config: TrainConfig, args: argparse.Namespace,
                 runs: float = 1.0) -> float:
    """Measure a few steps (:func:`inr_studio.engine.forecast.forecast`) and, when ``runs``
    such runs would train longer than :data:`LONG_RUN_S`, say so with the options that shorten
    them. Returns the predicted seconds."""
    from ..device import pick_device
    from ..engine.forecast import forecast

    p = preset_from_args(args)
    seconds = runs * forecast(pixels, specs, config, p.cpu_threads()).seconds
    if seconds <= LONG_RUN_S:
        return seconds
    ways = []
    own = for_device(pick_device(config.device).type)
    if own.name != p.name:
        ways.append(f"--preset {own.name} ({own.train.iters} steps, width {own.width}, "
                    f"{own.working_size_text()})")
    iters = int(config.iters * LONG_RUN_S / seconds)
    if 1 <= iters < config.iters:
        ways.append(f"--iters {iters} (about {LONG_RUN_S / 60:.0f} min)")
    if own.long_side and max(pixels.shape[:2]) > own.long_side:
        ways.append(f"a smaller working size (--long-side {own.long_side})")
    print(f"inr-studio: warning: this run is predicted to train for about "
          f"{duration(seconds)} (a few steps measured here); shorter: {'; '.join(ways)}.",
          file=sys.stderr, flush=True)
    return seconds


def duration(seconds: float) -> str:
    """``9 h 31 min``, ``12 min``, ``45 s``."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
    if seconds >= 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds:.0f} s"
