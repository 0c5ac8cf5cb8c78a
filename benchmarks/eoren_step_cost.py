"""What an EoREN gradient step costs next to a SIREN pixel step, same network.

Both are full-batch Adam steps through the engine's :class:`Trainer` on the same image and
SIREN shape; EoREN's loss takes one autograd pass per colour channel, kept for the double
backward. The yardstick is the SIREN pixel step: the two are timed interleaved in one process
(the machine may be shared: the ratio is the figure, not the seconds), and the median of
``--repeats`` rounds is printed.

    python3 benchmarks/eoren_step_cost.py --size 64x96 --width 32 --threads 1
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from _bench import YARDSTICK_MODEL  # noqa: E402
from inr_studio.engine.config import TrainConfig  # noqa: E402
from inr_studio.engine.trainer import Trainer  # noqa: E402
from inr_studio.models import registry  # noqa: E402
from inr_studio.models.registry import ModelOptions  # noqa: E402
from inr_studio.problem import FitProblem  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=_bench.parse_size, default=(64, 96),
                    help="HxW of a random test image")
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20, help="steps per timed round")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    h, w = args.size
    pixels = np.random.default_rng(0).random((h, w, 3)).astype(np.float32)
    options = ModelOptions(width=args.width, image_size=(h, w))
    trainers = {}
    for key in (YARDSTICK_MODEL, "eoren"):
        spec = registry.entry(key).spec(options)
        config = TrainConfig(iters=10**6, lr=1e-4, device="cpu")
        trainers[key] = Trainer(FitProblem.create(pixels, spec.config), config, spec.phases)
        for _ in range(3):
            trainers[key].step()  # warm-up
    times: dict[str, list[float]] = {k: [] for k in trainers}
    for _ in range(args.repeats):
        for key, trainer in trainers.items():
            t0 = time.perf_counter()
            for _ in range(args.steps):
                trainer.step()
            times[key].append((time.perf_counter() - t0) / args.steps)
    ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
    print(f"{h}x{w}, width {args.width}, {args.threads} thread(s): pixel step "
          f"{ms[YARDSTICK_MODEL]:.2f} ms, gradient step {ms['eoren']:.2f} ms, "
          f"ratio {ms['eoren'] / ms[YARDSTICK_MODEL]:.2f}")


if __name__ == "__main__":
    main()
