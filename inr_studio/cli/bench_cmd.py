"""``inr-studio bench``: every model on every image, a per-run CSV and the paper's table.

The table (per model: average PSNR = mean of the per-image PSNRs, highest, lowest, mean seconds
per run, device) is :mod:`inr_studio.studies.table`'s, reusable on any CSV this command wrote
(``--from-csv``), so results can be pasted into docs as markdown.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..device import describe, pick_device
from ..errors import ImageLoadError, InrStudioError, OptionError
from ..imaging import SUPPORTED_SUFFIXES
from ..metrics import edge_psnr
from ..models import registry
from ..studies.table import (  # noqa: F401  (bench's table, re-exported for its callers)
    CSV_FIELDS,
    ModelSummary,
    RunResult,
    format_table,
    protocol_of,
    read_results_csv,
    results_to_csv,
    summarise,
)
from ..tiling import aliasing_warning
from ..engine.config import TrainConfig
from .common import (add_model_options, check_model_specific, check_scale, check_segmentable,
                     load_scaled, progress_bar, protocol_text, spec_from_args,
                     train_config_from_args, train_specs, warn_if_aliasing, warn_line)


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
        print(format_table(summarise(results), markdown=args.markdown,
                           settings=protocol_of(results)), end="")
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
                    edge_psnr=edges, returned="best" if r.kept_best else "last",
                    best_step=r.best_step if r.kept_best else r.steps, last_psnr=r.last_psnr,
                    schedule=train_cfg.schedule))
            atomic_write_bytes(csv_path, results_to_csv(results).encode("utf-8"))
    except KeyboardInterrupt:
        bar.close()
        warn_line(f"interrupted; {len(results)} finished runs are in {csv_path}")
        if results:
            print(format_table(summarise(results, models), markdown=args.markdown,
                               settings=_settings(args, train_cfg)), end="")
        return 130
    bar.close()
    print(format_table(summarise(results, models), markdown=args.markdown,
                       settings=_settings(args, train_cfg)), end="")
    print(f"{len(results)} runs ({len(images)} images × {len(models)} models, {train_cfg.iters} "
          f"steps, lr {train_cfg.lr:g}, {protocol_text(train_cfg)}); per-run results in "
          f"{csv_path}", file=sys.stderr)
    return 0


def _settings(args: argparse.Namespace, config: TrainConfig) -> str:
    batch = "full batch" if args.batch_pixels is None else f"{args.batch_pixels} pixels/step"
    if getattr(args, "warmup", 0.0):
        batch += f" after a coarse warm-up of {args.warmup:g} of the steps"
    return (f"Runs: {args.iters} steps, lr {config.lr:g}, {batch}, width {args.width}, depth "
            f"{args.depth}, ω0 {args.omega0:g}, image scale {args.scale:g}, tile scale "
            f"{args.tile_scale}, seed {args.seed}. Protocol: {protocol_text(config)}.")
