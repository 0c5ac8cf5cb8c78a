"""What a side-by-side run tells its consumer (window, CLI, tests): immutable, torch-free.

Arrays in messages are fresh copies nobody mutates afterwards, so they can cross threads.
Every message carries the run's ``generation``, so a consumer can drop a stale run's output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: An exact fit has infinite PSNR; curves and tables need a finite number.
PSNR_CAP = 100.0


@dataclass(frozen=True)
class RunStarted:
    generation: int
    device: str  # e.g. "cpu (1 threads)" or "cuda (NVIDIA H100 80GB HBM3)"
    params: dict[str, int]  # model key -> parameter count
    totals: dict[str, int]  # model key -> steps the model will take (all its phases)


@dataclass(frozen=True)
class ModelStats:
    kind: str
    step: int
    total: int
    psnr: float  # of the last step's forward (whole image in full-batch mode)
    iters_per_s: float  # own compute throughput, as if it ran alone
    elapsed_s: float  # wall time of the run so far, pauses excluded
    eta_s: float  # wall time left for this model at the current interleaved pace
    params: int
    #: PSNR of the weights the run keeps (its lowest whole-image loss so far) and the step
    #: they were reached at; with ``keep_best`` off, the curve's highest point. NaN, -1: none yet.
    best_psnr: float = float("nan")
    best_step: int = -1
    #: PSNR of the last step's weights (the whole image), once the run has ended; NaN before.
    last_psnr: float = float("nan")
    #: The rate the model trains, bits per pixel, estimated from its last step (the latent-grid
    #: model: its latents under its ARM); NaN for models that train no rate.
    bpp: float = float("nan")


@dataclass(frozen=True)
class ProgressBatch:
    """New curve points since the previous batch, and every model's current figures."""

    generation: int
    points: dict[str, tuple[np.ndarray, np.ndarray]]  # kind -> (steps, psnr)
    stats: dict[str, ModelStats]


@dataclass(frozen=True)
class PreviewFrame:
    """Reconstructions (uint8 H×W×3) and error maps (float32 H×W mean |error|) of all models."""

    generation: int
    steps: dict[str, int]
    recon: dict[str, np.ndarray]
    error: dict[str, np.ndarray]
    psnr: dict[str, float]
    ssim: dict[str, float]
    error_scale: float  # shared colour scale of the error maps
    final: bool = False
    #: The models whose picture (in a final frame) is their kept best weights, from the step
    #: in ``steps``; the others show their last step's.
    best: frozenset[str] = frozenset()
    #: kind -> a latent-grid model's rounded latent grids (int32 arrays, finest first).
    grids: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class PausedReached:
    """The run is paused and idle between steps: its networks are safe to read."""

    generation: int


@dataclass(frozen=True)
class RunEnded:
    generation: int
    stopped: bool  # ended before every model took all its steps
    steps: dict[str, int]
    compute_s: dict[str, float]  # each model's own training seconds
    #: Whether the networks the run leaves are each one's best weights (else the last step's).
    kept_best: bool = False
    #: Per model: PSNR of the returned network's weights and the step they came from (as
    #: ``ModelStats``), and the PSNR of the last step's weights (the paper's figure).
    best_psnr: dict[str, float] = field(default_factory=dict)
    best_step: dict[str, int] = field(default_factory=dict)
    last_psnr: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RunFailed:
    """A failure the user can act on (out of memory, an impossible option), as one sentence."""

    generation: int
    message: str


Message = RunStarted | ProgressBatch | PreviewFrame | PausedReached | RunEnded | RunFailed
