"""Which learning-rate schedule the quantisation-aware (QAT) and SINR fine-tuning phases should
follow, at the file ladder's setting: a SIREN trained to its end at 256 px, then each rung's
fine-tuning phase (its steps and rate scale: ``QatConfig.steps``, ``QatConfig.lr_scale``)
under each schedule, with its best quantised state kept (as always for these phases). The PSNR
is the fine-tuned network's on its grid, which is what the file decodes to. The yardstick is
the constant rate, the fine-tuning's setting before schedules existed.

Rows are appended and flushed one by one; an interrupted run resumes (rows already there are
skipped; the base network is trained again, deterministically).

    nice -n 10 python3 benchmarks/finetune_schedule.py --csv docs/data/finetune_schedule.csv
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
import torch  # noqa: E402

import inr_studio.codec.finetune  # noqa: E402,F401 - registers the sinr-finetune phase
from inr_studio.engine.config import TrainConfig  # noqa: E402
from inr_studio.engine.fit import fit  # noqa: E402
from inr_studio.engine.schedule import SCHEDULES  # noqa: E402
from inr_studio.imaging import load_image, resize_image, scaled_size  # noqa: E402
from inr_studio.metrics import psnr  # noqa: E402
from inr_studio.models.registry import ModelOptions, entry  # noqa: E402
from inr_studio.problem import FitProblem  # noqa: E402
from inr_studio.studies import ladder  # noqa: E402


FIELDS = ("image", "model", "rung", "schedule", "base_psnr", "psnr", "best_step", "last_psnr",
          "seconds")


def working(name: str, side: int) -> np.ndarray:
    loaded = load_image(_bench.kodak_image(name))
    h, w = loaded.pixels.shape[:2]
    return resize_image(loaded.pixels, *scaled_size(h, w, side / max(h, w)))


def phase_for(rung: ladder.Rung, schedule: str):
    phase = (ladder.qat_phase(rung.bits) if rung.family == "qat" else ladder.sinr_phase(rung))
    return replace(phase, schedule=schedule)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", nargs="+", default=["kodim01", "kodim02", "kodim03"])
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--iters", type=int, default=1000, help="the base network's steps")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--rungs", nargs="+", default=["qat-8", "qat-6", "qat-4", "sinr-ft-8",
                                                   "sinr-ft-6"])
    ap.add_argument("--schedules", nargs="+", default=list(SCHEDULES))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--csv", type=Path, required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    known = {r.name.replace(f"-s{r.sparsity}", ""): r
             for r in ladder.rungs(args.width, ("qat", "sinr-ft"))}
    rungs = [known[n] for n in args.rungs]
    model = f"siren:{args.depth}x{args.width}"
    have = {(r["image"], r["model"], r["rung"], r["schedule"]) for r in _bench.csv_rows(args.csv)}
    new_file = not args.csv.is_file()
    with open(args.csv, "a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        if new_file:
            writer.writeheader()
        for name in args.images:
            todo = [(r, s) for r in rungs for s in args.schedules
                    if (name, model, r.name, s) not in have]
            if not todo:
                continue
            pixels = working(name, args.side)
            h, w = pixels.shape[:2]
            config = entry("siren").spec(ModelOptions(width=args.width, depth=args.depth,
                                                      image_size=(h, w))).config
            train = TrainConfig(iters=args.iters, lr=args.lr, device="cpu")
            base, result = fit(FitProblem.create(pixels, config), train)
            state = {k: v.detach().clone() for k, v in base.model.state_dict().items()}
            for rung, schedule in todo:
                t0 = time.perf_counter()
                t = ladder.finetune(base.problem, train, state, phase_for(rung, schedule))
                step, _ = t.returned_step()
                row = {"image": name, "model": model, "rung": rung.name, "schedule": schedule,
                       "base_psnr": f"{result.psnr:.4f}",
                       "psnr": f"{psnr(t.reconstruct(), pixels):.4f}", "best_step": step,
                       "last_psnr": f"{t.last_psnr:.4f}",
                       "seconds": f"{time.perf_counter() - t0:.1f}"}
                writer.writerow(row)
                fh.flush()
                print(f"{time.strftime('%H:%M:%S')} {name} {rung.name:14s} {schedule:9s} "
                      f"{row['psnr']} dB (best step {step}, last {row['last_psnr']}; base "
                      f"{row['base_psnr']})", file=sys.stderr, flush=True)
    rows = _bench.csv_rows(args.csv)
    print("| rung | " + " | ".join(args.schedules) + " |")
    print("|---|" + "---|" * len(args.schedules))
    for rung in rungs:
        cells = []
        for s in args.schedules:
            vals = [float(r["psnr"]) for r in rows if r["rung"] == rung.name
                    and r["schedule"] == s and r["model"] == model]
            cells.append(f"{np.mean(vals):.2f} ({len(vals)})" if vals else "—")
        print(f"| {rung.name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
