"""``inr-studio bench``: every model on every image, a per-run CSV and the paper's table.

The table (per model: average PSNR = mean of the per-image PSNRs, highest, lowest, mean seconds
per run, device) is :mod:`inr_studio.studies.table`'s, reusable on any CSV this command wrote
(``--from-csv``), so results can be pasted into docs as markdown.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..engine.config import TrainConfig
from ..errors import ImageLoadError, InrStudioError, OptionError
from ..imaging import SUPPORTED_SUFFIXES
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
from ..studies.tasks import StudyRows, Task
from ..tiling import aliasing_warning
from .cluster_options import add_cluster_options, fit_threads, ray_options
from .study_fits import bench_error, bench_fit
from .study_run import execute, kept_rows, read_bytes
from .common import (add_model_options, check_model_specific, check_segmentable, load_working,
                     progress_bar, spec_from_args, train_config_from_args,
                     warn_if_aliasing, warn_line)
from .train_options import (announce, check_image_options, preset_from_args,
                            protocol_text, tile_scale_from_args, warn_if_long,
                            width_from_args)


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
    add_cluster_options(p)
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
        presets = sorted({r.preset for r in results if r.preset})
        print(format_table(summarise(results), markdown=args.markdown,
                           protocol=f"the {' and '.join(presets)} preset" if presets else "",
                           settings=protocol_of(results)), end="")
        return 0
    models = list(registry.parse_models(args.models))
    if any(getattr(args, k) is not None for k in ("seg_layer", "seg_method", "seg_classes")) \
            and "hs" not in models:
        raise OptionError("--seg-layer/--seg-method/--seg-classes apply to the hs model, which "
                          "is not in --models; add hs or drop them.")
    check_model_specific(args, models)
    train_cfg = train_config_from_args(args)
    check_image_options(args)
    for m in models:
        spec_from_args(args, 512, 768, kind=m)  # option errors before any training
    images = collect_images(args.images, args.limit)
    ray = ray_options(args)
    sizes = []
    for path in images if ray is None else []:  # every image readable before hours of training
        _, pixels = load_working(args, path, warn=False)
        h, w = pixels.shape[:2]
        sizes.append(h * w)
        for m in models:
            try:
                check_segmentable(pixels, spec_from_args(args, h, w, kind=m))
            except InrStudioError as exc:
                raise type(exc)(f"{path.name}, model {m}: {exc}") from exc
    csv_path = Path(args.csv)
    if csv_path.is_dir():
        raise OptionError(f"--csv {csv_path} is a folder; give a file name.")
    protocol = announce(args)
    preset = preset_from_args(args).name
    kept = kept_rows(csv_path, args.resume, read_results_csv, lambda r: (r.image, r.model))
    if any(r.preset not in ("", preset) for rs in kept.values() for r in rs):
        raise OptionError(f"--resume: {csv_path}'s rows were made with another preset; give "
                          f"its --preset, or another --csv.")
    order = [(p.name, m) for p in images for m in models]
    plan = [(p, m) for p in images for m in models if (p.name, m) not in kept]
    if ray is None and plan:
        h, w = pixels.shape[:2]  # the last image's: a full-batch step costs about its pixels
        runs = sum(sizes) / (h * w) if train_cfg.batch_pixels is None else len(images)
        runs *= len(plan) / len(order)
        warn_if_long(pixels, tuple(spec_from_args(args, h, w, kind=m) for m in models),
                     train_cfg, args, runs)

    rows = StudyRows(order, kept, lambda rs: atomic_write_bytes(
        csv_path, results_to_csv(rs).encode("utf-8")))
    steps = {m: spec_from_args(args, 512, 768, kind=m).total_steps(train_cfg.iters)
             for m in models}
    bar = progress_bar(sum(steps[m] for _, m in plan), "bench" if ray is None else "bench on Ray")
    task_args = argparse.Namespace(**{**vars(args), "preset": preset})  # one preset everywhere
    threads = fit_threads(args)

    def tasks() -> Iterator[Task]:
        if ray is not None:
            blobs = {p: read_bytes(p) for p in dict.fromkeys(p for p, _ in plan)}
            yield from (Task((p.name, m), bench_fit, (task_args, p.name, blobs[p], m, threads),
                             steps[m]) for p, m in plan)
            return
        warned: set[str] = set()
        for i, path in enumerate(images, start=1):
            todo = [m for p, m in plan if p == path]
            if not todo:
                continue
            _, pixels = load_working(args, path)
            h, w = pixels.shape[:2]
            for m in todo:
                config = spec_from_args(args, h, w, kind=m).config
                if aliasing_warning(config.tilings, h, w) not in warned | {None}:
                    bar.clear()  # the warning must not land inside the bar
                warn_if_aliasing(config, h, w, warned)
            bar.set_description(f"image {i}/{len(images)} {path.name}")
            yield from (Task((path.name, m), bench_fit, (task_args, path.name, pixels, m, threads),
                             steps[m], {"bar": bar}) for m in todo)

    def failed(task: Task, error: str) -> list[RunResult]:
        return [bench_error(*task.key, preset, error)]

    try:
        failures = execute(ray, tasks, rows, failed, bar)
    except KeyboardInterrupt:
        bar.close()
        done = [r for r in rows.of_study() if not r.error]
        warn_line(f"interrupted; {len(done)} finished runs are in {csv_path}")
        if done:
            print(format_table(summarise(done, models), markdown=args.markdown,
                               settings=_settings(args, train_cfg), protocol=protocol), end="")
        return 130
    bar.close()
    results = rows.of_study()
    print(format_table(summarise(results, models), markdown=args.markdown,
                       settings=_settings(args, train_cfg), protocol=protocol), end="")
    resumed = (f"; {sum(len(kept[k]) for k in order if k in kept)} kept from the CSV"
               if args.resume else "")
    failed_note = (f"; {len(failures)} failed (their rows say why; --resume fits them again)"
                   if failures else "")
    print(f"{len(results)} runs ({len(images)} images × {len(models)} models, {train_cfg.iters} "
          f"steps, lr {train_cfg.lr:g}, {protocol_text(train_cfg)}){resumed}{failed_note}; per-run results in {csv_path}",
          file=sys.stderr)
    return 1 if failures else 0


def _settings(args: argparse.Namespace, cfg: TrainConfig) -> str:
    batch = "full batch" if cfg.batch_pixels is None else f"{cfg.batch_pixels} pixels/step"
    if cfg.warmup:
        batch += f" after a coarse warm-up of {cfg.warmup:g} of the steps"
    if args.scale is not None:
        size = f"image scale {args.scale:g}"
    else:
        side = args.long_side if args.long_side is not None else preset_from_args(args).long_side
        size = f"longest side {side} px" if side else "full-size images"
    return (f"Runs: {cfg.iters} steps, lr {cfg.lr:g}, {batch}, width {width_from_args(args)}, "
            f"depth {args.depth}, ω0 {args.omega0:g}, {size}, tile scale "
            f"{tile_scale_from_args(args)}, seed {cfg.seed}. Weights: {protocol_text(cfg)}.")
