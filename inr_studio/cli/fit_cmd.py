"""``inr-studio fit IMAGE``: train one network on one image and write what it made.

Writes ``reconstruction.png``, ``error_map.png``, ``metrics.json`` and
``checkpoint.safetensors`` into ``--out``. Progress goes to stderr, the summary to stdout.
Ctrl-C stops training and still writes the outputs of the network as it is (nothing is lost).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..models import registry
from .. import __version__
from ..atomic import atomic_write_bytes
from ..imaging import save_png
from ..checkpoint import save_checkpoint
from ..device import describe
from ..errors import OptionError
from ..metrics import error_map, psnr, ssim
from ..problem import FitProblem
from ..device import pick_device
from ..engine.config import TrainConfig
from ..engine.trainer import Trainer
from .common import (
    add_model_options,
    model_config_from_args,
    prepare_fit,
    train_config_from_args,
    train_specs,
)
from .train_options import (announce, protocol_text, check_image_options, preset_from_args,
                            tile_scale_from_args, warn_if_long)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "fit", help="train one network on one image",
        description="Train SIREN, LoE (FtC, QT) or HS-LoE on one image; write the "
                    "reconstruction, its error map, metrics.json and a checkpoint into --out. "
                    "The training defaults are the device's preset (cpu on a CPU: a small "
                    "network on a 256-px working size; gpu on CUDA or MPS); --preset paper is "
                    "the paper's protocol at full size. A run predicted to train longer than "
                    "10 minutes says so before it starts.")
    p.add_argument("image", help="PNG, JPEG, TIFF, WebP or BMP file")
    add_model_options(p)
    p.add_argument("--out", default=None,
                   help="output folder (default: fit-<image>-<model> in the current folder)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run_fit)


def out_dir_for(args: argparse.Namespace) -> Path:
    out = Path(args.out) if args.out else Path(f"fit-{Path(args.image).stem}-{args.model}")
    if out.exists() and not out.is_dir():
        raise OptionError(f"--out {out} is a file; give a folder (it is created if missing).")
    return out


def run_fit(args: argparse.Namespace) -> int:
    train_cfg = train_config_from_args(args)
    check_image_options(args)
    model_config_from_args(args, 512, 768)  # option errors before any image is read
    out = out_dir_for(args)
    loaded, pixels, spec, alias = prepare_fit(args, args.image)
    protocol = announce(args, args.quiet)
    config = spec.config
    h, w = pixels.shape[:2]
    threads = preset_from_args(args).cpu_threads()
    warn_if_long(pixels, (spec,), train_cfg, args)
    _log(f"fitting {registry.label(config.kind)} ({config.parameter_count():,} parameters) to "
         f"{Path(args.image).name} at {w}×{h} on {describe(pick_device(train_cfg.device))}, "
         f"{spec.total_steps(train_cfg.iters)} steps", args.quiet)
    run, results, interrupted = train_specs(pixels, (spec,), train_cfg, desc=spec.key,
                                            quiet=args.quiet, cpu_threads=threads)
    if interrupted:
        _log("writing the network as it is")
    trainer, result = run.trainers[spec.key], results[spec.key]
    problem = trainer.problem
    rec = trainer.reconstruct()
    metrics = _metrics(args, loaded, problem, trainer, train_cfg, result.seconds, rec, alias,
                       interrupted or result.stopped)
    metrics.update(returned="best" if result.kept_best else "last",
                   best_step=result.best_step if result.kept_best else trainer.steps_done,
                   last_psnr=result.last_psnr, schedule=train_cfg.schedule,
                   keep_best=train_cfg.keep_best, protocol=protocol,
                   weights=protocol_text(train_cfg))
    _write_outputs(out, trainer, problem, rec, metrics)
    kept = (f" (the best step's weights, step {metrics['best_step']:,}; the last step's "
            f"{metrics['last_psnr']:.2f} dB)" if result.kept_best else "")
    print(f"{registry.label(config.kind)}: PSNR {metrics['psnr']:.2f} dB{kept}, SSIM "
          f"{metrics['ssim']:.4f}, {metrics['params']:,} parameters, {metrics['iters']} steps in "
          f"{metrics['seconds']:.1f} s on {metrics['device']}; wrote {out}/")
    return 130 if interrupted else 0


def _log(message: str, quiet: bool = False) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def _metrics(args: argparse.Namespace, loaded, problem: FitProblem, trainer: Trainer,
             cfg: TrainConfig, seconds: float, rec: np.ndarray, alias: str | None,
             stopped: bool) -> dict:
    ref = problem.pixels
    return {
        "image": str(loaded.source),
        "bit_depth": loaded.bit_depth,
        "height": problem.height,
        "width": problem.width,
        "scale": problem.height / loaded.height,  # of the source image (the working size)
        "preset": preset_from_args(args).name,
        "model": problem.config.kind,
        "model_label": registry.label(problem.config.kind),
        "psnr": psnr(rec, ref),
        "psnr_definition": "10*log10(1/MSE) on [0,1] values, reconstruction clipped to [0,1]; "
                           "of the network written (returned: best or last step's weights)",
        "ssim": ssim(rec, ref),
        "params": trainer.model.parameter_count(),
        "seconds": seconds,
        "iters": trainer.steps_done,
        "iters_requested": cfg.iters,
        "stopped_early": bool(stopped),
        "lr": cfg.lr,
        "batch_pixels": cfg.batch_pixels,
        "warmup": cfg.warmup,
        "tf32": cfg.tf32,
        "seed": cfg.seed,
        "device": describe(trainer.device),
        "tile_scale": tile_scale_from_args(args),
        "aliasing_warning": alias,
        "model_config": problem.config.to_dict(),
        "segmentation_thresholds": (None if problem.segmentation is None
                                    else [float(t) for t in problem.segmentation.thresholds]),
        "error_map_scale": float(np.abs(np.clip(rec, 0, 1) - ref).max()),
        "inr_studio_version": __version__,
        "torch_version": torch.__version__,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _write_outputs(out: Path, trainer: Trainer, problem: FitProblem, rec: np.ndarray,
                   metrics: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    save_png(out / "reconstruction.png", rec)
    save_png(out / "error_map.png", error_map(rec, problem.pixels))
    save_checkpoint(out / "checkpoint.safetensors", trainer.model, problem.height, problem.width,
                    problem.class_map, extra={k: metrics[k] for k in (
                        "image", "psnr", "iters", "lr", "seed", "scale", "returned",
                        "best_step")})
    text = json.dumps(_json_safe(metrics), indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(out / "metrics.json", text.encode("utf-8"))


def _json_safe(value):
    """NaN/inf are not JSON: write them as null (SSIM of a tiny image, PSNR of a perfect fit)."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
