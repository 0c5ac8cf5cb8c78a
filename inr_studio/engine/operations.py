"""What a model has computed after a number of steps, in multiply-accumulates: the work axis
that compares models of different cost per pixel fairly (a wide SIREN against an LoE of the
same parameter count). Torch-free, so the window's plot reads it before torch loads.

A step's forward costs the model's MACs per pixel (:meth:`ModelSpec.macs_per_pixel`) times
the pixels it sees: the whole image (full batch), ``batch_pixels`` random ones, or during the
coarse warm-up one pixel of each ``warmup_stride``² cell. Backward passes cost a fixed multiple
of the forward in every model here, so the forward count ranks them as the full count would.
"""

from __future__ import annotations

import math

import numpy as np

from ..models.spec import ModelSpec
from .config import TrainConfig


def step_pixels(spec: ModelSpec, train: TrainConfig, height: int,
                width: int) -> tuple[tuple[int, int], ...]:
    """(steps, pixels each of them sees) for each stretch of the model's schedule, in order:
    the same phases and warm-up the trainer runs (:func:`inr_studio.engine.trainer.with_warmup`)."""
    total = height * width
    full = train.batch_pixels is None or train.batch_pixels >= total
    per_step = total if full else int(train.batch_pixels)
    stretches: list[tuple[int, int]] = []
    phases = spec.phases
    first = phases[0]
    warm = train.warmup_steps()
    if full and warm >= 1 and first.objective == "pixels" and first.steps is None \
            and not first.options:
        stride = train.warmup_stride
        stretches += [(warm, math.ceil(height / stride) * math.ceil(width / stride)),
                      (train.iters - warm, per_step)]
        phases = phases[1:]
    stretches += [(p.length(train.iters), per_step) for p in phases]
    return tuple(stretches)


def pixels_before(steps: np.ndarray, stretches: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Pixels seen by the steps before each of ``steps`` (the model after ``s`` updates has
    run steps 0..s−1); past the schedule's end, its last stretch goes on."""
    s = np.asarray(steps, dtype=np.float64)
    out = np.zeros_like(s)
    start = 0
    for i, (n, pixels) in enumerate(stretches):
        last = i == len(stretches) - 1
        inside = s - start if last else np.clip(s - start, 0, n)
        out += np.maximum(inside, 0) * pixels
        start += n
    return out


def operations(spec: ModelSpec, train: TrainConfig, height: int, width: int,
               steps: np.ndarray) -> np.ndarray:
    """Forward multiply-accumulates spent to reach each of ``steps`` (float64)."""
    return spec.macs_per_pixel() * pixels_before(steps, step_pixels(spec, train, height, width))
