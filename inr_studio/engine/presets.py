"""Named training presets: the one home of the training defaults, for the window and the CLI.

* ``paper``: the paper's protocol, exactly (:data:`~.config.PAPER_PROTOCOL`: 5000 full-batch
  Adam steps at a constant learning rate, the last step's weights, no warm-up) on the full-size
  image with the paper's width (:class:`~inr_studio.models.options.ModelOptions`).
* ``gpu``: the paper's budget at a working size of up to 768 px (the paper's 768×512), LoE
  cells kept at the paper's size in pixels on other sizes, the best step's weights kept under
  each model's learning-rate schedule, TF32 matrix products and lr 3e-4. Both measured on an
  H200 (docs/results.md): TF32 1.6–1.8× faster than fp32 and within 0.07 dB of it; of 1e-4,
  3e-4 and 1e-3 on kodim23, 3e-4 gave each of the paper's four models its best PSNR or within
  0.01 dB of it (+0.66 dB on average against 1e-4).
* ``cpu``: a run that shows a recognisable image within seconds on a laptop's cores: 2000
  steps at lr 1e-3, width 64 at a 256-px working size, the first quarter of the steps on one
  pixel of each 2×2 cell, LoE cells scaled with the working size, every core, the best step's
  weights kept under each model's schedule. Measured on a Kodak image in a minute on two cores
  (docs/results.md); 1e-3 learned fastest at 96–256 px and width ≤ 64.

A device picks its preset (:func:`for_device`: a CPU the ``cpu`` one, CUDA or MPS the ``gpu``
one); explicit settings override a preset's values. A new training field is a field of
:class:`~.config.TrainConfig`, set here by the presets that differ. Torch-free.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from ..errors import OptionError
from ..models.options import ModelOptions
from .config import PAPER_PROTOCOL, TrainConfig


@dataclass(frozen=True)
class Preset:
    name: str
    #: What it is for, in a few words (help texts, the window's hint, a run's header).
    purpose: str
    #: How to train; its ``device`` stays "auto" (the device is chosen separately).
    train: TrainConfig
    #: Hidden width of every model (depth and ω0 are the model options' own).
    width: int
    #: Working size: the image's longest side in pixels, never enlarged; 0: the image's own size.
    long_side: int
    #: LoE tile scales grow or shrink with the working size, so cells keep the paper's size in
    #: pixels (no aliasing on a small image); False: the paper's A in normalised coordinates.
    scale_tiles: bool = True
    #: On a CPU, one torch thread per core (the window's measured choice); False: torch's own.
    every_core: bool = False

    def cpu_threads(self) -> int | None:
        """Threads for a run on the CPU (None: torch's default)."""
        return max(1, os.cpu_count() or 1) if self.every_core else None

    def working_size_text(self) -> str:
        return "the full-size image" if self.long_side <= 0 else f"up to {self.long_side} px"

    def describe(self, train: TrainConfig | None = None) -> str:
        """``2000 steps, lr 0.001, full batch, coarse warm-up on 0.25 of the steps, width 64, up
        to 256 px, every core``: this preset's values, or ``train``'s where given (a run's)."""
        t = train or self.train
        parts = [f"{t.iters} steps", f"lr {t.lr:g}",
                 "full batch" if t.batch_pixels is None else f"{t.batch_pixels:,} pixels a step"]
        parts.append(f"coarse warm-up on {t.warmup:g} of the steps" if t.warmup
                     else "no warm-up")
        parts.append(protocol_text(t))
        if t.tf32:
            parts.append("TF32 matrix products on CUDA")
        parts += [f"width {self.width}", self.working_size_text(),
                  "LoE cells scaled with it" if self.scale_tiles else "the paper's LoE tiles"]
        if self.every_core:
            parts.append("every core")
        return ", ".join(parts)


def protocol_text(config: TrainConfig) -> str:
    """``each model's own learning-rate schedule, the best step's weights``: how a run's rate
    moves and which weights it returns, in words (a table's footnote, a JSON field)."""
    rate = {"auto": "each model's own learning-rate schedule", "constant": "a constant rate",
            "cosine": "a cosine decay of the rate", "step": "a step decay of the rate",
            "cooldown": "a constant rate cooled down over the last fifth"}
    kept = "the best step's weights" if config.keep_best else "the last step's weights"
    paper = " (the paper's protocol)" if (config.schedule, config.keep_best) == (
        "constant", False) else ""
    return f"{rate.get(config.schedule, config.schedule)}, {kept}{paper}"


PAPER = Preset("paper", "the paper's protocol", PAPER_PROTOCOL, ModelOptions.width, 0,
               scale_tiles=False)
GPU = replace(PAPER, name="gpu", purpose="the paper's setting on a GPU",
              train=TrainConfig(lr=3e-4, tf32=True),
              long_side=768, scale_tiles=True)
CPU = Preset("cpu", "an image within seconds on a CPU",
             TrainConfig(iters=2000, lr=1e-3, warmup=0.25), width=64, long_side=256,
             every_core=True)

#: Every preset by name, the device presets first.
PRESETS: dict[str, Preset] = {p.name: p for p in (CPU, GPU, PAPER)}


def preset(name: str) -> Preset:
    try:
        return PRESETS[str(name).strip().lower()]
    except KeyError:
        raise OptionError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}.",
                          "preset") from None


def for_device(device_type: str) -> Preset:
    """The preset a device trains with by default: ``cpu`` on a CPU, ``gpu`` on CUDA or MPS
    (``device_type`` as torch names it: "cpu", "cuda", "cuda:1", "mps")."""
    return CPU if str(device_type).split(":")[0].lower() == "cpu" else GPU
