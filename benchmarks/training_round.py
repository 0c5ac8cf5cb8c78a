"""Seconds per training round in this process: the four paper models, one step each, the
window's CPU settings at a given working size (full-batch steps unless ``--warmup``).

The child of ``omp_wait.py`` and ``allocator.py``, which run it under different environments
(OpenMP's wait policy and the allocator are fixed when the process starts; it tunes itself
as the program does, honouring what the parent set). Prints one JSON
line: the median of ``--rounds`` rounds after one untimed round, and the peak resident memory.

    python3 benchmarks/training_round.py --long-side 512 --threads 2
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGE = ROOT.parent / "shared" / "data" / "kodak" / "kodim23.png"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=str(DEFAULT_IMAGE))
    ap.add_argument("--long-side", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--warmup", type=float, default=0.0, help="the coarse warm-up's share")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from inr_studio.process import tune_process

    tune_process()  # as the program does, before torch loads; the parent's environment decides
    import torch

    from inr_studio.engine.trainer import Trainer
    from inr_studio.imaging import load_image
    from inr_studio.problem import FitProblem
    from inr_studio.ui.session import Session, defaults_for

    torch.set_num_threads(args.threads)
    session = Session(replace(defaults_for("cpu"), device="cpu", long_side=args.long_side,
                              warmup=args.warmup))
    session.set_image(load_image(args.image))
    trainers = [Trainer(FitProblem.create(session.working, spec.config),
                        session.settings.train_config(), spec.phases)
                for spec in session.model_specs()]
    rounds = []
    for _ in range(args.rounds + 1):
        t0 = time.perf_counter()
        for trainer in trainers:
            trainer.step()
        rounds.append(time.perf_counter() - t0)
    print(json.dumps({"round_s": round(statistics.median(rounds[1:]), 4),
                      "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "size": list(session.working.shape[:2])}))


if __name__ == "__main__":
    main()
