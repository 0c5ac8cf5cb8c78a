"""Cost of one training iteration of SIREN, LoE FtC, LoE QT and HS-LoE at equal width.

One iteration is what ``Trainer.step()`` does in the paper's protocol: a full-batch forward,
the MSE loss, the backward and one Adam step. All four models are timed in one run on the same
machine, interleaved over ``--repeats`` rounds so that drift in the machine's load hits them
alike; each figure is the median over every timed step after warm-up. The ratio to SIREN is the
number that matters (the LoE paper's claim: an LoE layer costs the same MACs as a plain layer).

Yardstick: SIREN of the same width and depth, timed in the same rounds.

Example (a quarter-scale Kodak, the paper's 3×256 network)::

    python3 benchmarks/bench_iteration.py --size 128x192 --iters 10 --repeats 3
    python3 benchmarks/bench_iteration.py --threads 1 --clock cpu
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from _bench import YARDSTICK_MODEL, load_average, parse_size, sample_pixels, sync  # noqa: E402
from inr_studio.device import describe, pick_device  # noqa: E402
from inr_studio.engine.config import TrainConfig  # noqa: E402
from inr_studio.engine.objectives import pixel_loss  # noqa: E402
from inr_studio.engine.trainer import Trainer  # noqa: E402
from inr_studio.models import MODEL_KINDS, registry, make_model_config  # noqa: E402
from inr_studio.problem import FitProblem  # noqa: E402
from inr_studio.tiling import auto_tile_scale  # noqa: E402

TARGET_RATIO = 1.3


def make_trainer(kind: str, pixels: np.ndarray, args: argparse.Namespace) -> Trainer:
    h, w = pixels.shape[:2]
    scale = auto_tile_scale(h, w) if args.tile_scale == "auto" else float(args.tile_scale)
    cfg = make_model_config(kind, width=args.width, depth=args.depth, tile_scale=scale)
    problem = FitProblem.create(pixels, cfg)
    return Trainer(problem, TrainConfig(iters=10**9, seed=0, device=args.device))


def time_steps(trainer: Trainer, n: int, clock=time.perf_counter) -> list[float]:
    out = []
    for _ in range(n):
        sync(trainer.device)
        t0 = clock()
        trainer.step()
        sync(trainer.device)
        out.append(clock() - t0)
    return out


def time_phases(trainer: Trainer, n: int) -> dict[str, float]:
    """Median ms of forward+loss, backward and the Adam step, timed apart (one sync each):
    the plain step's pixel MSE on the full batch, as the trainer computes it."""
    phases: dict[str, list[float]] = {"forward": [], "backward": [], "adam": []}
    batch = trainer.batcher.full
    if batch is None:
        raise SystemExit("the per-phase split needs a full-batch trainer")
    model, opt, dev = trainer.model, trainer.optimizer, trainer.device
    for _ in range(n):
        opt.zero_grad(set_to_none=True)
        sync(dev)
        t0 = time.perf_counter()
        loss, _ = pixel_loss(model, batch)
        sync(dev)
        t1 = time.perf_counter()
        loss.backward()
        sync(dev)
        t2 = time.perf_counter()
        opt.step()
        sync(dev)
        t3 = time.perf_counter()
        phases["forward"].append(t1 - t0)
        phases["backward"].append(t2 - t1)
        phases["adam"].append(t3 - t2)
    return {k: 1e3 * statistics.median(v) for k, v in phases.items()}


def gather_share(trainer: Trainer) -> tuple[float, float]:
    """(ms in row permutations, ms in matmuls) over one full step, from the profiler."""
    from torch.profiler import ProfilerActivity, profile

    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if trainer.device.type == "cuda" else [])
    with profile(activities=acts) as prof:
        trainer.step()
        sync(trainer.device)
    gather = matmul = 0.0
    for ev in prof.key_averages():
        t = (ev.device_time_total if trainer.device.type == "cuda" else ev.self_cpu_time_total) / 1e3
        if ev.key == "aten::index_select":
            gather += t
        elif ev.key in ("aten::mm", "aten::addmm"):
            matmul += t
    return gather, matmul


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=parse_size, default=(128, 192), help="HxW (default 128x192)")
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10, help="timed steps per model per round")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps per model first")
    ap.add_argument("--repeats", type=int, default=3, help="rounds, the models interleaved")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: elapsed time; cpu: this process's CPU time, which other processes on "
                         "a shared machine do not inflate (use with --threads 1 on a CPU)")
    ap.add_argument("--image", default=None, help="image file (default: scikit-image's astronaut)")
    ap.add_argument("--tile-scale", default="auto",
                    help="factor on every A_i; 'auto' keeps the paper's cell sizes in pixels")
    ap.add_argument("--models", default=",".join(MODEL_KINDS))
    ap.add_argument("--no-split", action="store_true", help="skip the per-phase time split")
    args = ap.parse_args(argv)

    h, w = args.size
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    args.device = str(device)
    if args.clock == "cpu" and device.type != "cpu":
        ap.error("--clock cpu measures CPU work; use the wall clock on an accelerator")
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    kinds = [k.strip() for k in args.models.split(",") if k.strip()]
    if YARDSTICK_MODEL not in kinds:
        kinds.insert(0, YARDSTICK_MODEL)
    pixels = sample_pixels(args.image, h, w)
    trainers = {k: make_trainer(k, pixels, args) for k in kinds}
    print(f"# {h}x{w} = {h * w} pixels, width {args.width}, depth {args.depth}, full batch, Adam")
    print(f"# device: {describe(device)}; torch {torch.__version__}; threads "
          f"{torch.get_num_threads()}; {platform.processor() or platform.machine()}")
    print(f"# {args.repeats} rounds x {args.iters} timed steps per model (after {args.warmup} "
          f"warm-up); {args.clock} clock")
    print(f"# load average at start: {load_average()}")

    for t in trainers.values():
        time_steps(t, args.warmup)
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(args.repeats):
        for k, t in trainers.items():
            times[k].extend(time_steps(t, args.iters, clock))

    med = {k: 1e3 * statistics.median(v) for k, v in times.items()}
    fastest = {k: 1e3 * min(v) for k, v in times.items()}
    spread = {k: (1e3 * np.percentile(v, 25), 1e3 * np.percentile(v, 75)) for k, v in times.items()}
    base = med[YARDSTICK_MODEL]
    print()
    print(f"{'model':<10} {'ms/iter':>9} {'IQR':>17} {'x SIREN':>8} {'min ms':>8} {'x SIREN':>8}"
          "  experts/layer")
    worst = 0.0
    for k in kinds:
        ratio = med[k] / base
        if k != YARDSTICK_MODEL:
            worst = max(worst, ratio)
        lo, hi = spread[k]
        experts = trainers[k].model.experts
        print(f"{registry.label(k):<10} {med[k]:9.2f} {f'{lo:.2f}-{hi:.2f}':>17} {ratio:8.3f} "
              f"{fastest[k]:8.2f} {fastest[k] / fastest[YARDSTICK_MODEL]:8.3f}  {experts}")
    print(f"\nworst LoE ratio of medians {worst:.3f} (target <= {TARGET_RATIO})"
          f" -> {'met' if worst <= TARGET_RATIO else 'NOT met'}; load average now: {load_average()}")

    if not args.no_split:
        print(f"\n{'model':<10} {'forward':>9} {'backward':>9} {'adam':>7} {'perm':>7} {'matmul':>7}  (ms)")
        for k, t in trainers.items():
            ph = time_phases(t, max(3, args.iters // 2))
            g, c = gather_share(t)
            print(f"{registry.label(k):<10} {ph['forward']:9.2f} {ph['backward']:9.2f} "
                  f"{ph['adam']:7.2f} {g:7.2f} {c:7.2f}")
        print("# forward (with loss), backward, adam: wall clock, timed apart, median; "
              "perm, matmul: profiler self time of aten::index_select, aten::mm + aten::addmm over one step")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
