"""Plain vs fast training step: matmul peak, seconds per run, achieved TFLOP/s.

In one run, on one device:

1. a dense n×n matmul's achieved TFLOP/s (fp32; on CUDA also TF32 and bf16): the yardstick,
   the peak the models are compared with;
2. for each model at the paper's size (512×768 pixels, 3 hidden layers of 256): the seconds for an
   ``--iters``-iteration full-batch run (warm-up, compilation and graph capture included, as a
   user waits for them) with the plain step and with the fast step
   (:mod:`inr_studio.engine.fast_step`), the achieved TFLOP/s, the PSNR each reached (the fast
   step must not lose quality), and the ratios fast/plain and achieved/peak.

FLOPs per iteration, from the configuration (N pixels, layers of in_l → out_l):
forward = 2·N·Σ_l in_l·out_l (each pixel meets exactly one expert per layer, so an LoE costs
the MACs of the plain network), backward ≈ 2 × forward (input and weight gradients), so
6·N·Σ_l in_l·out_l per iteration. The sine, the loss and Adam are not counted.

    python3 benchmarks/bench_gpu.py                                   # on a GPU
    python3 benchmarks/bench_gpu.py --device cpu --iters 3 --size 64x96   # runs anywhere
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import gc  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from _bench import parse_size, sample_pixels, sync  # noqa: E402
from inr_studio.device import describe, pick_device  # noqa: E402
from inr_studio.engine.config import TrainConfig  # noqa: E402
from inr_studio.engine.fast_step import FastStepConfig  # noqa: E402
from inr_studio.engine.trainer import Trainer  # noqa: E402
from inr_studio.models import MODEL_KINDS, ModelConfig, make_model_config, registry  # noqa: E402
from inr_studio.problem import FitProblem  # noqa: E402
from inr_studio.tiling import auto_tile_scale  # noqa: E402


def flops_per_iter(cfg: ModelConfig, pixels: int) -> float:
    """6·N·Σ in·out: forward 2·N·Σ in·out, backward twice that (see the module docstring)."""
    return 6.0 * pixels * sum(i * o for o, i in cfg.layer_shapes())


def matmul_tflops(device: torch.device, n: int, dtype: torch.dtype, seconds: float,
                  tf32: bool = False) -> float:
    """Achieved TFLOP/s of ``a @ b`` (n×n), timed for about ``seconds`` after a warm-up."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    prev = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    try:
        a @ b
        sync(device)
        reps, t0 = 0, time.perf_counter()
        while True:
            a @ b
            reps += 1
            if reps % 4 == 0:
                sync(device)
                if time.perf_counter() - t0 >= seconds:
                    break
        elapsed = time.perf_counter() - t0
    finally:
        torch.backends.cuda.matmul.allow_tf32 = prev
    return 2.0 * n**3 * reps / elapsed / 1e12


def timed_run(kind: str, pixels: np.ndarray, args: argparse.Namespace,
              fast: FastStepConfig | None) -> dict:
    h, w = pixels.shape[:2]
    scale = auto_tile_scale(h, w) if args.tile_scale == "auto" else float(args.tile_scale)
    cfg = make_model_config(kind, width=args.width, depth=args.depth, tile_scale=scale)
    trainer = Trainer(FitProblem.create(pixels, cfg),
                      TrainConfig(iters=args.iters, lr=args.lr, seed=0, device=args.device))
    notes = trainer.use_step(fast).notes if fast is not None else ()
    sync(trainer.device)
    t0 = time.perf_counter()
    for _ in range(args.iters):
        trainer.step()
    sync(trainer.device)
    seconds = time.perf_counter() - t0
    _, psnr = trainer.full_psnr()
    flops = flops_per_iter(cfg, h * w) * args.iters
    del trainer  # the trainer and its fast step refer to each other: collect before the next run
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return {"seconds": seconds, "tflops": flops / seconds / 1e12, "psnr": psnr, "notes": notes}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="auto")
    paper = TrainConfig()  # the paper's protocol
    ap.add_argument("--iters", type=int, default=paper.iters)
    ap.add_argument("--size", type=parse_size, default=(512, 768), help="HxW (default 512x768)")
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--lr", type=float, default=paper.lr)
    ap.add_argument("--models", default=",".join(MODEL_KINDS))
    ap.add_argument("--image", default=None, help="image file (default: scikit-image's astronaut)")
    ap.add_argument("--tile-scale", default="auto")
    ap.add_argument("--matmul-n", type=int, default=None, help="matmul size (default 8192 CUDA, 1024 CPU)")
    ap.add_argument("--matmul-seconds", type=float, default=1.0, help="time each matmul this long")
    ap.add_argument("--tf32", action="store_true", help="let the fast step use TF32 matmuls")
    ap.add_argument("--compile", action="store_true", help="let the fast step use torch.compile")
    ap.add_argument("--no-graph", action="store_true", help="no CUDA graph in the fast step")
    args = ap.parse_args(argv)
    device = pick_device(args.device)
    args.device = str(device)
    cuda = device.type == "cuda"
    h, w = args.size
    fast = FastStepConfig(tf32=args.tf32, compile=args.compile, cuda_graph=not args.no_graph)

    print(f"# device: {describe(device)}; torch {torch.__version__}")
    print(f"# {h}x{w} pixels, {args.depth}x{args.width}, {args.iters} iterations, full batch, "
          f"lr {args.lr}; fast step {fast}")
    n = args.matmul_n or (8192 if cuda else 1024)
    secs = args.matmul_seconds
    peaks = {"fp32": matmul_tflops(device, n, torch.float32, secs)}
    if cuda:
        peaks["tf32"] = matmul_tflops(device, n, torch.float32, secs, tf32=True)
        peaks["bf16"] = matmul_tflops(device, n, torch.bfloat16, secs)
    print(f"\nmatmul {n}x{n}: " + ", ".join(f"{k} {v:.3f} TFLOP/s" for k, v in peaks.items()))
    peak_plain = peaks["fp32"]
    peak_fast = peaks["tf32"] if (cuda and args.tf32) else peaks["fp32"]

    pixels = sample_pixels(args.image, h, w)
    kinds = [k.strip() for k in args.models.split(",") if k.strip()]
    print(f"\n{'model':<9} {'plain s':>9} {'fast s':>9} {'fast/plain':>10} {'plain TF/s':>10} "
          f"{'fast TF/s':>9} {'plain/peak':>10} {'fast/peak':>9} {'PSNR plain':>10} {'PSNR fast':>9}")
    all_notes: set[str] = set()
    for kind in kinds:
        p = timed_run(kind, pixels, args, None)
        f = timed_run(kind, pixels, args, fast)
        all_notes.update(f["notes"])
        print(f"{registry.label(kind):<9} {p['seconds']:9.3f} {f['seconds']:9.3f} "
              f"{f['seconds'] / p['seconds']:10.3f} {p['tflops']:10.4f} {f['tflops']:9.4f} "
              f"{p['tflops'] / peak_plain:10.3f} {f['tflops'] / peak_fast:9.3f} "
              f"{p['psnr']:10.2f} {f['psnr']:9.2f}")
    print("\n# fast/plain: run-time ratio (below 1 = the fast step is faster); x/peak: achieved "
          "TFLOP/s over the matmul's (fp32, or TF32 for a TF32 fast step)")
    print("# FLOPs/iter = 6*N*sum(in*out) (forward 2*N*sum(in*out), backward 2x forward)")
    for note in sorted(all_notes):
        print(f"# fast step: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
