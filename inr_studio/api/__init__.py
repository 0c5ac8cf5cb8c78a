"""The Python API, for notebooks and scripts (docs/api.md)::

    from inr_studio.api import fit, open_sinr

    run = fit("photo.png", models=("siren", "hs"), iters=500, long_side=128)
    print(run["hs"].best_psnr, run["hs"].last_psnr)
    run["hs"].save_sinr("photo-hs.sinr")
    big = open_sinr("photo-hs.sinr").render(512, 768)

It trains with the window's and the command line's presets and options (the same engine, the
same checks); every error meant for a user is an :class:`InrStudioError` carrying the command
line's one-line message. Importing it loads torch but changes nothing else in the process;
:func:`tune_process` applies the program's CPU tuning when called (before torch loads).
"""

from __future__ import annotations

from ..codec import CodecOptions, SinrFile
from ..engine.config import QatConfig
from ..errors import ImageLoadError, InrStudioError, OptionError, SinrFormatError
from ..process import tune_process
from .files import SavedSinr, open_sinr
from .fitting import ImageLike, ModelResult, Run, fit, read_image, save_sinr


def available_models() -> dict[str, str]:
    """Every model ``fit`` takes: registry key -> label (``{"siren": "SIREN", ...}``)."""
    from ..models.registry import REGISTRY

    return {key: entry.label for key, entry in REGISTRY.items()}


def presets() -> dict[str, str]:
    """The training presets ``fit(preset=...)`` takes: name -> what it trains with."""
    from ..engine.presets import PRESETS

    return {name: p.describe() for name, p in PRESETS.items()}


__all__ = [
    "CodecOptions",
    "ImageLike",
    "ImageLoadError",
    "InrStudioError",
    "ModelResult",
    "OptionError",
    "QatConfig",
    "Run",
    "SavedSinr",
    "SinrFile",
    "SinrFormatError",
    "available_models",
    "fit",
    "open_sinr",
    "presets",
    "read_image",
    "save_sinr",
    "tune_process",
]
