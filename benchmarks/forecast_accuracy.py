"""How well the forecast before a run (``inr_studio/engine/forecast.py``, what decides the CLI's
warning before a run of over 10 minutes) predicts the run's training seconds. Yardstick: the
training seconds of the same run, measured right after in the same fresh process (as the CLI
runs them), per model and in all; the ratio predicted / actual is printed.

    python3 benchmarks/forecast_accuracy.py --preset cpu --iters 200 --models siren,ftc,qt,hs
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import sys  # noqa: E402
from dataclasses import replace  # noqa: E402

from inr_studio.engine.fit import fit_side_by_side  # noqa: E402
from inr_studio.engine.forecast import forecast  # noqa: E402
from inr_studio.engine.presets import PRESETS  # noqa: E402
from inr_studio.imaging import load_image, resize_image, working_size  # noqa: E402
from inr_studio.models import registry  # noqa: E402
from inr_studio.models.options import ModelOptions  # noqa: E402
from inr_studio.tiling import auto_tile_scale  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", default=None, help=_bench.IMAGE_HELP)
    ap.add_argument("--preset", default="cpu", choices=list(PRESETS))
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--models", default="siren,ftc,qt,hs")
    ap.add_argument("--long-side", type=int, default=None,
                    help="working size's longer side (default: the preset's)")
    args = ap.parse_args()
    p = PRESETS[args.preset]
    image = load_image(_bench.image_or_default(args.image)).pixels
    h, w = working_size(*image.shape[:2], args.long_side or p.long_side)
    pixels = resize_image(image, h, w)
    config = replace(p.train, iters=args.iters, device="cpu")
    scale = auto_tile_scale(h, w) if p.scale_tiles else 1.0
    specs = registry.build_specs(tuple(args.models.split(",")), ModelOptions(
        width=p.width, image_size=(h, w), tile_scale=scale))
    predicted = forecast(pixels, specs, config, p.cpu_threads())
    _, results, _ = fit_side_by_side(pixels, specs, config, cpu_threads=p.cpu_threads())
    print(f"{args.preset} preset, {w}×{h}, {args.iters} steps; seconds predicted / trained")
    for key, r in results.items():
        guess = predicted.step_s[key] * predicted.work[key]
        print(f"{key:<14}{guess:9.2f}{r.seconds:9.2f}{guess / r.seconds:8.2f}×")
    total = sum(r.seconds for r in results.values())
    print(f"{'all':<14}{predicted.seconds:9.2f}{total:9.2f}{predicted.seconds / total:8.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
