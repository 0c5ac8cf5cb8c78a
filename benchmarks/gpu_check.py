"""The one prepared GPU check: correctness, speed, the learning rate, Table 1 and the window.

A GPU is lent for minutes at a time, so this is one command with a time budget that writes
everything into ``--out`` as it goes and can be run again with ``--resume`` to go on where it
stopped. Its parts, in order of value (``--parts``; docs/gpu_check.md has the output format):

a. correctness on the device: each model's forward, backward and Adam step against the CPU
   (fp32); the fast step (fused Adam, CUDA graph) against the plain step; the memory guard's
   estimate against ``torch.cuda.max_memory_allocated``; a ``.sinr`` encoded from the device
   decoding on the CPU to the same network; the device-parametrised tests of the suite;
b. seconds per ``--steps`` run at ``--size`` and ``--width`` per model in fp32, TF32 and bf16
   (a ``--psnr-steps`` run timed with device events and extrapolated), with the PSNR after
   ``--psnr-steps`` steps; the fastest precision within 0.1 dB of fp32 is kept for c and d;
c. the learning rate: ``--rates`` × the models on kodim23, ``--steps`` full-batch steps;
d. Table 1 with the chosen rate on as many Kodak images as the budget allows;
e. the window on the device, offscreen: the models train ``--window-s`` seconds with previews;
   a screenshot and the GUI thread's stalls;
f. the latent-grid model at full size: one file per Kodak image trained to ``--latent-psnr``
   dB, its bits per pixel against the published Cool-chic and C3 means.

Yardsticks: the CPU's fp32 results (a), the plain step and fp32 (b), the paper's Table 1 (c, d)
and the idle window's own stalls (e).

The same command line runs on a CPU at a tiny size (``--tiny``), so the only unknown on a GPU
machine is the GPU:

    python3 benchmarks/gpu_check.py --tiny --out /tmp/gpu
    PYTHONPATH=/tmp/site:$PWD python3 benchmarks/gpu_check.py --out $OUT/gpu --budget-s 480
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = _bench.REPO

PARTS = "abcdef"
PAPER_MODELS = ("siren", "ftc", "qt", "hs")


class Table:
    """One CSV file of rows, appended and flushed one row at a time (a killed run keeps every
    finished row); ``has`` says whether a row with these key fields is already there."""

    def __init__(self, path: Path, columns: tuple[str, ...], keys: tuple[str, ...]) -> None:
        self.path, self.columns, self.keys = path, columns, keys
        self.rows: list[dict] = []
        if path.exists():
            with open(path, newline="", encoding="utf-8") as fh:
                self.rows = list(csv.DictReader(fh))
        else:
            with open(path, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerow(columns)

    def _key(self, row: dict) -> tuple[str, ...]:
        return tuple(_cell(row[k]) for k in self.keys)

    def has(self, **key) -> bool:
        want = self._key(key)
        return any(self._key(r) == want and _done(r) for r in self.rows)

    def add(self, row: dict) -> None:
        clean = {c: _cell(row.get(c, "")) for c in self.columns}
        with open(self.path, "a", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerow([clean[c] for c in self.columns])
            fh.flush()
            os.fsync(fh.fileno())
        self.rows.append(clean)

    def ok_rows(self) -> list[dict]:
        return [r for r in self.rows if r.get("status") == "ok"]


def _done(row: dict) -> bool:
    """A row that a resumed run skips: measured, or skipped for a reason of this machine (an
    error is tried again)."""
    return row.get("status") == "ok" or str(row.get("status", "")).startswith("skipped")


def _cell(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


class Check:
    """The run's output folder, log, summary and budget, handed to every part."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.t0 = time.monotonic()
        summary = self.out / "summary.json"
        self.summary: dict = json.loads(summary.read_text()) if summary.exists() else {}
        self.summary.setdefault("runs", []).append(
            {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "argv": sys.argv[1:]})
        self.summary.setdefault("parts", {})

    # --- time ---
    def left(self) -> float:
        return self.args.budget_s - (time.monotonic() - self.t0)

    def fits(self, seconds: float) -> bool:
        """Whether a task estimated at ``seconds`` fits what is left of the budget."""
        return seconds <= self.left()

    # --- output ---
    def log(self, text: str) -> None:
        line = f"[{time.monotonic() - self.t0:7.1f} s] {text}"
        print(line, flush=True)
        with open(self.out / "log.txt", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def table(self, name: str, columns: tuple[str, ...], keys: tuple[str, ...]) -> Table:
        return Table(self.out / name, columns, keys)

    def note(self, part: str, **fields) -> None:
        """Record figures of a part in ``summary.json`` (written at once, atomically)."""
        self.summary["parts"].setdefault(part, {}).update(fields)
        self.save()

    def save(self) -> None:
        from inr_studio.atomic import atomic_write_bytes

        self.summary["elapsed_s"] = round(time.monotonic() - self.t0, 1)
        atomic_write_bytes(self.out / "summary.json",
                           json.dumps(self.summary, indent=1, default=str).encode("utf-8"))

    def guarded(self, what: str, fn, *a, **k):
        """Run ``fn``; an exception becomes a logged line and None (one failing row must not
        cost the rest of a GPU lease)."""
        try:
            return fn(*a, **k)
        except Exception as exc:  # noqa: BLE001 - logged with its traceback, run goes on
            self.log(f"{what} failed: {type(exc).__name__}: {exc}")
            with open(self.out / "log.txt", "a", encoding="utf-8") as fh:
                fh.write(traceback.format_exc())
            return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output folder (CSV, summary.json, log.txt)")
    ap.add_argument("--budget-s", type=float, default=480.0,
                    help="stop starting new work after this many seconds (default 480)")
    ap.add_argument("--resume", action="store_true",
                    help="go on in an output folder of an earlier run, skipping finished rows")
    ap.add_argument("--parts", default=PARTS, help="which parts, in order (default abcdef)")
    ap.add_argument("--device", default="auto", help="auto (default), cuda, cuda:N, mps or cpu")
    ap.add_argument("--tiny", action="store_true",
                    help="a dry run anywhere: 64x48 px, width 16, a few steps, 2 images")
    ap.add_argument("--size", default="768x512", help="working size WxH (default 768x512)")
    ap.add_argument("--width", type=int, default=256, help="hidden width (default 256)")
    ap.add_argument("--depth", type=int, default=3, help="hidden layers (default 3)")
    ap.add_argument("--steps", type=int, default=5000, help="steps of a run (default 5000)")
    ap.add_argument("--psnr-steps", type=int, default=1000,
                    help="part b: steps timed and trained before its PSNR (default 1000)")
    ap.add_argument("--rates", default="1e-4,3e-4,1e-3", help="part c: learning rates")
    ap.add_argument("--lr", type=float, default=None,
                    help="part d's rate (default: part c's best, else 1e-4)")
    ap.add_argument("--precision", choices=("auto", "fp32", "tf32", "bf16"), default="auto",
                    help="parts c and d (default: part b's fastest within 0.1 dB of fp32)")
    ap.add_argument("--images", type=int, default=24, help="part d: at most this many images")
    ap.add_argument("--models", default=",".join(PAPER_MODELS), help="registry keys")
    ap.add_argument("--kodak", default=None,
                    help="Kodak folder (default: $INR_STUDIO_KODAK, .kodak/, ../shared/data/kodak)")
    ap.add_argument("--window-s", type=float, default=20.0, help="part e: seconds of training")
    ap.add_argument("--latent-psnr", type=float, default=30.0,
                    help="part f: the PSNR each latent-grid file is trained to (default 30)")
    ap.add_argument("--latent-steps", type=int, default=10000,
                    help="part f: training steps per image (default 10000)")
    ap.add_argument("--latent-preset", default="1000",
                    help="part f: complexity preset, MACs per pixel (default 1000)")
    ap.add_argument("--latent-images", type=int, default=24,
                    help="part f: at most this many Kodak images (default 24)")
    args = ap.parse_args(argv)
    if args.tiny:
        args.size, args.width, args.depth = "64x48", 16, 2
        args.steps, args.psnr_steps, args.images, args.window_s = 6, 6, 2, 4.0
        args.latent_steps, args.latent_images = 6, 2
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        ap.error(f"--size must be WxH, got {args.size!r}")
    args.hw = (h, w)
    args.model_keys = tuple(m.strip() for m in args.models.split(",") if m.strip())
    args.rate_list = tuple(float(r) for r in args.rates.split(","))
    if set(args.parts) - set(PARTS):
        ap.error(f"--parts takes letters of {PARTS}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    if not args.resume and out.exists() and any(out.glob("*.csv")):
        print(f"gpu_check: {out} holds an earlier run; add --resume to go on with it, or give "
              "another --out.", file=sys.stderr)
        return 2
    check = Check(args)
    import _gpu_parts as parts

    env = parts.environment(args)
    check.summary["environment"] = env
    check.save()
    check.log(f"device {env['device']}, torch {env['torch']}, budget {args.budget_s:.0f} s, "
              f"size {args.size}, width {args.width}, steps {args.steps}")
    from _gpu_latent import part_f

    runners = {"a": parts.part_a, "b": parts.part_b, "c": parts.part_c, "d": parts.part_d,
               "e": parts.part_e, "f": part_f}
    for letter in args.parts:
        if check.left() <= 0:
            check.log(f"part {letter}: not started, the budget is spent")
            check.note(letter, status="not started: budget spent")
            continue
        t0 = time.monotonic()
        check.log(f"part {letter} starts ({check.left():.0f} s left)")
        status = check.guarded(f"part {letter}", runners[letter], check) or "failed"
        check.note(letter, status=status, seconds=round(time.monotonic() - t0, 1))
        check.log(f"part {letter}: {status}")
    check.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
