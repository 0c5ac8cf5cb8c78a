"""Seconds per training round (the four paper models, one step each, the window's CPU settings
at a 256-px working size) under OpenMP's wait policies: spinning, passive, and passive after a
short spin (``GOMP_SPINCOUNT``, what ``inr_studio.process.tune_process`` sets unless the user chose).

Each setting runs in its own process (libgomp reads them when torch loads it), alternated
``--repeat`` times so a shared machine's load hits them alike; median of ``--rounds`` rounds
each, of full-batch steps and of coarse warm-up steps (one pixel of each 2×2 cell: smaller
products, the same number of parallel regions, so waking threads weighs more).

Then what a spin costs when there is no next region to catch: CPU time per parallel region
(a sine over 10⁶ floats on 2 threads) followed by 5 ms of idling, by spin count: the price a
GUI thread or another program pays.

    python3 benchmarks/omp_wait.py --repeat 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).resolve().parent / "training_round.py"
#: (label, OMP_WAIT_POLICY, GOMP_SPINCOUNT, threads); spin count "" leaves the policy's own.
SETTINGS = (
    ("spinning", "ACTIVE", "", 2),
    ("passive", "PASSIVE", "0", 2),
    ("passive after 2000 spins", "PASSIVE", "2000", 2),
    ("passive, 1 thread", "PASSIVE", "0", 1),
)


IDLE_COST = """
import resource, time, torch
torch.set_num_threads(2)
x = torch.randn(1_000_000)
for _ in range(10):
    torch.sin(x)
r0, n = resource.getrusage(resource.RUSAGE_SELF), 300
for _ in range(n):
    torch.sin(x)
    time.sleep(0.005)
r1 = resource.getrusage(resource.RUSAGE_SELF)
print((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / n * 1e6)
"""


def idle_cost_us(spins: str) -> float:
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", GOMP_SPINCOUNT=spins)
    out = subprocess.run([sys.executable, "-c", IDLE_COST], check=True, env=env,
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def round_s(policy: str, spins: str, threads: int, warmup: float, image: str,
            rounds: int) -> str:
    env = dict(os.environ, OMP_WAIT_POLICY=policy, PYTHONPATH=str(ROOT))
    env.pop("GOMP_SPINCOUNT", None)
    if spins:
        env["GOMP_SPINCOUNT"] = spins
    out = subprocess.run([sys.executable, str(CHILD), "--threads", str(threads), "--image", image,
                          "--rounds", str(rounds), "--warmup", str(warmup)],
                         check=False, env=env, capture_output=True, text=True)
    if not out.stdout:
        return out.stderr[-300:]
    return f"{json.loads(out.stdout.strip().splitlines()[-1])['round_s'] * 1e3:6.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=str(ROOT.parent / "shared/data/kodak/kodim23.png"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs; ms per round: full-batch steps | coarse warm-up steps")
    for _ in range(args.repeat):
        for label, policy, spins, threads in SETTINGS:
            full = round_s(policy, spins, threads, 0.0, args.image, args.rounds)
            coarse = round_s(policy, spins, threads, 0.25, args.image, args.rounds)
            print(f"{label:26s} {full} | {coarse}   (load {os.getloadavg()[0]:.1f})", flush=True)
    print("CPU time per parallel region then idle (passive):")
    for spins in ("0", "2000", "10000"):
        print(f"  GOMP_SPINCOUNT={spins:6s} {idle_cost_us(spins):7.0f} µs", flush=True)


if __name__ == "__main__":
    main()
