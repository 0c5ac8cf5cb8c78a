"""Seconds per training round in this process: the four paper models, one step each, the
window's CPU settings at a given working size (full-batch steps unless ``--warmup``).

The child of ``omp_wait.py`` and ``allocator.py``, which run it under different environments
(OpenMP's wait policy and the allocator are fixed when the process starts; it tunes itself
as the program does, honouring what the parent set). Prints one JSON line: the median of
``--rounds`` rounds after one untimed round, the peak resident memory and the working size.
The yardstick is the parent's: the same round under another environment.

    python3 benchmarks/training_round.py --long-side 512 --threads 2
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads; the parent's environment decides

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=None, help=_bench.IMAGE_HELP)
    ap.add_argument("--long-side", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--warmup", type=float, default=0.0, help="the coarse warm-up's share")
    args = ap.parse_args()
    image = _bench.image_or_default(args.image)
    import torch

    torch.set_num_threads(args.threads)
    session = _bench.cpu_session(image, long_side=args.long_side, warmup=args.warmup)
    trainers = _bench.session_trainers(session).values()
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
