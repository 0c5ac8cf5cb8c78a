"""The per-fit functions of ``bench`` and ``rd --ladder``: one (image, model) each, the same
call in this process and in a Ray task (:mod:`inr_studio.studies.tasks`).

The image comes as its working pixels (a run here, which read it once for all its models) or as
the file's bytes (a Ray task: the cluster's nodes need not see the driver's files), read here
the way the command line reads a file. Each function sets its own torch threads, so its figures
depend on its arguments only.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..studies.table import RunResult

def working_pixels(args: argparse.Namespace, name: str, source: np.ndarray | bytes,
                   scale: float | None = None) -> np.ndarray:
    """The working image: ``source`` itself, or its file (bytes) read and resized as the
    options say (``scale``: the ladder's fixed scale instead)."""
    if isinstance(source, np.ndarray):
        return source
    from ..errors import ImageLoadError
    from .common import load_scaled, load_working

    with tempfile.TemporaryDirectory(prefix="inr-studio-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(source)
        try:
            if scale is not None:
                return load_scaled(path, scale, warn=False)[1]
            return load_working(args, path, warn=False)[1]
        except ImageLoadError as exc:  # name the file, not its copy
            raise ImageLoadError(str(exc).replace(str(path), name)) from None


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Torch's intra-op threads set to ``threads`` for the block (None: left as they are)."""
    import torch

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def bench_fit(args: argparse.Namespace, name: str, source: np.ndarray | bytes, model: str,
              threads: int | None, bar=None) -> RunResult:
    """One model trained on one image with ``bench``'s options: its CSV row."""
    from ..device import describe, pick_device
    from ..metrics import edge_psnr
    from .common import check_segmentable, spec_from_args, train_config_from_args, train_specs
    from .train_options import preset_from_args

    train = train_config_from_args(args)
    pixels = working_pixels(args, name, source)
    h, w = pixels.shape[:2]
    spec = spec_from_args(args, h, w, kind=model)
    check_segmentable(pixels, spec)
    with torch_threads(threads):  # the fit, its last render and the device's description
        run, fitted, interrupted = train_specs(pixels, (spec,), train, bar=bar,
                                               quiet=bar is None, cpu_threads=threads)
        if interrupted:
            raise KeyboardInterrupt
        edges = edge_psnr(run.trainers[spec.key].reconstruct(), pixels)
        device = describe(pick_device(train.device))
    r = fitted[spec.key]
    return RunResult(image=name, model=spec.key, psnr=r.psnr, ssim=r.ssim, seconds=r.seconds,
                     iters=r.steps, params=spec.config.parameter_count(), device=device,
                     edge_psnr=edges, preset=preset_from_args(args).name,
                     returned="best" if r.kept_best else "last",
                     best_step=r.best_step if r.kept_best else r.steps, last_psnr=r.last_psnr,
                     schedule=train.schedule)


def bench_error(name: str, model: str, preset: str, error: str) -> RunResult:
    """The row of a fit that failed: no figures, the reason."""
    nan = float("nan")
    return RunResult(image=name, model=model, psnr=nan, ssim=nan, seconds=0.0, iters=0,
                     params=0, device="", edge_psnr=nan, preset=preset, error=error)


def ladder_fit(args: argparse.Namespace, name: str, source: np.ndarray | bytes,
               model: tuple[str, int, int] | None, threads: int | None,
               log: Callable[[str], None] | None = None) -> list:
    """One network (kind, depth, width) through every rung of the file ladder, or with
    ``model`` None the image's JPEG/WebP/AVIF points: its rows of ladder.csv."""
    from ..engine.config import QatConfig
    from ..studies.latent_ladder import LATENT_ITERS
    from ..studies.ladder_run import anchor_rows, measure_image
    from .common import train_config_from_args
    from .latent_options import parse_lambdas

    pixels = working_pixels(args, name, source, scale=args.scale)
    stem = Path(name).stem
    if model is None:
        return anchor_rows(stem, pixels)
    qat = QatConfig() if args.qat_steps is None else QatConfig(steps=args.qat_steps)
    with torch_threads(threads):
        return measure_image(stem, pixels, [model], train_config_from_args(args), qat.steps,
                             tuple(args.target_psnr), log=log or (lambda _m: None),
                             with_anchors=False, qat_lr_scale=qat.lr_scale,
                             lambdas=parse_lambdas(getattr(args, "lambdas", None)),
                             latent_iters=getattr(args, "latent_iters", LATENT_ITERS))


def ladder_error(name: str, model: str, error: str) -> list:
    from ..studies.ladder_report import Row

    nan = float("nan")
    return [Row(Path(name).stem, model, "error", "", 0, 0, 0, nan, nan, nan, "", 0.0, error)]
