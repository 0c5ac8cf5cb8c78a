"""Brotli against the per-tensor range coder on trained networks' quantised weights.

    python3 benchmarks/entropy_sections.py --limit 4 --iters 300 [--kodak DIR]

Per Kodak image (256 px on the longer side), a SIREN 3×64 is fitted once; it is then saved
plain at several bit depths and as SINR (s = 16, k2 = 4096, 16 bits) with entropy coding off
(Brotli or stored per section, as version 1 but per section: the yardstick) and on (each
section the smaller of those and the range coder). Printed: the whole file's bytes and bpp
(means over images) and which coding the values section took.
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import collections  # noqa: E402
from dataclasses import replace  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inr_studio.codec import CodecOptions, roundtrip  # noqa: E402
from inr_studio.engine.config import TrainConfig  # noqa: E402
from inr_studio.engine.fit import fit  # noqa: E402
from inr_studio.models import make_model_config  # noqa: E402
from inr_studio.problem import FitProblem  # noqa: E402
from inr_studio.render import TrainedNetwork  # noqa: E402

SETTINGS = {f"plain-{b}": CodecOptions(plain=True, bits=b) for b in (16, 12, 10, 8, 6)}
SETTINGS["sinr-s16"] = CodecOptions(sparsity=16, target_error=None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _bench.add_kodak_option(ap)
    ap.add_argument("--limit", type=int, default=4)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--side", type=int, default=256, help="longer side of the fitted images")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows: dict[tuple[str, bool], list] = collections.defaultdict(list)
    paths = _bench.kodak_images(args.kodak, args.limit)
    for p in paths:
        px = _bench.long_side_pixels(p, args.side)
        h, w = px.shape[:2]
        problem = FitProblem.create(px, make_model_config("siren", width=64, depth=3))
        trainer, last = fit(problem, TrainConfig(iters=args.iters, lr=1e-3, seed=0))
        net = TrainedNetwork(trainer.model.cpu(), h, w, None)
        for name, opts in SETTINGS.items():
            for ent in (False, True):
                rt = roundtrip(net, px, replace(opts, entropy=ent))
                rows[(name, ent)].append((rt.file_bytes, rt.bpp, rt.psnr,
                                          rt.report.codings["values"]))
        print(f"{p.stem}: PSNR {last.psnr:.2f} dB", flush=True)
    print(f"\nSIREN 3x64, {len(paths)} images at {args.side} px, {args.iters} steps; "
          "means over images")
    print("| setting | PSNR decoded | bytes, Brotli/stored | bytes, + range coder | saved | "
          "values section coded by |")
    print("|---|---|---|---|---|---|")
    for name in SETTINGS:
        a, b = rows[(name, False)], rows[(name, True)]
        ba, bb = np.mean([r[0] for r in a]), np.mean([r[0] for r in b])
        took = collections.Counter(r[3] for r in b)
        print(f"| {name} | {np.mean([r[2] for r in b]):.2f} | {ba:,.0f} ({np.mean([r[1] for r in a]):.3f} bpp) | "
              f"{bb:,.0f} ({np.mean([r[1] for r in b]):.3f} bpp) | {100 * (1 - bb / ba):.1f} % | "
              f"{', '.join(f'{k} ×{v}' for k, v in took.items())} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
