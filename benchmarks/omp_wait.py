"""Seconds per training round (the four paper models, one step each, the window's CPU settings
at a 256-px working size) under OpenMP's wait policies: spinning, passive, and passive after a
short spin (``GOMP_SPINCOUNT``, what ``inr_studio.process.tune_process`` sets unless the user chose).

Each setting runs in its own process (libgomp reads them when torch loads it), alternated
``--repeat`` times so a shared machine's load hits them alike; median of ``--rounds`` rounds
each, of full-batch steps and of coarse warm-up steps (one pixel of each 2×2 cell: smaller
products, the same number of parallel regions, so waking threads weighs more).

Then what a spin costs when there is no next region to catch: CPU time per parallel region
(a sine over 10⁶ floats on 2 threads) followed by 5 ms of idling, by spin count: the price a
GUI thread or another program pays. The yardstick is OpenMP's own spinning policy (libgomp's
default when nothing is set).

    python3 benchmarks/omp_wait.py --repeat 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import _bench

CHILD = Path(__file__).resolve().parent / "training_round.py"
#: (label, OMP_WAIT_POLICY, GOMP_SPINCOUNT, threads); spin count "" leaves the policy's own.
SETTINGS = (
    ("spinning", "ACTIVE", "", 2),
    ("passive", "PASSIVE", "0", 2),
    ("passive after 2000 spins", "PASSIVE", "2000", 2),
    ("passive, 1 thread", "PASSIVE", "0", 1),
)


IDLE_COST = """
import resource, sys, time, torch
torch.set_num_threads(2)
x = torch.randn(1_000_000)
for _ in range(10):
    torch.sin(x)
r0, n = resource.getrusage(resource.RUSAGE_SELF), int(sys.argv[1])
for _ in range(n):
    torch.sin(x)
    time.sleep(0.005)
r1 = resource.getrusage(resource.RUSAGE_SELF)
print((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / n * 1e6)
"""


def idle_cost_us(spins: str, regions: int) -> float:
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", GOMP_SPINCOUNT=spins)
    out = subprocess.run([sys.executable, "-c", IDLE_COST, str(regions)], check=True, env=env,
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def round_s(policy: str, spins: str, threads: int, warmup: float,
            args: argparse.Namespace) -> str:
    env = dict(os.environ, OMP_WAIT_POLICY=policy, PYTHONPATH=str(_bench.REPO))
    env.pop("GOMP_SPINCOUNT", None)
    if spins:
        env["GOMP_SPINCOUNT"] = spins
    out = subprocess.run([sys.executable, str(CHILD), "--threads", str(threads),
                          "--image", args.image, "--long-side", str(args.long_side),
                          "--rounds", str(args.rounds), "--warmup", str(warmup)],
                         check=False, env=env, capture_output=True, text=True)
    if not out.stdout:
        return out.stderr[-300:]
    return f"{json.loads(out.stdout.strip().splitlines()[-1])['round_s'] * 1e3:6.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=None, help=_bench.IMAGE_HELP)
    ap.add_argument("--long-side", type=int, default=256, help="working size")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--settings", nargs="+", type=int, default=None, metavar="N",
                    help="only these settings, numbered from 1: "
                         + "; ".join(f"{i} {s[0]}" for i, s in enumerate(SETTINGS, 1)))
    ap.add_argument("--warmups", type=float, nargs="+", default=[0.0, 0.25],
                    help="coarse warm-up shares of the timed rounds (0: full-batch steps)")
    ap.add_argument("--idle-spins", nargs="+", default=["0", "2000", "10000"],
                    help="spin counts of the idle-cost measurement")
    ap.add_argument("--idle-regions", type=int, default=300,
                    help="parallel regions (each then 5 ms idle) per idle-cost measurement")
    args = ap.parse_args()
    args.image = _bench.image_or_default(args.image)
    chosen = [SETTINGS[i - 1] for i in args.settings] if args.settings else SETTINGS
    kinds = " | ".join("coarse warm-up steps" if w else "full-batch steps" for w in args.warmups)
    print(f"{os.cpu_count()} CPUs; ms per round: {kinds}")
    for _ in range(args.repeat):
        for label, policy, spins, threads in chosen:
            cells = " | ".join(round_s(policy, spins, threads, w, args) for w in args.warmups)
            print(f"{label:26s} {cells}   (load {_bench.load_average()})", flush=True)
    print("CPU time per parallel region then idle (passive):")
    for spins in args.idle_spins:
        print(f"  GOMP_SPINCOUNT={spins:6s} {idle_cost_us(spins, args.idle_regions):7.0f} µs",
              flush=True)


if __name__ == "__main__":
    main()
