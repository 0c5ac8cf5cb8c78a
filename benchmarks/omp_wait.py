"""Seconds per training round (the four paper models, one full-batch step each, the window's
CPU settings at a 256-px working size) under OpenMP's spinning and passive waits.

Each setting runs in its own process (the policy is read when torch loads OpenMP), alternated
``--repeat`` times so a shared machine's load hits them alike; median of 5 rounds each.

    python3 benchmarks/omp_wait.py --repeat 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r'''
import statistics, sys, time
from dataclasses import replace
import inr_studio, torch
from inr_studio.engine.trainer import Trainer
from inr_studio.imaging import load_image
from inr_studio.problem import FitProblem
from inr_studio.ui.session import Session, defaults_for
torch.set_num_threads(int(sys.argv[1]))
s = Session(replace(defaults_for("cpu"), device="cpu", long_side=256))
s.set_image(load_image(sys.argv[2]))
ts = [Trainer(FitProblem.create(s.working, sp.config), s.settings.train_config(), sp.phases)
      for sp in s.model_specs()]
for t in ts:
    t.step()
rounds = []
for _ in range(5):
    t0 = time.perf_counter()
    for t in ts:
        t.step()
    rounds.append(time.perf_counter() - t0)
print(round(statistics.median(rounds), 3))
'''


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=str(ROOT.parent / "shared/data/kodak/kodim23.png"))
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    for _ in range(args.repeat):
        for policy, threads in (("ACTIVE", 2), ("PASSIVE", 2), ("PASSIVE", 1)):
            env = dict(os.environ, OMP_WAIT_POLICY=policy, PYTHONPATH=str(ROOT))
            out = subprocess.run([sys.executable, "-c", CHILD, str(threads), args.image],
                                 check=False, env=env, capture_output=True, text=True)
            print(f"{policy:8s} {threads} threads: {out.stdout.strip() or out.stderr[-300:]} s "
                  f"per round (load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
