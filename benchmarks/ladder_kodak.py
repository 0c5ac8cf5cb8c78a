"""The file ladder on Kodak: at 256 px longest side, small SIRENs trained to the end, every rung
(plain, QAT, SINR, SINR fine-tuned, bit allocation) against JPEG, WebP and AVIF (the
yardsticks) at their qualities.

    python3 benchmarks/ladder_kodak.py --images 12 --iters 1000 --out docs/data
    python3 benchmarks/ladder_kodak.py --report --out docs/data

Writes ladder.csv after every image (a run cut short keeps what it measured); build the table,
BD-rates and plot afterwards with ``--report`` (reads the CSV only).
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from inr_studio.atomic import atomic_write, atomic_write_bytes  # noqa: E402
from inr_studio.engine.config import QatConfig, TrainConfig  # noqa: E402
from inr_studio.studies import ladder  # noqa: E402
from inr_studio.studies.ladder_report import (ANCHOR_FAMILIES, from_csv, markdown,  # noqa: E402
                                              means, plot, to_csv)
from inr_studio.studies.ladder_run import anchor_rows, measure_image  # noqa: E402
from inr_studio.studies.rd import RdModel  # noqa: E402


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, file=sys.stderr, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _bench.add_kodak_option(ap)
    ap.add_argument("--images", type=int, default=12)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--qat-steps", type=int, default=QatConfig.steps)
    ap.add_argument("--qat-lr-scale", type=float, default=QatConfig.lr_scale,
                    help="learning rate of the QAT/SINR fine-tuning, times --lr")
    ap.add_argument("--families", default=",".join(ladder.FAMILIES),
                    help="rungs to measure (default: all)")
    ap.add_argument("--csv", default="ladder.csv", help="file name under --out")
    ap.add_argument("--models", default="2x32,3x64",
                    help="DEPTHxWIDTH (a SIREN) or KIND:DEPTHxWIDTH, comma-separated; an image "
                         "already in the CSV gets only the models it lacks")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="docs/data")
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--reanchor", action="store_true",
                    help="recompute the JPEG/WebP/AVIF rows of the images in the CSV (Pillow only)")
    args = ap.parse_args()

    def working(name: str):
        """The Kodak image at ``--side`` px on its longest side."""
        return _bench.long_side_pixels(_bench.kodak_image(name, args.kodak), args.side)

    out = Path(args.out)
    csv_path = out / args.csv
    if args.reanchor:
        rows = from_csv(csv_path.read_bytes())
        names = list(dict.fromkeys(r.image for r in rows))
        fresh = [a for n in names for a in anchor_rows(n, working(n))]
        kept = [r for r in rows if r.family not in ANCHOR_FAMILIES]
        atomic_write_bytes(csv_path, to_csv(fresh + kept))
        log(f"anchors recomputed for {len(names)} image(s)")
        return 0
    if args.report:
        rows = from_csv(csv_path.read_bytes())
        ms = means(rows)
        # the means use the images that have every model (a run cut short mid-image is left out)
        n = max((m.images for m in ms if m.family not in ANCHOR_FAMILIES), default=0)
        print(markdown(ms, anchors=False))
        img = plot(ms, f"Kodak, {n} image(s) at {args.side} px longest side: means over images")
        png = Path(args.csv).stem.replace("ladder", "ladder_rd", 1) + ".png"
        atomic_write(out / png, lambda fh: img.save(fh, format="PNG"))
        return 0
    torch.set_num_threads(args.threads)
    rows = from_csv(csv_path.read_bytes()) if csv_path.is_file() else []
    done = {(r.image, r.model) for r in rows}
    train = TrainConfig(iters=args.iters, lr=args.lr, device="cpu")
    wanted = [RdModel.parse(m if ":" in m else f"siren:{m}") for m in args.models.split(",")]
    for k in range(args.first, args.first + args.images):
        name = f"kodim{k:02d}"
        models = [m for m in wanted if (name, m.name) not in done]
        if not models:
            continue
        pixels = working(name)
        new = measure_image(name, pixels, [(m.kind, m.depth, m.width) for m in models], train,
                            args.qat_steps, families=tuple(args.families.split(",")), log=log,
                            with_anchors=not any(r.image == name for r in rows),
                            qat_lr_scale=args.qat_lr_scale)
        rows += new
        atomic_write_bytes(csv_path, to_csv(rows))
        log(f"{name} done; {len({r.image for r in rows})} image(s) in {csv_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
