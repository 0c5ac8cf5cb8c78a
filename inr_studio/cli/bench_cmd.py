"""``inr-studio bench``: every model on every image, a per-run CSV and the paper's table.

The table (per model: average PSNR = mean of the per-image PSNRs, highest, lowest, mean seconds
per run, device) is :mod:`inr_studio.studies.table`'s, reusable on any CSV this command wrote
(``--from-csv``), so results can be pasted into docs as markdown.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..device import describe
from ..errors import ImageLoadError, InrStudioError, OptionError
from ..imaging import SUPPORTED_SUFFIXES
from ..metrics import psnr, ssim
from ..models.config import MODEL_KINDS
from ..problem import FitProblem
from ..studies.table import (  # noqa: F401
    CSV_FIELDS,
    ModelSummary,
    RunResult,
    format_table,
    read_results_csv,
    results_to_csv,
    summarise,
)
from ..tiling import aliasing_warning
from ..training import Trainer
from .common import (
    add_model_options,
    check_scale,
    format_duration,
    load_scaled,
    model_config_from_args,
    train_config_from_args,
    warn_if_aliasing,
    warn_line,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bench", help="run every model on every image; CSV and the paper's table",
        description="Fit each model to each image; write a per-run CSV and print, per model, "
                    "the average (mean of per-image PSNRs), highest and lowest PSNR.")
    p.add_argument("--images", nargs="+", default=None, metavar="DIR_OR_FILE",
                   help="image files and/or folders (their PNG/JPEG/TIFF/WebP/BMP files)")
    p.add_argument("--models", default="siren,ftc,qt,hs",
                   help="comma-separated: siren, ftc, qt, hs (default all four)")
    add_model_options(p, model=False)
    p.add_argument("--limit", type=int, default=None, help="use only the first N images")
    p.add_argument("--csv", default="bench.csv", help="per-run CSV to write (default bench.csv)")
    p.add_argument("--markdown", action="store_true", help="print the table as markdown")
    p.add_argument("--from-csv", default=None, metavar="PATH",
                   help="print the table of a CSV written earlier, without training")
    p.set_defaults(func=run_bench)


# ---------------------------------------------------------------- inputs

def parse_models(text: str) -> list[str]:
    names = [t.strip().lower() for t in str(text).split(",") if t.strip()]
    bad = [n for n in names if n not in MODEL_KINDS]
    if bad or not names:
        raise OptionError(f"unknown model(s) {', '.join(bad) or repr(text)} in --models; use a "
                          f"comma-separated list of {', '.join(MODEL_KINDS)}.")
    return list(dict.fromkeys(names))


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


# ---------------------------------------------------------------- progress

class ProgressBar:
    """One line redrawn with ``\\r`` on a terminal; elsewhere a plain line every ``every_s``."""

    def __init__(self, total_steps: int, stream=None, every_s: float = 10.0) -> None:
        self.total = max(1, total_steps)
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_s = every_s
        self.t0 = time.monotonic()
        self._last = -float("inf")
        self._width = 0

    def update(self, done_steps: int, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < (0.2 if self.tty else self.every_s):
            return
        self._last = now
        frac = min(1.0, done_steps / self.total)
        elapsed = now - self.t0
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        bar = "#" * int(frac * 24)
        line = (f"[{bar:<24}] {frac * 100:5.1f}%  {text}  elapsed {format_duration(elapsed)}  "
                f"ETA {format_duration(eta)}")
        if self.tty:
            pad = max(0, self._width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def break_line(self) -> None:
        """End the redrawn line (terminal only), so other output starts on a line of its own."""
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

    def close(self) -> None:
        self.break_line()


# ---------------------------------------------------------------- command

def run_bench(args: argparse.Namespace) -> int:
    if args.from_csv:
        results = read_results_csv(args.from_csv)
        print(format_table(summarise(results), markdown=args.markdown), end="")
        return 0
    models = parse_models(args.models)
    if any(getattr(args, k) is not None for k in ("seg_layer", "seg_method", "seg_classes")) \
            and "hs" not in models:
        raise OptionError("--seg-layer/--seg-method/--seg-classes apply to the hs model, which "
                          "is not in --models; add hs or drop them.")
    train_cfg = train_config_from_args(args, report_every=max(1, args.iters // 100))
    check_scale(args.scale)
    for m in models:
        model_config_from_args(args, 512, 768, kind=m)  # option errors before any training
    images = collect_images(args.images, args.limit)
    for path in images:  # every image readable before hours of training
        load_scaled(path, args.scale, warn=False)
    csv_path = Path(args.csv)
    if csv_path.is_dir():
        raise OptionError(f"--csv {csv_path} is a folder; give a file name.")

    results: list[RunResult] = []
    bar = ProgressBar(len(images) * len(models) * train_cfg.iters)
    done_steps = 0
    warned: set[str] = set()
    try:
        for i, path in enumerate(images, start=1):
            _, pixels = load_scaled(path, args.scale)
            h, w = pixels.shape[:2]
            for m in models:
                config = model_config_from_args(args, h, w, kind=m)
                if aliasing_warning(config.tilings, h, w) not in warned | {None}:
                    bar.break_line()  # the warning must not land inside the bar
                warn_if_aliasing(config, h, w, warned)
                try:
                    trainer = Trainer(FitProblem.create(pixels, config), train_cfg)
                except InrStudioError as exc:  # e.g. Multi-Otsu on a flat image: say which
                    raise type(exc)(f"{path.name}, model {m}: {exc}") from exc
                tag = f"image {i}/{len(images)} {path.name}  {m}"
                last = None
                for last in trainer.run():
                    bar.update(done_steps + trainer.steps_done,
                               f"{tag} step {trainer.steps_done}/{train_cfg.iters} "
                               f"{last.psnr:.2f} dB")
                done_steps += train_cfg.iters
                assert last is not None
                rec = last.preview if last.preview is not None else trainer.reconstruct()
                results.append(RunResult(
                    image=path.name, model=m, psnr=psnr(rec, pixels), ssim=ssim(rec, pixels),
                    seconds=float(last.elapsed_s), iters=trainer.steps_done,
                    params=trainer.model.parameter_count(), device=describe(trainer.device)))
                atomic_write_bytes(csv_path, results_to_csv(results).encode("utf-8"))
                bar.update(done_steps, f"{tag} done {results[-1].psnr:.2f} dB", force=True)
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
