"""Training rounds with and without ``inr_studio.process``'s allocator settings (huge pages,
heap reuse), each in its own process, alternated ``--repeat`` times, at each working size.

Prints seconds per round of the four paper models (full-batch steps, the window's CPU
settings; ``training_round.py`` in a child process), the ratio default / tuned and the peak
resident memory of both. The yardstick is glibc's and PyTorch's default allocation
(``INR_STUDIO_ALLOCATOR=default``).

    python3 benchmarks/allocator.py --long-side 128 256 512 --repeat 2
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


def one(mode: str, side: int, args: argparse.Namespace) -> dict:
    env = dict(os.environ, PYTHONPATH=str(_bench.REPO), INR_STUDIO_ALLOCATOR=mode)
    env.pop("THP_MEM_ALLOC_ENABLE", None)
    cmd = [sys.executable, str(CHILD), "--long-side", str(side), "--threads", str(args.threads),
           "--rounds", str(args.rounds), "--image", args.image]
    res = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(res.stderr[-2000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long-side", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=6, help="timed rounds per process")
    ap.add_argument("--image", default=None, help=_bench.IMAGE_HELP)
    args = ap.parse_args()
    args.image = _bench.image_or_default(args.image)
    for side in args.long_side:
        for _ in range(args.repeat):
            base = one("default", side, args)
            tuned = one("tuned", side, args)
            print(f"{side:5d} px ({base['size'][1]}×{base['size'][0]}), {args.threads} threads: "
                  f"default {base['round_s']:.3f} s/round ({base['max_rss_mb']} MB), "
                  f"tuned {tuned['round_s']:.3f} s/round ({tuned['max_rss_mb']} MB), "
                  f"default/tuned {base['round_s'] / tuned['round_s']:.2f}  "
                  f"[load {_bench.load_average()}]", flush=True)


if __name__ == "__main__":
    main()
