"""``inr-studio bench``: every model on every image, a per-run CSV and the paper's table.

The table (per model: average PSNR = mean of the per-image PSNRs, highest, lowest, mean seconds
per run, device) is built by :func:`summarise` and :func:`format_table`, reusable on any CSV
this command wrote (``--from-csv``), so results can be pasted into docs as markdown.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_bytes
from ..device import describe, pick_device
from ..errors import ImageLoadError, InrStudioError, OptionError
from ..imaging import SUPPORTED_SUFFIXES
from ..metrics import edge_psnr, mean_psnr
from ..models import registry
from ..tiling import aliasing_warning
from .common import (add_model_options, check_model_specific, check_scale, check_segmentable, load_scaled, progress_bar, spec_from_args,
                     train_config_from_args, train_specs, warn_if_aliasing, warn_line)

CSV_FIELDS = ("image", "model", "psnr", "ssim", "seconds", "iters", "params", "device",
              "edge_psnr")
EDGE_FIELD = "edge_psnr"
#: What a CSV must have to be read: CSVs written before edge_psnr was added read it as nan.
REQUIRED_FIELDS = CSV_FIELDS[:-1]


@dataclass(frozen=True)
class RunResult:
    image: str
    model: str
    psnr: float
    ssim: float
    seconds: float
    iters: int
    params: int
    device: str
    edge_psnr: float = float("nan")  # PSNR of the Sobel magnitude (metrics.edge_psnr)


@dataclass(frozen=True)
class ModelSummary:
    model: str
    images: int
    mean_psnr: float
    highest: float
    lowest: float
    mean_ssim: float
    mean_seconds: float
    params: str
    device: str
    mean_edge_psnr: float = float("nan")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bench", help="run every model on every image; CSV and the paper's table",
        description="Fit each model to each image; write a per-run CSV and print, per model, "
                    "the average (mean of per-image PSNRs), highest and lowest PSNR.")
    p.add_argument("--images", nargs="+", default=None, metavar="DIR_OR_FILE",
                   help="image files and/or folders (their PNG/JPEG/TIFF/WebP/BMP files)")
    p.add_argument("--models", default=",".join(registry.PAPER_MODELS),
                   help="comma-separated model keys (default: the paper's four, " + ",".join(registry.PAPER_MODELS) + ")")
    add_model_options(p, model=False)
    p.add_argument("--limit", type=int, default=None, help="use only the first N images")
    p.add_argument("--csv", default="bench.csv", help="per-run CSV to write (default bench.csv)")
    p.add_argument("--markdown", action="store_true", help="print the table as markdown")
    p.add_argument("--from-csv", default=None, metavar="PATH",
                   help="print the table of a CSV written earlier, without training")
    p.set_defaults(func=run_bench)


# ---------------------------------------------------------------- table (reusable)

def summarise(results: list[RunResult], models: list[str] | None = None) -> list[ModelSummary]:
    """Per model, in ``models`` order (default: first appearance): the paper's Table 1 row."""
    order = models or list(dict.fromkeys(r.model for r in results))
    out = []
    for m in order:
        rows = [r for r in results if r.model == m]
        if not rows:
            continue
        ps = [r.psnr for r in rows]
        params = sorted({r.params for r in rows})
        devices = sorted({r.device for r in rows})
        out.append(ModelSummary(
            model=m, images=len(rows), mean_psnr=mean_psnr(ps), highest=float(np.max(ps)),
            lowest=float(np.min(ps)), mean_ssim=float(np.nanmean([r.ssim for r in rows]))
            if any(np.isfinite(r.ssim) for r in rows) else float("nan"),
            mean_seconds=float(np.mean([r.seconds for r in rows])),
            params=", ".join(f"{p:,}" for p in params), device=", ".join(devices),
            mean_edge_psnr=float(np.nanmean([r.edge_psnr for r in rows]))
            if any(np.isfinite(r.edge_psnr) for r in rows) else float("nan")))
    return out


def format_table(summary: list[ModelSummary], markdown: bool = True, settings: str = "") -> str:
    """The table as markdown (for docs/results.md) or aligned plain text, with its footnote
    (``settings``, if given, says how the runs were made: steps, lr, size...)."""
    head = ["model", "average PSNR (dB)", "highest", "lowest", "mean SSIM", "s / run",
            "parameters", "images", "device", "edge PSNR"]
    body = [[registry.label(s.model), f"{s.mean_psnr:.2f}", f"{s.highest:.2f}",
             f"{s.lowest:.2f}", _fmt(s.mean_ssim, 4), _fmt(s.mean_seconds, 1), s.params,
             str(s.images), s.device, _fmt(s.mean_edge_psnr, 2)] for s in summary]
    note = ("average PSNR = mean of the per-image PSNRs (10·log10(1/MSE) on [0, 1]); "
            "edge PSNR = mean PSNR of the Sobel gradient magnitude, the target's largest "
            "magnitude as the peak, border pixels left out; "
            "s / run = mean training seconds per image." + (f" {settings}" if settings else ""))
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines) + f"\n\n{note}\n"
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    fmt = lambda row: "  ".join(c.rjust(w) if 0 < i < 7 or i == 9 else c.ljust(w)  # noqa: E731
                                for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    lines = [fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in body]
    return "\n".join(lines) + f"\n{note}\n"


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}" if np.isfinite(value) else "n/a"


def results_to_csv(results: list[RunResult]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in results:
        writer.writerow([r.image, r.model, f"{r.psnr:.4f}", f"{r.ssim:.6f}", f"{r.seconds:.3f}",
                         r.iters, r.params, r.device, f"{r.edge_psnr:.4f}"])
    return buf.getvalue()


def read_results_csv(path: str | Path) -> list[RunResult]:
    """Rows of a CSV written by ``bench``; an :class:`OptionError` if it is not one."""
    p = Path(path)
    if not p.is_file():
        raise OptionError(f"{p}: no such CSV file.")
    try:
        with open(p, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or not set(REQUIRED_FIELDS) <= set(reader.fieldnames):
                raise OptionError(f"{p.name} is not a bench CSV (columns "
                                  f"{', '.join(REQUIRED_FIELDS)}).")
            return [RunResult(image=r["image"], model=r["model"], psnr=float(r["psnr"]),
                              ssim=float(r["ssim"]), seconds=float(r["seconds"]),
                              iters=int(r["iters"]), params=int(r["params"]), device=r["device"],
                              edge_psnr=float(r.get(EDGE_FIELD) or "nan"))
                    for r in reader]
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise OptionError(f"{p.name}: malformed bench CSV ({exc}).") from exc


# ---------------------------------------------------------------- inputs

def collect_images(paths: list[str] | None, limit: int | None = None) -> list[Path]:
    """Files as given, folders expanded to their image files (sorted, not recursive)."""
    if not paths:
        raise OptionError("give the images to run on: --images FOLDER_OR_FILES...")
    if limit is not None and limit < 1:
        raise OptionError(f"--limit must be at least 1, got {limit}.")
    found: list[Path] = []
    for text in paths:
        p = Path(text)
        if p.is_dir():
            files = sorted(f for f in p.iterdir()
                           if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES)
            if not files:
                raise ImageLoadError(f"{p} holds no PNG, JPEG, TIFF, WebP or BMP files.")
            found.extend(files)
        elif p.exists():
            found.append(p)
        else:
            raise ImageLoadError(f"{p}: no such file or folder. Check the path.")
    found = list(dict.fromkeys(found))
    return found[:limit] if limit else found


# ---------------------------------------------------------------- command

def run_bench(args: argparse.Namespace) -> int:
    if args.from_csv:
        results = read_results_csv(args.from_csv)
        print(format_table(summarise(results), markdown=args.markdown), end="")
        return 0
    models = list(registry.parse_models(args.models))
    if any(getattr(args, k) is not None for k in ("seg_layer", "seg_method", "seg_classes")) \
            and "hs" not in models:
        raise OptionError("--seg-layer/--seg-method/--seg-classes apply to the hs model, which "
                          "is not in --models; add hs or drop them.")
    check_model_specific(args, models)
    train_cfg = train_config_from_args(args)
    check_scale(args.scale)
    for m in models:
        spec_from_args(args, 512, 768, kind=m)  # option errors before any training
    images = collect_images(args.images, args.limit)
    for path in images:  # every image readable (and segmentable) before hours of training
        _, pixels = load_scaled(path, args.scale, warn=False)
        h, w = pixels.shape[:2]
        for m in models:
            try:
                check_segmentable(pixels, spec_from_args(args, h, w, kind=m))
            except InrStudioError as exc:
                raise type(exc)(f"{path.name}, model {m}: {exc}") from exc
    csv_path = Path(args.csv)
    if csv_path.is_dir():
        raise OptionError(f"--csv {csv_path} is a folder; give a file name.")

    results: list[RunResult] = []
    total = len(images) * sum(spec_from_args(args, 512, 768, kind=m).total_steps(train_cfg.iters)
                              for m in models)
    bar = progress_bar(total, "bench")
    warned: set[str] = set()
    device = describe(pick_device(train_cfg.device))
    try:
        for i, path in enumerate(images, start=1):
            _, pixels = load_scaled(path, args.scale)
            h, w = pixels.shape[:2]
            specs = tuple(spec_from_args(args, h, w, kind=m) for m in models)
            for spec in specs:
                if aliasing_warning(spec.config.tilings, h, w) not in warned | {None}:
                    bar.clear()  # the warning must not land inside the bar
                warn_if_aliasing(spec.config, h, w, warned)
            bar.set_description(f"image {i}/{len(images)} {path.name}")
            try:
                run, fitted, interrupted = train_specs(pixels, specs, train_cfg, bar=bar)
            except InrStudioError as exc:  # e.g. Multi-Otsu on a flat image: say which
                raise type(exc)(f"{path.name}: {exc}") from exc
            if interrupted:
                raise KeyboardInterrupt
            for spec in specs:
                r = fitted[spec.key]
                edges = edge_psnr(run.trainers[spec.key].reconstruct(), pixels)
                results.append(RunResult(
                    image=path.name, model=spec.key, psnr=r.psnr, ssim=r.ssim, seconds=r.seconds,
                    iters=r.steps, params=spec.config.parameter_count(), device=device,
                    edge_psnr=edges))
            atomic_write_bytes(csv_path, results_to_csv(results).encode("utf-8"))
    except KeyboardInterrupt:
        bar.close()
        warn_line(f"interrupted; {len(results)} finished runs are in {csv_path}")
        if results:
            print(format_table(summarise(results, models), markdown=args.markdown,
                               settings=_settings(args, train_cfg.lr)), end="")
        return 130
    bar.close()
    print(format_table(summarise(results, models), markdown=args.markdown,
                       settings=_settings(args, train_cfg.lr)), end="")
    print(f"{len(results)} runs ({len(images)} images × {len(models)} models, {train_cfg.iters} "
          f"steps, lr {train_cfg.lr:g}); per-run results in {csv_path}", file=sys.stderr)
    return 0


def _settings(args: argparse.Namespace, lr: float) -> str:
    batch = "full batch" if args.batch_pixels is None else f"{args.batch_pixels} pixels/step"
    return (f"Runs: {args.iters} steps, lr {lr:g}, {batch}, width {args.width}, depth "
            f"{args.depth}, ω0 {args.omega0:g}, image scale {args.scale:g}, tile scale "
            f"{args.tile_scale}, seed {args.seed}.")
