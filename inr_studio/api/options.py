"""The API's keyword arguments as the command line's options, so a notebook trains with exactly
the presets, defaults and checks of ``inr-studio fit``/``bench`` and of the window: one
``argparse.Namespace`` with ``bench``'s defaults, the given values set on it, read by the
command line's own functions (:mod:`inr_studio.cli.common`). An impossible value is refused
with the command line's one-line message, as an :class:`~inr_studio.errors.OptionError`."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping

from ..errors import OptionError
from ..models import registry

#: ``fit``'s keyword arguments that override the preset or the network (the CLI's option of the
#: same name, ``long_side`` for ``--long-side``).
TRAIN_ARGS = ("iters", "lr", "warmup", "batch_pixels", "seed", "width", "depth", "omega0",
              "long_side", "scale", "tile_scale")
#: ``model_options`` keys (the :class:`~inr_studio.models.options.ModelOptions` field) -> the
#: CLI option's destination: the options that apply to some models only.
MODEL_ARGS = {"seg_layer": "seg_layer", "seg_method": "seg_method", "seg_classes": "seg_classes",
              "pe_levels": "pe", "pe_sigma": "pe_gauss", "pe_features": "pe_features",
              "eoren_pixel_weight": "eoren_pixel_weight",
              "eoren_colour_steps": "eoren_colour_steps"}


def model_keys(models: str | Iterable[str]) -> tuple[str, ...]:
    """``"siren,hs"`` or ``("siren", "hs")`` -> registry keys, checked, in order."""
    text = models if isinstance(models, str) else ",".join(str(m) for m in models)
    return registry.parse_models(text)


def study_options(preset: str | None = None, device: str = "auto",
                  model_options: Mapping[str, object] | None = None,
                  **given: object) -> argparse.Namespace:
    """``bench``'s options with ``preset``, ``device`` and the ``given`` overrides (None: the
    preset's value) set; ``model_options`` by :data:`MODEL_ARGS` key."""
    from ..cli.main import build_parser

    unknown = sorted(set(given) - set(TRAIN_ARGS))
    if unknown:
        raise OptionError(f"unknown option {unknown[0]!r}; fit takes {', '.join(TRAIN_ARGS)}.")
    wrong = sorted(set(model_options or {}) - set(MODEL_ARGS))
    if wrong:
        raise OptionError(f"unknown model option {wrong[0]!r}; use {', '.join(MODEL_ARGS)}.")
    if given.get("long_side") is not None and given.get("scale") is not None:
        raise OptionError("give long_side or scale (the working size), not both.")
    args = build_parser().parse_args(["bench"])
    args.preset = preset
    args.device = device or "auto"
    for name, value in given.items():
        if value is not None:
            setattr(args, name, value)
    for name, value in (model_options or {}).items():
        setattr(args, MODEL_ARGS[name], value)
    return args
