"""One image through the whole ladder: JPEG/WebP/AVIF at their qualities, then each network
trained once and coded at every rung. Shared by ``inr-studio rd --ladder`` and the Kodak
benchmark; rows as :class:`.ladder_report.Row`."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ..codec import finetune  # noqa: F401 - registers the "sinr-finetune" objective
from ..engine.config import TrainConfig
from ..engine.fit import fit
from ..models.config import make_model_config
from ..problem import FitProblem
from ..tiling import auto_tile_scale
from . import anchors, ladder
from .ladder_report import Row


def anchor_rows(name: str, pixels: np.ndarray) -> list[Row]:
    return [Row(name, p.fmt.lower(), p.fmt.lower(), f"q{p.quality}", 0, 0, p.file_bytes, p.bpp,
                p.psnr, float("nan"), "", 0.0) for p in anchors.curves(pixels)]


def measure_image(name: str, pixels: np.ndarray, models: list[tuple[str, int, int]],
                  train: TrainConfig, qat_steps: int = ladder.QAT_STEPS,
                  targets: tuple[float, ...] = (),
                  families: tuple[str, ...] = ladder.FAMILIES,
                  log: Callable[[str], None] = lambda _m: None) -> list[Row]:
    """``models``: (kind, depth, width) each; ``targets``: absolute PSNRs for extra
    bit-allocation rungs (``--target-psnr``)."""
    rows = anchor_rows(name, pixels)
    h, w = pixels.shape[:2]
    for kind, depth, width in models:
        scale = auto_tile_scale(h, w) if kind != "siren" else 1.0
        cfg = make_model_config(kind, width=width, depth=depth, tile_scale=scale)
        t0 = time.perf_counter()
        trainer, res = fit(FitProblem.create(pixels, cfg), train)
        train_s = time.perf_counter() - t0
        model = f"{kind}:{depth}x{width}"
        log(f"{name} {model}: {res.psnr:.2f} dB after {res.steps} steps in {train_s:.0f} s")
        rungs = ladder.rungs(width, families) + [ladder.Rung(f"alloc@{t:g}dB", "alloc-target", 0)
                                                 for t in targets]
        for pt in ladder.measure(trainer, rungs, qat_steps=qat_steps):
            rows.append(Row(name, model, pt.rung.family, pt.rung.name, pt.rung.bits,
                            pt.rung.sparsity, pt.file_bytes, pt.bpp, pt.psnr, pt.psnr_float,
                            " ".join(map(str, pt.tensor_bits)), train_s))
            log(f"  {pt.rung.name:<18} {pt.file_bytes:>8,} B {pt.bpp:7.3f} bpp "
                f"{pt.psnr:6.2f} dB ({pt.psnr - pt.psnr_float:+.2f})")
    return rows
