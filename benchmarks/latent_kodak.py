"""The latent-grid model on Kodak at 256 px (longest side): a λ ladder per image, every point a
real .sinr file, against JPEG/WebP/AVIF and the best earlier INR ladder.

    nice -n 10 python3 benchmarks/latent_kodak.py --images 12 --out docs/data
    python3 benchmarks/latent_kodak.py --report --out docs/data

Images run one after the other in this one process (``--threads`` torch threads, 2 by default).
The CSV (``--csv`` under ``--out``) is rewritten after every point, so a run cut short keeps
what it measured and a second run adds only the points it lacks; ``--tag`` names a variant
(an ablation: ``--quantiser softround``, ``--upsampling bicubic``, ``--context 8``…) so several
live in one CSV. ``--report`` prints the mean curves, the BD-rates against JPEG, WebP, AVIF and
the earlier INRs' best fronts (``docs/data/ladder*.csv``), costs per point, and writes a plot.
Timings are wall and CPU seconds (resource.getrusage: every thread of this process). The
yardsticks are JPEG, WebP and AVIF of the same pictures, coded in this process.
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import csv  # noqa: E402
import io  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inr_studio.atomic import atomic_write, atomic_write_bytes  # noqa: E402
from inr_studio.engine.config import TrainConfig  # noqa: E402
from inr_studio.imaging import load_image, resize_image, scaled_size  # noqa: E402
from inr_studio.models.options import ModelOptions  # noqa: E402
from inr_studio.studies import latent_ladder  # noqa: E402
from inr_studio.studies.ladder_report import ANCHOR_FAMILIES, best_front, from_csv  # noqa: E402
from inr_studio.studies.ladder_report import means as ladder_means  # noqa: E402
from inr_studio.studies.ladder_run import anchor_rows  # noqa: E402
from inr_studio.studies.bdrate import bd_rate, overlap  # noqa: E402
from inr_studio.studies.rdplot import Series, draw  # noqa: E402

@dataclass(frozen=True)
class Record:
    tag: str
    image: str
    lam: float
    preset: str
    quantiser: str
    upsampling: str
    context: int
    iters: int
    file_bytes: int
    weights_bytes: int
    bpp: float
    psnr: float
    psnr_float: float
    train_s: float
    train_cpu_s: float
    encode_s: float
    decode_s: float
    macs_per_pixel: float
    threads: int


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, file=sys.stderr, flush=True)


def working(name: str, side: int) -> np.ndarray:
    loaded = load_image(_bench.kodak_image(name))
    h, w = loaded.pixels.shape[:2]
    return resize_image(loaded.pixels, *scaled_size(h, w, side / max(h, w)))


def read(path: Path) -> list[Record]:
    if not path.is_file():
        return []
    types = {f: t for f, t in Record.__annotations__.items()}
    out = []
    for row in csv.DictReader(io.StringIO(path.read_text())):
        out.append(Record(**{k: (float(v) if types[k] == "float" else int(v)
                                 if types[k] == "int" else v) for k, v in row.items()}))
    return out


def write(path: Path, records: list[Record]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(Record.__annotations__))
    w.writeheader()
    for r in records:
        w.writerow(asdict(r))
    atomic_write_bytes(path, buf.getvalue().encode("utf-8"))


def keeper(args: argparse.Namespace, name: str, lam: float):
    """What saves a trained network (its state dict) under ``--keep-nets``, for
    ``latent_reencode.py``; None without that option."""
    if not args.keep_nets:
        return None
    folder = Path(args.keep_nets)

    def keep(net: torch.nn.Module) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(net.state_dict(), folder / f"{args.tag}_{name}_{lam:g}.pt")
    return keep


def run(args: argparse.Namespace, path: Path) -> None:
    torch.set_num_threads(args.threads)
    records = read(path)
    done = {(r.tag, r.image, r.lam) for r in records}
    lambdas = tuple(float(x) for x in args.lambdas.split(","))
    train = TrainConfig(iters=args.iters, device="cpu", seed=args.seed)
    extra = dict(latent_quantiser=args.quantiser, latent_upsampling=args.upsampling,
                 latent_context=args.context, latent_ste_lr=args.ste_lr)
    for k in range(args.first, args.first + args.images):
        name = f"kodim{k:02d}"
        pixels = working(name, args.side)
        for lam in lambdas:
            if (args.tag, name, lam) in done:
                continue
            p = latent_ladder.measure_point(pixels, lam, train, args.preset,
                                            on_trained=keeper(args, name, lam), **extra)
            records.append(Record(args.tag, name, lam, args.preset, args.quantiser,
                                  args.upsampling, args.context or 0, args.iters, p.file_bytes,
                                  p.weights_bytes, p.bpp, p.psnr, p.psnr_float, p.train_s, p.train_cpu_s,
                                  p.encode_s, p.decode_s, p.macs_per_pixel, args.threads))
            write(path, records)
            log(f"{args.tag} {name} λ={lam:g}: {p.bpp:.3f} bpp {p.psnr:.2f} dB (float "
                f"{p.psnr_float:.2f}); train {p.train_s:.0f} s wall, {p.train_cpu_s:.0f} s CPU; "
                f"encode {p.encode_s:.1f} s, decode {p.decode_s:.2f} s")


def mean_curve(records: list[Record], tag: str, images: list[str]) -> list[tuple[float, float]]:
    """Per λ, the mean over ``images`` of bpp and of PSNR (λs measured on every image)."""
    out = []
    for lam in sorted({r.lam for r in records if r.tag == tag}):
        rs = [r for r in records if r.tag == tag and r.lam == lam and r.image in images]
        if len({r.image for r in rs}) == len(images):
            out.append((float(np.mean([r.bpp for r in rs])), float(np.mean([r.psnr for r in rs]))))
    return out


def report(args: argparse.Namespace, path: Path) -> None:
    records = read(path)
    tags = list(dict.fromkeys(r.tag for r in records))
    images = sorted({r.image for r in records if r.tag == tags[0]})
    anchors = [row for n in images for row in anchor_rows(n, working(n, args.side))]
    am = ladder_means(anchors)
    curves = {fam.upper(): [(m.bpp, m.psnr) for m in am if m.family == fam]
              for fam in ANCHOR_FAMILIES}
    for f in sorted(Path(args.out).glob("ladder*.csv")):  # each earlier measurement on its own
        earlier = [row for row in from_csv(f.read_bytes()) if row.image in images
                   and row.family not in ANCHOR_FAMILIES]
        for model in sorted({r.model for r in earlier}):
            rows = [r for r in earlier if r.model == model]
            if {r.image for r in rows} == set(images):
                ms = ladder_means(rows)
                curves[f"{model} best ({f.stem})"] = best_front([(m.bpp, m.psnr) for m in ms])
    print(f"{len(images)} image(s): {', '.join(images)}; machine: {platform.machine()}, "
          f"{torch.get_num_threads()} torch threads for the report\n")
    print("| variant | λ | images | bpp | of which weights | PSNR (dB) | float PSNR | train wall (s) "
          "| train CPU (s) | encode (s) | decode (s) | MACs/px |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")
    for tag in tags:
        for lam in sorted({r.lam for r in records if r.tag == tag}, reverse=True):
            rs = [r for r in records if r.tag == tag and r.lam == lam and r.image in images]
            if not rs:
                continue
            f = lambda k: float(np.mean([getattr(r, k) for r in rs]))  # noqa: E731
            wbpp = float(np.mean([r.bpp * r.weights_bytes / r.file_bytes for r in rs]))
            print(f"| {tag} | {lam:g} | {len(rs)} | {f('bpp'):.3f} | {wbpp:.3f} | {f('psnr'):.2f} | "
                  f"{f('psnr_float'):.2f} | {f('train_s'):.0f} | {f('train_cpu_s'):.0f} | "
                  f"{f('encode_s'):.1f} | {f('decode_s'):.2f} | {f('macs_per_pixel'):.0f} |")
    print("\n| variant | vs | BD-rate | PSNR range |\n|---|---|---|---|")
    for tag in tags:
        mine = mean_curve(records, tag, images)
        others = dict(curves)
        others.update({t: mean_curve(records, t, images) for t in tags if t != tag})
        for name, pts in others.items():
            lo, hi = overlap(pts, mine)
            rng = f"{lo:.1f}–{hi:.1f} dB" if hi > lo else "no overlap"
            v = bd_rate(pts, mine)
            print(f"| {tag} | {name} | {'n/a' if not np.isfinite(v) else f'{100 * v:+.1f} %'} "
                  f"| {rng} |")
    against = f" | vs {args.against}" if args.against else ""
    print(f"\n| variant | image | BD-rate vs JPEG | vs WebP | vs AVIF{against} |\n"
          f"|---|---|---|---|---|{'---|' if against else ''}")
    pct = lambda v: "n/a" if not np.isfinite(v) else f"{100 * v:+.1f} %"  # noqa: E731
    for tag in tags:
        for name in images:
            mine = [(r.bpp, r.psnr) for r in records if r.tag == tag and r.image == name]
            if len(mine) < 4:
                continue
            own = [a for a in anchors if a.image == name]
            cells = [pct(bd_rate([(a.bpp, a.psnr) for a in own if a.family == fam], mine))
                     for fam in ANCHOR_FAMILIES]
            if against:
                base = [(r.bpp, r.psnr) for r in records if r.tag == args.against and r.image == name]
                cells.append(pct(bd_rate(base, mine)) if len(base) >= 4 else "n/a")
            print(f"| {tag} | {name} | " + " | ".join(cells) + " |")
    whole = [t for t in tags if mean_curve(records, t, images)]  # measured on every image
    series = [Series(f"latent {t}", tuple(mean_curve(records, t, images)), c, True, "o")
              for t, c in zip(whole, ("#17becf", "#d62728", "#9467bd", "#8c564b"))]
    for (name, pts), c in zip(curves.items(), ("#000000", "#7f7f7f", "#bcbd22", "#ff7f0e",
                                               "#2ca02c", "#1f77b4", "#e377c2")):
        series.append(Series(name, tuple(pts), c, True, "s" if name.isupper() else "^"))
    img = draw(series, f"latent grids, Kodak {len(images)} image(s) at {args.side} px: "
                       "means over images")
    png = Path(args.out) / (Path(args.csv).stem + "_rd.png")
    atomic_write(png, lambda fh: img.save(fh, format="PNG"))
    print(f"\nplot: {png}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=12)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--lambdas", default=",".join(f"{x:g}" for x in latent_ladder.LAMBDAS))
    ap.add_argument("--iters", type=int, default=latent_ladder.LATENT_ITERS)
    ap.add_argument("--preset", default="1000")
    ap.add_argument("--quantiser", default=ModelOptions.latent_quantiser,
                    choices=("noise", "softround"), help="default: the model's")
    ap.add_argument("--upsampling", default="bilinear", choices=("bilinear", "bicubic"))
    ap.add_argument("--context", type=int, default=None, help="ARM context (default: preset's)")
    ap.add_argument("--ste-lr", type=float, default=ModelOptions.latent_ste_lr,
                    help="learning rate of the rounding phase (default: the model's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tag", default="default", help="name of this variant in the CSV")
    ap.add_argument("--csv", default="latent_kodak.csv")
    ap.add_argument("--keep-nets", default="", help="folder to save each trained network in "
                    "(state dicts), to re-encode them with another encoder")
    ap.add_argument("--out", default="docs/data")
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--against", default="", metavar="TAG",
                    help="with --report: each image's BD-rate against this variant's ladder too")
    args = ap.parse_args()
    path = Path(args.out) / args.csv
    if args.report:
        report(args, path)
    else:
        run(args, path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
