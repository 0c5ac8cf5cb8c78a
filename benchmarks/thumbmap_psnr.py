"""Does training HS-LoE on a thumbnail's class map cost PSNR? And what does the whole file cost?

    python3 benchmarks/thumbmap_psnr.py --kodak ../shared/data/kodak --limit 6 --iters 500

Per image (256 px on the longer side): HS-LoE (3×W, tile scale auto) fitted with the same seed
on (a) the full-resolution Multi-Otsu map (today's), (b) the map of a 32-px and (c) a 64-px
luminance thumbnail (``SegmentationConfig(thumbnail=S)``: the map a decoder rebuilds). Each
is saved as .sinr (plain quantisation at --bits, entropy coding on; the class map in its best
coding) and decoded; the PSNR after decoding and the file's bpp (every byte) are printed.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from inr_studio.codec import CodecOptions, class_map_source, roundtrip
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.fit import fit
from inr_studio.imaging import load_image, resize_image
from inr_studio.models import make_model_config
from inr_studio.problem import FitProblem
from inr_studio.render import TrainedNetwork
from inr_studio.tiling import auto_tile_scale


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kodak", default="../shared/data/kodak")
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--iters", type=int, default=500)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--bits", type=int, default=10)
    ap.add_argument("--side", type=int, default=256)
    args = ap.parse_args()
    torch.set_num_threads(1)
    paths = sorted(Path(args.kodak).glob("kodim*.png"))[: args.limit]
    results: dict[str, list[tuple[float, float, int]]] = {}
    t0 = time.perf_counter()
    for p in paths:
        px = load_image(p).pixels
        s = args.side / max(px.shape[:2])
        px = resize_image(px, round(px.shape[0] * s), round(px.shape[1] * s))
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
