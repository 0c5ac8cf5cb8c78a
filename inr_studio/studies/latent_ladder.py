"""The latent-grid model's rate–distortion ladder: one training per λ (the rate weight is part of
what the network learns, so unlike a coordinate network's file ladder every point is its own
fit), each point a real ``.sinr`` file: train → encode → decode → PSNR of the decoded picture.

Each point also records what it cost: training wall and CPU seconds (``resource.getrusage``,
every thread of the process), encoding and decoding seconds. :func:`measure` yields one
:class:`LatentPoint` per λ so a window or a benchmark can show progress and stop between points.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..codec import decode_bytes
from ..codec.latent_file import encode_latent_model
from ..engine.config import TrainConfig
from ..engine.control import RunControl
from ..engine.fit import fit_side_by_side
from ..metrics import psnr
from ..models import registry
from ..models.registry import ModelOptions

#: The default λ ladder (docs/results.md: its PSNR range on Kodak at 256 px).
LAMBDAS = (2e-2, 6e-3, 2e-3, 6e-4)
#: Training steps of one point by default: within ~6 CPU-minutes at 256 px on 2 threads.
LATENT_ITERS = 4000
#: The latent model's training learning rate is its own (the objective sets it); the run's is
#: unused, given for completeness.
FAMILY = "latent"


@dataclass(frozen=True)
class LatentPoint:
    lam: float
    file_bytes: int
    weights_bytes: int  # the decoder's share of the file (the weights section)
    bpp: float
    psnr: float  # the decoded file's picture against the image
    psnr_float: float  # the trained network (rounded latents, float decoder)
    steps: int
    train_s: float
    train_cpu_s: float
    encode_s: float
    decode_s: float
    macs_per_pixel: float
    data: bytes

    @property
    def setting(self) -> str:
        return setting_name(self.lam)


def setting_name(lam: float) -> str:
    """A point's setting, as the ladder's tables and the window name it."""
    return f"lambda-{lam:g}"


class StopWhen(RunControl):
    """A run control that also stops when ``should_stop()`` says so: a window's *Stop* ends a
    point's training at its next step, not only between points."""

    def __init__(self, should_stop: Callable[[], bool]) -> None:
        super().__init__()
        self._should_stop = should_stop

    @property
    def stop_requested(self) -> bool:
        return super().stop_requested or self._should_stop()


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far, all threads."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def options(pixels: np.ndarray, lam: float, preset: str, **extra) -> ModelOptions:
    return ModelOptions(image_size=tuple(pixels.shape[:2]), latent_lambda=float(lam),
                        latent_preset=str(preset), **extra)


def measure_point(pixels: np.ndarray, lam: float, train: TrainConfig, preset: str = "1000",
                  control: RunControl | None = None,
                  on_trained: Callable[[object], None] | None = None,
                  **extra) -> LatentPoint | None:
    """Train one network at ``lam`` and measure its file (None: ``control`` stopped the
    training, so there is no point to measure). ``on_trained`` sees the trained network before
    it is encoded (a study keeps it, to try other encoders on the same training)."""
    spec = registry.entry("latent").spec(options(pixels, lam, preset, **extra))
    t0, c0 = time.perf_counter(), cpu_seconds()
    run, results, interrupted = fit_side_by_side(pixels, (spec,), train, control=control)
    train_s, train_cpu = time.perf_counter() - t0, cpu_seconds() - c0
    if interrupted:
        raise KeyboardInterrupt
    if control is not None and control.stop_requested:
        return None
    net = run.trainers["latent"].model.cpu()
    if on_trained is not None:
        on_trained(net)
    t0 = time.perf_counter()
    data, report = encode_latent_model(net, pixels)
    encode_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    decoded = decode_bytes(data)
    picture = decoded.render()
    decode_s = time.perf_counter() - t0
    return LatentPoint(float(lam), len(data), decoded.sections["weights"], decoded.bpp,
                       psnr(picture, pixels),
                       report.psnr_float, results["latent"].steps, train_s, train_cpu,
                       encode_s, decode_s, spec.config.macs_per_pixel(), data)


def measure(pixels: np.ndarray, train: TrainConfig, lambdas: tuple[float, ...] = LAMBDAS,
            preset: str = "1000", should_stop: Callable[[], bool] = lambda: False,
            **extra) -> Iterator[LatentPoint]:
    """Every λ's point, in order (``extra``: other :class:`ModelOptions` fields of the latent
    model, e.g. ``latent_quantiser``, for ablations); ``should_stop`` is heard between points
    and at every training step."""
    control = StopWhen(should_stop)
    for lam in lambdas:
        if should_stop():
            return
        point = measure_point(pixels, lam, train, preset, control, **extra)
        if point is None:
            return
        yield point
