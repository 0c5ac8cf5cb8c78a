"""One image through the whole ladder: JPEG/WebP/AVIF at their qualities, then each network
trained once and coded at every rung. Shared by ``inr-studio rd --ladder`` and the Kodak
benchmark; rows as :class:`.ladder_report.Row`."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from ..codec import finetune  # noqa: F401 - registers the "sinr-finetune" objective
from ..engine.config import QatConfig, TrainConfig
from ..engine.fit import fit
from ..models import registry
from ..models.latent_config import DEFAULT_PRESET
from ..models.registry import ModelOptions
from ..problem import FitProblem
from ..tiling import auto_tile_scale
from . import anchors, ladder, latent_ladder
from .ladder_report import Row


def anchor_rows(name: str, pixels: np.ndarray) -> list[Row]:
    return [Row(name, p.fmt.lower(), p.fmt.lower(), f"q{p.quality}", 0, 0, p.file_bytes, p.bpp,
                p.psnr, float("nan"), "", 0.0) for p in anchors.curves(pixels)]


def measure_image(name: str, pixels: np.ndarray, models: list[tuple[str, int, int]],
                  train: TrainConfig, qat_steps: int = QatConfig.steps,
                  targets: tuple[float, ...] = (),
                  families: tuple[str, ...] = ladder.FAMILIES,
                  log: Callable[[str], None] = lambda _m: None,
                  with_anchors: bool = True,
                  qat_lr_scale: float = QatConfig.lr_scale,
                  lambdas: tuple[float, ...] = latent_ladder.LAMBDAS,
                  latent_iters: int = latent_ladder.LATENT_ITERS) -> list[Row]:
    """``models``: (registry key, depth, width) each — for the latent model (key ``latent``,
    depth 0, width its preset) a λ ladder of ``latent_iters`` steps a point; ``targets``:
    absolute PSNRs for extra bit-allocation rungs (``--target-psnr``); ``with_anchors``:
    JPEG/WebP/AVIF rows too."""
    rows = anchor_rows(name, pixels) if with_anchors else []
    h, w = pixels.shape[:2]
    for kind, depth, width in models:
        if kind == latent_ladder.FAMILY:
            rows += latent_rows(name, pixels, str(width), replace(train, iters=latent_iters),
                                lambdas, log)
            continue
        cfg = registry.entry(kind).spec(ModelOptions(
            width=width, depth=depth, tile_scale=auto_tile_scale(h, w), image_size=(h, w))).config
        t0 = time.perf_counter()
        trainer, res = fit(FitProblem.create(pixels, cfg), train)
        train_s = time.perf_counter() - t0
        model = f"{kind}:{depth}x{width}"
        log(f"{name} {model}: {res.psnr:.2f} dB after {res.steps} steps in {train_s:.0f} s")
        rungs = ladder.rungs(width, families) + [ladder.Rung(f"alloc@{t:g}dB", "alloc-target", 0)
                                                 for t in targets]
        for pt in ladder.measure(trainer, rungs, qat_steps=qat_steps, lr_scale=qat_lr_scale):
            rows.append(Row(name, model, pt.rung.family, pt.rung.name, pt.rung.bits,
                            pt.rung.sparsity, pt.file_bytes, pt.bpp, pt.psnr, pt.psnr_float,
                            " ".join(map(str, pt.tensor_bits)), train_s))
            log(f"  {pt.rung.name:<18} {pt.file_bytes:>8,} B {pt.bpp:7.3f} bpp "
                f"{pt.psnr:6.2f} dB ({pt.psnr - pt.psnr_float:+.2f})")
    return rows


def latent_rows(name: str, pixels: np.ndarray, preset: str, train: TrainConfig,
                lambdas: tuple[float, ...], log: Callable[[str], None]) -> list[Row]:
    """The latent model's λ ladder as ladder rows (family ``latent``, one setting per λ)."""
    model = f"{latent_ladder.FAMILY}:{preset}"
    rows = []
    for pt in latent_ladder.measure(pixels, train, lambdas, preset):
        rows.append(Row(name, model, latent_ladder.FAMILY, pt.setting, 0, 0, pt.file_bytes,
                        pt.bpp, pt.psnr, pt.psnr_float, "", pt.train_s))
        log(f"{name} {model} {pt.setting:<18} {pt.file_bytes:>8,} B {pt.bpp:7.3f} bpp "
            f"{pt.psnr:6.2f} dB; trained {pt.steps} steps in {pt.train_s:.0f} s "
            f"({pt.train_cpu_s:.0f} s CPU)")
    return rows


@dataclass(frozen=True)
class Snapshot:
    """What the ladder needs of a trained model, copied off its trainer (training may start
    again while the ladder runs): the problem, the network (CPU) and the run's settings."""

    key: str
    problem: FitProblem
    model: object
    config: TrainConfig

    @staticmethod
    def of(key: str, trainer) -> Snapshot:
        return Snapshot(key, trainer.problem, copy.deepcopy(trainer.model).cpu(),
                        replace(trainer.config, device="cpu"))


@dataclass(frozen=True)
class LatentPlan:
    """The latent-grid model's λ ladder as the window measures it: one training per λ with the
    settings the window trained it with (``train``), at the model's default complexity."""

    train: TrainConfig
    lambdas: tuple[float, ...] = latent_ladder.LAMBDAS
    preset: str = DEFAULT_PRESET

    def settings(self) -> list[str]:
        """Its points' names, in the order they are measured."""
        return [latent_ladder.setting_name(lam) for lam in self.lambdas]

    def fit_seconds(self, pixels: np.ndarray) -> float:
        """One point's training time, forecast as a run's is (a few steps timed, times the
        run's steps); encoding and decoding a point are not counted."""
        from ..engine.forecast import forecast

        spec = registry.entry(latent_ladder.FAMILY).spec(
            latent_ladder.options(pixels, self.lambdas[0], self.preset))
        return forecast(pixels, (spec,), self.train).seconds


@dataclass(frozen=True)
class Planned:
    total: int  # points to come


@dataclass(frozen=True)
class AnchorDone:
    point: anchors.AnchorPoint


@dataclass(frozen=True)
class RungDone:
    key: str
    point: ladder.Point


@dataclass(frozen=True)
class LatentDone:
    point: latent_ladder.LatentPoint


def window_ladder(pixels: np.ndarray, snapshots: list[Snapshot],
                  qat_steps: int = QatConfig.steps,
                  families: tuple[str, ...] = ladder.FAMILIES,
                  qualities: tuple[int, ...] = anchors.QUALITIES,
                  should_stop: Callable[[], bool] = lambda: False,
                  with_anchors: bool = True,
                  latent: LatentPlan | None = None) -> Iterator[object]:
    """The window's rate–distortion view as a generator of messages: :class:`Planned` first,
    then each JPEG/WebP/AVIF point (unless ``with_anchors`` is False: the window draws them
    when the image opens), each rung of each model as it is measured, then each λ of
    ``latent`` (a worker thread iterates it; each yield is a point where it can stop, and
    ``should_stop`` also ends a latent point's training at its next step)."""
    formats = anchors.available()[0] if with_anchors else ()
    plans = {s.key: ladder.rungs(s.model.config.width, families) for s in snapshots}
    lambdas = latent.lambdas if latent is not None else ()
    yield Planned(len(formats) * len(qualities) + sum(len(r) for r in plans.values())
                  + len(lambdas))
    for point in anchor_points(pixels, formats, qualities):
        if should_stop():
            return
        yield point
    for snap in snapshots:
        for pt in ladder.measure(snap, plans[snap.key], qat_steps=qat_steps,
                                 should_stop=should_stop):
            yield RungDone(snap.key, pt)
    if latent is not None and not should_stop():
        for point in latent_ladder.measure(pixels, latent.train, lambdas, latent.preset,
                                           should_stop=should_stop):
            yield LatentDone(point)


def anchor_points(pixels: np.ndarray, formats: tuple[str, ...] | None = None,
                  qualities: tuple[int, ...] = anchors.QUALITIES) -> Iterator[AnchorDone]:
    """JPEG, WebP and AVIF (those this Pillow writes) at each quality, one point at a time
    (milliseconds to a second each: the window draws them as the image opens)."""
    for fmt in anchors.available()[0] if formats is None else formats:
        for q in qualities:
            yield AnchorDone(anchors.point(pixels, fmt, q))
