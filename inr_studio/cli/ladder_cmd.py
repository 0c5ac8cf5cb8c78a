"""``inr-studio rd --ladder``: every network at every rung of the file ladder (plain, QAT,
SINR, SINR fine-tuned, bit allocation) against JPEG, WebP and AVIF; writes ladder.csv,
ladder.md (means over images and each curve's BD-rate against JPEG and WebP) and ladder.png."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..engine.config import QatConfig
from ..errors import OptionError


def add_ladder_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("file ladder")
    g.add_argument("--ladder", action="store_true",
                   help="measure the file ladder (plain, QAT, SINR, SINR fine-tuned, bit "
                        "allocation) against JPEG/WebP/AVIF, with BD-rates")
    g.add_argument("--qat-steps", type=int, default=None, metavar="N",
                   help="quantisation-aware fine-tuning steps per QAT/SINR rung "
                        f"(default {QatConfig.steps})")
    g.add_argument("--target-psnr", type=float, action="append", default=[], metavar="DB",
                   help="add a bit-allocation rung for this PSNR (repeatable)")


def run_ladder(args: argparse.Namespace) -> int:
    from ..atomic import atomic_write, atomic_write_bytes
    from ..studies.ladder_report import from_csv, markdown, means, plot, to_csv
    from ..studies.ladder_run import measure_image
    from ..studies.rd import RdModel
    from .common import load_scaled, train_config_from_args
    from .train_options import QAT_OPTION_OF, announce, naming_options, use_preset_threads

    models = [RdModel.parse(m) for m in args.models.split(",") if m.strip()]
    if not models:
        raise OptionError("--models names no network; e.g. --models siren:3x64.")
    with naming_options(QAT_OPTION_OF):
        qat = QatConfig() if args.qat_steps is None else QatConfig(steps=args.qat_steps)
    out = Path(args.out)
    t0 = time.perf_counter()
    training = ""
    if args.from_csv:
        if not Path(args.from_csv).is_file():
            raise OptionError(f"--from-csv {args.from_csv}: no such file.")
        rows = from_csv(Path(args.from_csv).read_bytes())
    else:
        train = train_config_from_args(args)
        images = [(Path(p).stem, load_scaled(p, args.scale)[1]) for p in args.images]
        training = f"training with {announce(args)}; "
        use_preset_threads(args)
        rows = []
        for name, pixels in images:
            rows += measure_image(name, pixels, [(m.kind, m.depth, m.width) for m in models],
                                  train, qat.steps, tuple(args.target_psnr),
                                  log=lambda m: print(m, file=sys.stderr, flush=True),
                                  qat_lr_scale=qat.lr_scale)
    out.mkdir(parents=True, exist_ok=True)
    if not args.from_csv:
        atomic_write_bytes(out / "ladder.csv", to_csv(rows))
    ms = means(rows)
    images = sorted({r.image for r in rows})
    note = (f"{len(images)} image(s) ({', '.join(images)}); {args.iters} training steps, {training}"
            f"{qat.steps} fine-tuning steps per QAT/SINR rung; bpp = 8·file bytes/pixels; means over "
            f"images of per-image bpp and PSNR; {time.perf_counter() - t0:.0f} s\n\n")
    table = markdown(ms)
    atomic_write_bytes(out / "ladder.md", (note + table + "\n").encode("utf-8"))
    img = plot(ms, f"file ladder: {len(images)} image(s), means over images")
    atomic_write(out / "ladder.png", lambda fh: img.save(fh, format="PNG"))
    print(note + table)
    print(f"wrote {out}/ladder.csv, ladder.md, ladder.png")
    return 0
