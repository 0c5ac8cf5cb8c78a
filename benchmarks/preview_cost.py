"""What one live preview costs, part by part, for each of the four paper models at the window's
CPU settings: the render (during the coarse warm-up no step drew the whole picture), the error
map, PSNR and SSIM in float64 (scikit-image's, the yardstick) and in float32 (what
:func:`inr_studio.metrics.ssim` uses).

Median milliseconds of ``--repeat`` calls, in one process.

    python3 benchmarks/preview_cost.py --long-side 256
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from skimage.metrics import structural_similarity  # noqa: E402

from _bench import median_ms  # noqa: E402
from inr_studio.metrics import error_magnitude, psnr, ssim  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=None, help=_bench.IMAGE_HELP)
    ap.add_argument("--long-side", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    session = _bench.cpu_session(_bench.image_or_default(args.image), long_side=args.long_side)
    h, w = session.working.shape[:2]
    print(f"{w}x{h}, {args.threads} threads; median ms of {args.repeat} calls")
    for key, trainer in _bench.session_trainers(session).items():
        trainer.step()
        rec, ref = trainer.reconstruct(), trainer.problem.pixels
        r64, f64 = np.clip(rec, 0, 1).astype(np.float64), ref.astype(np.float64)
        parts = {
            "render": lambda: trainer.reconstruct(),
            "error map": lambda: error_magnitude(rec, ref),
            "psnr": lambda: psnr(rec, ref),
            "ssim float64": lambda: structural_similarity(f64, r64, data_range=1.0,
                                                          channel_axis=2, win_size=7),
            "ssim float32": lambda: ssim(rec, ref),
        }
        cells = "  ".join(f"{k} {median_ms(f, args.repeat):6.2f}" for k, f in parts.items())
        print(f"{key:6s} {cells}", flush=True)


if __name__ == "__main__":
    main()
