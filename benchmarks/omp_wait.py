"""Seconds per training round (the four paper models, one full-batch step each, the window's
CPU settings at a 256-px working size, full-batch steps) under OpenMP's spinning and passive waits.

Each setting runs in its own process (the policy is read when torch loads OpenMP), alternated
``--repeat`` times so a shared machine's load hits them alike; median of 5 rounds each.

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=str(ROOT.parent / "shared/data/kodak/kodim23.png"))
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    for _ in range(args.repeat):
        for policy, threads in (("ACTIVE", 2), ("PASSIVE", 2), ("PASSIVE", 1)):
            env = dict(os.environ, OMP_WAIT_POLICY=policy, PYTHONPATH=str(ROOT))
            out = subprocess.run([sys.executable, str(CHILD), "--threads", str(threads),
                                  "--image", args.image, "--rounds", "5"],
                                 check=False, env=env, capture_output=True, text=True)
            got = json.loads(out.stdout.strip().splitlines()[-1])["round_s"] if out.stdout \
                else out.stderr[-300:]
            print(f"{policy:8s} {threads} threads: {got} s "
                  f"per round (load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
