"""How right the window's ETA is: one run of the four paper models to the end at the window's
CPU settings, and at a few points of it the time left as the ETA said it (the engine's, over
the recent pace) and as a whole-run average would have said it (the yardstick), against the
time it really took.

    python3 benchmarks/eta_accuracy.py --long-side 256
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import time  # noqa: E402

from inr_studio.engine.messages import ProgressBatch  # noqa: E402
from inr_studio.engine.side_by_side import RunRequest, SideBySide  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=None, help=_bench.IMAGE_HELP)
    ap.add_argument("--long-side", type=int, default=256)
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--at", type=float, nargs="+", default=[0.05, 0.1, 0.25, 0.5, 0.75],
                    help="shares of the run's wall time to report at")
    ap.add_argument("--threads", type=int, default=0,
                    help="training threads instead of the window's choice")
    args = ap.parse_args()
    image = _bench.image_or_default(args.image)
    _bench.window_warm_up()
    session = _bench.cpu_session(image, long_side=args.long_side, iters=args.iters)
    request = RunRequest(0, session.working.copy(), session.model_specs(),
                         session.settings.train_config(),
                         cpu_threads=args.threads or _bench.window_cpu_threads())
    engine = SideBySide(request)
    key = request.specs[0].key
    seen = []  # (wall since start, engine's ETA, whole-run-average ETA)
    t0 = time.perf_counter()
    for msg in engine.run():
        if isinstance(msg, ProgressBatch) and key in msg.stats:
            stats, trainer = msg.stats[key], engine.trainers[key]
            done, total = trainer.work
            average = (total - done) / (done / stats.elapsed_s) if done else float("nan")
            seen.append((time.perf_counter() - t0, stats.eta_s, average))
    end = time.perf_counter() - t0
    h, w = session.working.shape[:2]
    print(f"{w}x{h}, {args.iters} steps, four models: {end:.0f} s in all "
          f"(ETA of the first model, {key}; previews on)")
    print(" at (s) | really left | ETA (recent pace) | whole-run average")
    for share in args.at:
        t, eta, average = min(seen, key=lambda row: abs(row[0] - share * end))
        print(f"{t:7.0f} | {end - t:11.0f} | {eta:17.0f} | {average:17.0f}")


if __name__ == "__main__":
    main()
