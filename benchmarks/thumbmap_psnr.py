"""Does training HS-LoE on a thumbnail's class map cost PSNR? And what does the whole file cost?

    python3 benchmarks/thumbmap_psnr.py --limit 6 --iters 500 [--kodak DIR]

Per Kodak image (256 px on the longer side): HS-LoE (3×W, tile scale auto) fitted with the same
seed on (a) the full-resolution Multi-Otsu map (the yardstick), (b) the map of a 32-px and
(c) a 64-px luminance thumbnail (``SegmentationConfig(thumbnail=S)``: the map a decoder
rebuilds). Each is saved as .sinr (plain quantisation at --bits, entropy coding on; the class map in its best
coding) and decoded; the PSNR after decoding and the file's bpp (every byte) are printed.
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inr_studio.codec import CodecOptions, class_map_source, roundtrip  # noqa: E402
from inr_studio.engine.config import TrainConfig  # noqa: E402
from inr_studio.engine.fit import fit  # noqa: E402
from inr_studio.models import make_model_config  # noqa: E402
from inr_studio.problem import FitProblem  # noqa: E402
from inr_studio.render import TrainedNetwork  # noqa: E402
from inr_studio.tiling import auto_tile_scale  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _bench.add_kodak_option(ap)
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--iters", type=int, default=500)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--bits", type=int, default=10)
    ap.add_argument("--side", type=int, default=256)
    args = ap.parse_args()
    torch.set_num_threads(1)
    paths = _bench.kodak_images(args.kodak, args.limit)
    results: dict[str, list[tuple[float, float, int]]] = {}
    t0 = time.perf_counter()
    for p in paths:
        px = _bench.long_side_pixels(p, args.side)
        h, w = px.shape[:2]
        cfg = make_model_config("hs", width=args.width, depth=3, tile_scale=auto_tile_scale(h, w))
        for name, side in (("full map", 0), ("thumbnail 32", 32), ("thumbnail 64", 64)):
            # SegmentationConfig.thumbnail: FitProblem.create (the engine's) builds that map
            config = replace(cfg, segmentation=replace(cfg.segmentation, thumbnail=side))
            trainer, last = fit(FitProblem.create(px, config),
                                TrainConfig(iters=args.iters, lr=1e-3, seed=0))
            problem = trainer.problem
            net = TrainedNetwork(trainer.model.cpu(), h, w, problem.class_map)
            rt = roundtrip(net, px, CodecOptions(plain=True, bits=args.bits),
                           class_map=class_map_source(problem.segmentation))
            results.setdefault(name, []).append((rt.psnr, rt.bpp, rt.decoded.sections["class_map"]))
            print(f"{p.stem} {name:<13} PSNR {last.psnr:6.2f} float, {rt.psnr:6.2f} decoded; "
                  f"{rt.file_bytes:,} B = {rt.bpp:.3f} bpp (map {rt.decoded.sections['class_map']:,} "
                  f"B, {rt.report.codings['class_map']})", flush=True)
    print(f"\nHS-LoE 3x{args.width}, {len(paths)} images at {args.side} px, {args.iters} steps, "
          f"plain {args.bits}-bit + entropy coding; means over images; "
          f"{time.perf_counter() - t0:.0f} s")
    print("| class map | PSNR decoded (dB) | bpp (whole file) | map bytes |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        a = np.array(rows)
        print(f"| {name} | {a[:, 0].mean():.2f} | {a[:, 1].mean():.3f} | {a[:, 2].mean():.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
