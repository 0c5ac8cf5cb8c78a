"""Which learning-rate schedule trains best at the window's CPU defaults: every model of the
registry alone on each image, under each schedule (and rate), through the one engine, with the
best weights kept. Each run gives the returned network's PSNR (its best step) and the last
step's (today's protocol when the rate is constant); the per-model means over the images are
printed at the end (``--report`` prints them from the CSV alone). The yardstick is the constant
rate's own runs: its last step's PSNR (the paper's protocol) and its returned network.

The CSV is appended and flushed row by row and an interrupted study resumes where it stopped
(a row already there is not run again). PSNR after N steps is deterministic: the machine may be
shared; the seconds are not a speed figure.

    nice -n 10 python3 benchmarks/schedule_study.py --long-side 128 --csv docs/data/schedule_study_128.csv
    nice -n 10 python3 benchmarks/schedule_study.py --long-side 256 --schedules auto constant \\
        --csv docs/data/schedule_study_256.csv
    nice -n 10 python3 benchmarks/schedule_study.py --long-side 128 --schedules auto \\
        --lrs 3e-4 1e-3 3e-3 --csv docs/data/schedule_lr_128.csv
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import csv  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from inr_studio.engine.config import TrainConfig  # noqa: E402
from inr_studio.engine.fit import fit_side_by_side  # noqa: E402
from inr_studio.engine.schedule import SCHEDULES, check_schedule, resolve  # noqa: E402
from inr_studio.models import registry  # noqa: E402
from inr_studio.ui.session import RunSettings  # noqa: E402

FIELDS = ("image", "model", "long_side", "height", "width", "schedule", "lr", "iters",
          "warmup", "returned_psnr", "best_step", "last_psnr", "seconds")


def window_cpu_defaults() -> RunSettings:
    """The window's CPU settings (steps, rate, width, warm-up): the study's one source of them."""
    return _bench.cpu_settings()


def run_one(path: Path, key: str, long_side: int, schedule: str, lr: float | None,
            threads: int, iters: int | None = None) -> dict:
    """One model alone on one image at the window's CPU defaults, under ``schedule``."""
    base = window_cpu_defaults()
    session = _bench.cpu_session(path, long_side=long_side, models=(key,),
                                 lr=base.lr if lr is None else lr, iters=iters or base.iters)
    spec = session.model_specs()[0]
    config: TrainConfig = replace(session.settings.train_config(), schedule=schedule,
                                  keep_best=True)
    _, results, _ = fit_side_by_side(session.working, (spec,), config, progress_s=5.0,
                                     cpu_threads=threads)
    r = results[key]
    h, w = session.working.shape[:2]
    return {"image": path.stem, "model": key, "long_side": long_side, "height": h, "width": w,
            "schedule": resolve(schedule, spec.phases[0].schedule), "lr": f"{config.lr:g}",
            "iters": config.iters, "warmup": f"{config.warmup:g}",
            "returned_psnr": f"{r.psnr:.4f}", "best_step": r.best_step,
            "last_psnr": f"{r.last_psnr:.4f}", "seconds": f"{r.seconds:.1f}"}


def row_key(row: dict) -> tuple:
    return (row["image"], row["model"], int(row["long_side"]), row["schedule"],
            float(row["lr"]), int(row["iters"]))


def report(rows: list[dict]) -> str:
    """Per model, schedule and rate: the mean over the images of the returned PSNR and of the
    last step's, as a markdown table."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["model"], r["long_side"], r["schedule"], float(r["lr"])),
                          []).append(r)
    order = list(registry.REGISTRY)
    lines = ["| model | size | schedule | lr | images | returned (best) PSNR | last step's PSNR "
             "| best step (mean) |", "|---|---|---|---|---|---|---|---|"]
    for (model, side, sched, lr), rs in sorted(
            groups.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else 99,
                                            int(kv[0][1]), kv[0][2], kv[0][3])):
        ret = np.mean([float(r["returned_psnr"]) for r in rs])
        last = np.mean([float(r["last_psnr"]) for r in rs])
        step = np.mean([int(r["best_step"]) for r in rs])
        lines.append(f"| {registry.label(model)} | {side} | {sched} | {lr:g} | {len(rs)} | "
                     f"{ret:.2f} | {last:.2f} | {step:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", nargs="+", default=[f"kodim{i:02d}" for i in range(1, 7)])
    ap.add_argument("--models", nargs="+", default=list(registry.REGISTRY))
    ap.add_argument("--schedules", nargs="+", default=list(SCHEDULES),
                    help="constant, cosine, step, or auto (each model's own default)")
    ap.add_argument("--lrs", nargs="+", type=float, default=[None],
                    help="learning rates (default: the window's CPU rate)")
    ap.add_argument("--long-side", type=int, default=128)
    ap.add_argument("--iters", type=int, default=None, help="steps (default: the window's)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--csv", type=Path, required=True)
    ap.add_argument("--report", action="store_true", help="print the table from the CSV only")
    args = ap.parse_args()
    for s in args.schedules:
        check_schedule(s)
    rows = _bench.csv_rows(args.csv)
    if not args.report:
        have = {row_key(r) for r in rows}
        new_file = not args.csv.is_file()
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "a", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
            if new_file:
                writer.writeheader()
            for name in args.images:
                for key in args.models:
                    spec_schedule = registry.entry(key).spec().phases[0].schedule
                    for schedule in args.schedules:
                        for lr in args.lrs:
                            rate = window_cpu_defaults().lr if lr is None else lr
                            want = (name, key, args.long_side,
                                    resolve(schedule, spec_schedule), float(f"{rate:g}"),
                                    args.iters or window_cpu_defaults().iters)
                            if want in have:
                                continue
                            t0 = time.time()
                            row = run_one(_bench.kodak_image(name), key, args.long_side,
                                          schedule, lr, args.threads, args.iters)
                            writer.writerow(row)
                            fh.flush()
                            rows.append(row)
                            have.add(row_key(row))
                            print(f"{time.strftime('%H:%M:%S')} {name} {key:14s} "
                                  f"{row['schedule']:8s} lr {row['lr']:6s} returned "
                                  f"{row['returned_psnr']} (step {row['best_step']}) last "
                                  f"{row['last_psnr']}  {time.time() - t0:.0f} s",
                                  file=sys.stderr, flush=True)
    print(report([r for r in rows if int(r["long_side"]) == args.long_side]), end="")


if __name__ == "__main__":
    main()
