"""What best-keeping would gain inside the coarse warm-up: its forward sees one pixel of each
2×2 cell, so the curve there is not the whole image's. At the window's CPU defaults, every
``--every`` warm-up steps, the whole image is scored too; printed per model and image: how far
the warm-up's batch PSNR is from the whole image's (mean and largest gap), how much the best
whole-image score so far ever led the current one (what keeping the best inside the warm-up
would have given a run stopped there), and the warm-up's best against the end of the run, the
yardstick.

    nice -n 10 python3 benchmarks/warmup_best.py --images kodim01 kodim02 kodim03
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inr_studio.engine.trainer import Trainer  # noqa: E402
from inr_studio.metrics import psnr_from_mse  # noqa: E402
from inr_studio.problem import FitProblem  # noqa: E402



def measure(name: str, key: str, long_side: int, every: int, iters: int | None = None) -> str:
    session = _bench.cpu_session(_bench.kodak_image(name), long_side=long_side, models=(key,),
                                 **({"iters": iters} if iters else {}))
    spec = session.model_specs()[0]
    trainer = Trainer(FitProblem.create(session.working, spec.config),
                      session.settings.train_config(), spec.phases)
    warm = trainer.phases[0].length(trainer.config.iters) if trainer.phase.objective == "coarse" else 0
    batch, whole = [], []
    while trainer.steps_done < warm:
        step = trainer.steps_done
        if step % every == 0:
            whole.append(trainer.full_psnr()[1])  # the weights the next step's forward sees
        mse = trainer.step()[1]
        if step % every == 0:
            batch.append(float(psnr_from_mse(float(mse))))
    while not trainer.done:
        trainer.step()
    end = trainer.full_psnr()[1]
    b, w = np.array(batch), np.array(whole)
    lead = np.maximum.accumulate(w) - w
    return (f"{name} {key:14s} warm-up {warm} steps: batch − whole mean {np.mean(b - w):+.2f} "
            f"dB, largest |gap| {np.max(np.abs(b - w)):.2f} dB; best-so-far lead over the "
            f"current weights: largest {lead.max():.2f} dB, mean {lead.mean():.3f} dB; "
            f"warm-up's best whole image {w.max():.2f} dB against {end:.2f} returned at the end")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", nargs="+", default=["kodim01", "kodim02", "kodim03"])
    ap.add_argument("--models", nargs="+", default=["siren", "ftc", "qt", "hs"])
    ap.add_argument("--long-side", type=int, default=128)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--iters", type=int, default=None, help="steps (default: the window's)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for name in args.images:
        for key in args.models:
            print(measure(name, key, args.long_side, args.every, args.iters), flush=True)


if __name__ == "__main__":
    main()
