"""``inr-studio rd --ladder``: every network at every rung of the file ladder (plain, QAT,
SINR, SINR fine-tuned, bit allocation) against JPEG, WebP and AVIF; writes ladder.csv,
ladder.md (means over images and each curve's BD-rate against JPEG and WebP) and ladder.png."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..engine.config import QAT_STEPS
from ..errors import OptionError
from ..studies.latent_ladder import LAMBDAS, LATENT_ITERS


def add_ladder_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("file ladder (issue 12)")
    g.add_argument("--ladder", action="store_true",
                   help="measure the file ladder (plain, QAT, SINR, SINR fine-tuned, bit "
                        "allocation) against JPEG/WebP/AVIF, with BD-rates")
    g.add_argument("--qat-steps", type=int, default=None, metavar="N",
                   help="quantisation-aware fine-tuning steps per QAT/SINR rung "
                        f"(default {QAT_STEPS})")
    g.add_argument("--target-psnr", type=float, action="append", default=[], metavar="DB",
                   help="add a bit-allocation rung for this PSNR (repeatable)")
    g.add_argument("--lambdas", default=None, metavar="L,L,…",
                   help="the latent model's λ ladder, one training each (default "
                        f"{','.join(f'{x:g}' for x in LAMBDAS)}); its steps: latent@STEPS, "
                        f"else {LATENT_ITERS}")


def parse_lambdas(text: str | None) -> tuple[float, ...]:
    """'0.01,0.002' → (0.01, 0.002); None: the default ladder."""
    if text is None:
        return LAMBDAS
    try:
        out = tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise OptionError(f"--lambdas {text!r} is not a comma-separated list of numbers.") from None
    if not out or not all(0 <= x < 1e3 for x in out):
        raise OptionError(f"--lambdas must list one or more λ in [0, 1000), got {text!r}.")
    return out


def run_ladder(args: argparse.Namespace) -> int:
    from ..atomic import atomic_write, atomic_write_bytes
    from ..studies import ladder
    from ..studies.ladder_report import from_csv, markdown, means, plot, to_csv
    from ..studies.ladder_run import measure_image
    from ..studies.rd import RdModel
    from .common import load_scaled, train_config_from_args

    models = [RdModel.parse(m) for m in args.models.split(",") if m.strip()]
    if not models:
        raise OptionError("--models names no network; e.g. --models siren:3x64.")
    steps = ladder.QAT_STEPS if args.qat_steps is None else args.qat_steps
    if steps < 0:
        raise OptionError(f"--qat-steps must be 0 or more, got {steps}.")
    out = Path(args.out)
    t0 = time.perf_counter()
    latent_iters = next((m.iters for m in models if m.kind == "latent" and m.iters), LATENT_ITERS)
    if args.from_csv:
        if not Path(args.from_csv).is_file():
            raise OptionError(f"--from-csv {args.from_csv}: no such file.")
        rows = from_csv(Path(args.from_csv).read_bytes())
    else:
        train = train_config_from_args(args)
        lambdas = parse_lambdas(args.lambdas)
        rows = []
        for p in args.images:
            pixels = load_scaled(p, args.scale)[1]
            rows += measure_image(Path(p).stem, pixels, [(m.kind, m.depth, m.width) for m in models],
                                  train, steps, tuple(args.target_psnr),
                                  log=lambda m: print(m, file=sys.stderr, flush=True),
                                  lambdas=lambdas, latent_iters=latent_iters)
    out.mkdir(parents=True, exist_ok=True)
    if not args.from_csv:
        atomic_write_bytes(out / "ladder.csv", to_csv(rows))
    ms = means(rows)
    images = sorted({r.image for r in rows})
    note = (f"{len(images)} image(s) ({', '.join(images)}); {args.iters} training steps, "
            f"{steps} fine-tuning steps per QAT/SINR rung"
            + (f", {latent_iters} steps per latent-model λ" if any(m.kind == "latent" for m in models)
               else "") + "; bpp = 8·file bytes/pixels; means over "
            f"images of per-image bpp and PSNR; {time.perf_counter() - t0:.0f} s\n\n")
    table = markdown(ms)
    atomic_write_bytes(out / "ladder.md", (note + table + "\n").encode("utf-8"))
    img = plot(ms, f"file ladder: {len(images)} image(s), means over images")
    atomic_write(out / "ladder.png", lambda fh: img.save(fh, format="PNG"))
    print(note + table)
    print(f"wrote {out}/ladder.csv, ladder.md, ladder.png")
    return 0
