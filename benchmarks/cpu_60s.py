"""PSNR after 60 seconds of the window's CPU training: the four paper models side by side.

Exactly what the window does when Start is pressed on a CPU: the window's CPU defaults
(``_bench.cpu_settings``) with the given working size (long side), the session's model specs,
one :class:`~inr_studio.engine.side_by_side.SideBySide` run with the window's training threads
and previews on at the engine's default budget. The clock starts when the run starts
(segmentation and routing included, as the user waits for them too) and the run is stopped at
``--seconds``; each model's PSNR is then measured on the whole working image (not counted in the
time): the network the run returns (its best step's weights, as the window keeps them), with
the step it came from and the last step's PSNR beside it.

Each measurement runs in its own process. ``--compare`` measures "before" then "after" in one
command, back to back, at every ``--long-side``: "before" runs the source tree given by
``--before-src`` (e.g. ``git archive <commit> | tar -x -C /tmp/before``) with that tree's own
window logic, "after" runs this tree: the yardstick is the "before", or, with ``--variants``,
the default settings run back to back with the variants. The machine may be shared: the load
average is printed.

Examples::

    python3 benchmarks/cpu_60s.py --long-side 256
    python3 benchmarks/cpu_60s.py --compare --before-src /tmp/before --long-side 128 256
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import _bench


def parse_sets(pairs: list[str]) -> dict:
    """``["lr=3e-3", "batch_pixels=16384"]`` → RunSettings overrides, typed like the field."""
    from dataclasses import fields

    from inr_studio.ui.session import RunSettings

    types = {f.name: type(getattr(RunSettings(), f.name)) for f in fields(RunSettings)}
    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in types:
            raise SystemExit(f"--set {pair}: no such window setting ({', '.join(types)})")
        out[key] = types[key](value)
    return out


def measure(image: str, long_side: int, seconds: float, sets: list[str] = (),
            threads: int = 0) -> dict:
    """One window-like run; returns each model's PSNR and steps at ``seconds``."""
    from inr_studio.engine.control import RunControl
    from inr_studio.engine.side_by_side import RunRequest, SideBySide

    _bench.window_warm_up()
    session = _bench.cpu_session(image, long_side=long_side, **parse_sets(list(sets)))
    specs = session.model_specs()
    train = session.settings.train_config()
    threads = threads or _bench.window_cpu_threads()
    control = RunControl()
    request = RunRequest(0, session.working.copy(), specs, train, cpu_threads=threads)
    engine = SideBySide(request, control)
    previews = 0
    ended = None
    t0 = time.perf_counter()
    for msg in engine.run():
        previews += type(msg).__name__ == "PreviewFrame"
        if type(msg).__name__ == "RunFailed":
            raise SystemExit(msg.message)
        if type(msg).__name__ == "RunEnded":
            ended = msg
        if time.perf_counter() - t0 >= seconds:
            control.stop()
    wall = time.perf_counter() - t0
    out = {"long_side": long_side, "size": list(session.working.shape[:2]), "threads": threads,
           "wall_s": round(wall, 2), "previews": previews, "models": {}}
    for key, trainer in engine.trainers.items():
        _, psnr = trainer.full_psnr()
        out["models"][key] = {"psnr": round(float(psnr), 2), "steps": trainer.steps_done,
                              "compute_s": round(engine.compute_s.get(key, 0.0), 1)}
        if getattr(ended, "last_psnr", None):  # a tree that keeps its best says which step
            out["models"][key].update(best_step=ended.best_step[key],
                                      last_psnr=round(float(ended.last_psnr[key]), 2))
    return out


def run_child(src: Path, image: str, long_side: int, seconds: float,
              sets: list[str] = (), threads: int = 0) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--image", image,
           "--long-side", str(long_side), "--seconds", str(seconds)]
    for pair in sets:
        cmd += ["--set", pair]
    if threads:
        cmd += ["--threads", str(threads)]
    res = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, cwd=str(src))
    if res.returncode != 0:
        raise SystemExit(f"measurement failed ({src}):\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def row(label: str, r: dict) -> str:
    models = r["models"]
    cells = "  ".join(f"{k} {m['psnr']:5.2f} dB ({m['steps']} steps"
                      + (f", best at {m['best_step']}, last {m['last_psnr']:.2f}"
                         if "best_step" in m else "") + ")" for k, m in models.items())
    return (f"{label:24s} {r['size'][1]}x{r['size'][0]:<4d} threads {r['threads']}  {cells}  "
            f"[{r['previews']} previews, {r['wall_s']:.1f} s, load {_bench.load_average()}]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=None, help=_bench.IMAGE_HELP)
    ap.add_argument("--long-side", type=int, nargs="+", default=[256])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--compare", action="store_true",
                    help="measure --before-src then this tree, back to back")
    ap.add_argument("--before-src", type=Path, default=None,
                    help="source tree of the 'before' (required with --compare)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="alternate before/after this many times (shows the machine's noise)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a window setting (lr, batch_pixels, width...); repeatable")
    ap.add_argument("--variants", nargs="+", default=None, metavar="K=V[,K=V]",
                    help="after the default, one run per variant (e.g. lr=3e-3 "
                         "batch_pixels=16384,lr=3e-3), back to back in this tree")
    ap.add_argument("--threads", type=int, default=0,
                    help="training threads instead of the window's choice (variants: threads=N)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.image = _bench.image_or_default(args.image)
    if args.child:
        sys.path.insert(0, os.getcwd())  # the tree under measurement first
        try:  # the program tunes its process first; an older tree did it when imported
            from inr_studio.process import tune_process
        except ImportError:
            pass
        else:
            tune_process()
        print(json.dumps(measure(args.image, args.long_side[0], args.seconds, args.set,
                                 args.threads)))
        return
    if args.variants:
        print(f"image {args.image}, {args.seconds:g} s wall per run, load average at start "
              f"{_bench.load_average()}", flush=True)
        for side in args.long_side:
            for _ in range(args.repeat):
                for variant in ["default"] + args.variants:
                    sets = args.set + ([] if variant == "default" else variant.split(","))
                    threads = [int(p[8:]) for p in sets if p.startswith("threads=")]
                    sets = [p for p in sets if not p.startswith("threads=")]
                    r = run_child(_bench.REPO, args.image, side, args.seconds, sets,
                                  threads[-1] if threads else args.threads)
                    print(row(variant[:24], r), flush=True)
        return
    trees = [("after", _bench.REPO)]
    if args.compare:
        if args.before_src is None or not (args.before_src / "inr_studio").is_dir():
            raise SystemExit("--compare needs --before-src DIR holding an inr_studio tree")
        trees.insert(0, ("before", args.before_src.resolve()))
    print(f"image {args.image}, {args.seconds:g} s wall per run, {os.cpu_count()} CPUs, "
          f"load average at start {_bench.load_average()}", flush=True)
    for side in args.long_side:
        for _ in range(args.repeat):
            for label, src in trees:
                print(row(label, run_child(src, args.image, side, args.seconds,
                                             threads=args.threads)), flush=True)


if __name__ == "__main__":
    main()
