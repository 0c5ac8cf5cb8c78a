"""What one live preview costs, part by part, for each of the four paper models at the window's
CPU settings: the render (during the coarse warm-up no step drew the whole picture), the error
map, PSNR and SSIM in float64 and in float32 (what :func:`inr_studio.metrics.ssim` uses).

Median milliseconds of ``--repeat`` calls, in one process.

    python3 benchmarks/preview_cost.py --long-side 256
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import inr_studio  # noqa: E402,F401 - OpenMP and allocator settings before torch
import numpy as np  # noqa: E402
import torch  # noqa: E402
from skimage.metrics import structural_similarity  # noqa: E402

from inr_studio.engine.trainer import Trainer  # noqa: E402
from inr_studio.imaging import load_image  # noqa: E402
from inr_studio.metrics import error_magnitude, psnr, ssim  # noqa: E402
from inr_studio.problem import FitProblem  # noqa: E402
from inr_studio.ui.session import Session, defaults_for  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=str(ROOT.parent / "shared/data/kodak/kodim23.png"))
    ap.add_argument("--long-side", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    session = Session(replace(defaults_for("cpu"), device="cpu", long_side=args.long_side))
    session.set_image(load_image(args.image))
    h, w = session.working.shape[:2]
    print(f"{w}x{h}, {args.threads} threads; median ms of {args.repeat} calls")
    for spec in session.model_specs():
        trainer = Trainer(FitProblem.create(session.working, spec.config),
                          session.settings.train_config(), spec.phases)
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
        print(f"{spec.key:6s} {cells}", flush=True)


if __name__ == "__main__":
    main()
