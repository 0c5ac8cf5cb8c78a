"""One model trained to its last step at the window's CPU settings, and what its curve did:
the returned network's PSNR (of the whole working image, as saved: the best step's weights
unless ``--schedule constant --return last``), the curve's best step, the last step's weights,
and the lowest of the last 300 steps. Shows the spikes of Adam at the CPU learning rate, and
that the returned network is the curve's best, the yardstick (docs/results.md, "Training to the
best").

    python3 benchmarks/run_to_end.py --models qt hs ftc siren --long-side 256 --warmup 0.25 0
    python3 benchmarks/run_to_end.py --models siren ftc qt hs eoren pe-relu pe-siren siren-matched
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inr_studio.metrics import psnr_from_mse  # noqa: E402


def curve(image: str, key: str, long_side: int, warmup: float, iters: int | None,
          schedule: str | None = None, keep_best: bool = True
          ) -> tuple[np.ndarray, float, float]:
    """Per-step PSNR (of the forward each step used), the returned network's whole-image PSNR
    and the last step's weights' PSNR."""
    changes = {"iters": iters} if iters else {}
    if schedule:
        changes["schedule"] = schedule
    session = _bench.cpu_session(image, long_side=long_side, warmup=warmup, models=(key,),
                                 keep_best=keep_best, **changes)
    trainer = _bench.session_trainers(session)[key]
    mses = []
    while not trainer.done:
        mses.append(trainer.step()[1])
    return psnr_from_mse(torch.stack(mses).numpy()), trainer.full_psnr()[1], trainer.last_psnr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=None, help=_bench.IMAGE_HELP)
    ap.add_argument("--models", nargs="+", default=["qt"])
    ap.add_argument("--long-side", type=int, default=256)
    ap.add_argument("--warmup", type=float, nargs="+", default=[0.25])
    ap.add_argument("--iters", type=int, default=None,
                    help="steps (default: the window's CPU setting)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--schedule", default=None,
                    help="force a schedule (default: the window's, each model's own)")
    ap.add_argument("--return", dest="returned", choices=("best", "last"), default="best")
    args = ap.parse_args()
    image = _bench.image_or_default(args.image)
    torch.set_num_threads(args.threads)
    for key in args.models:
        for warmup in args.warmup:
            ps, final, last = curve(image, key, args.long_side, warmup, args.iters,
                                    args.schedule, args.returned == "best")
            every = " ".join(f"{ps[i]:.1f}" for i in range(199, len(ps), 200))
            print(f"{key:13s} warm-up {warmup:<4g} returned {final:5.2f}  curve's best "
                  f"{ps.max():5.2f} at step {int(ps.argmax())} (returned − best "
                  f"{final - ps.max():+.3f})  last step's weights {last:5.2f}  lowest of the "
                  f"last 300 {ps[-300:].min():5.2f}  every 200: {every}", flush=True)


if __name__ == "__main__":
    main()
