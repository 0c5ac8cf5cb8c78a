"""Longest event-loop stall of the window while the Save .sinr dialog encodes.

Trains SIREN and HS-LoE briefly at width 256 (3×256, ~200k parameters, where SINR encoding
takes seconds), opens the dialog with SINR options (target error 1 %, not the default search),
presses "Compute size" and probes the event loop every 5 ms until the size is shown; then the
same with the default search (smallest file within 0.1 dB). Offscreen Qt. The yardstick is the
idle window, probed the same way for ``--baseline`` seconds first (the machine's own noise).

    python3 benchmarks/encode_stall.py
    python3 benchmarks/encode_stall.py --width 64 --iters 5 --long-side 128
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402

import numpy as np  # noqa: E402

PROBE_MS = 5


def probe_while(app, busy, seconds: float = float("inf")) -> tuple[np.ndarray, float]:
    """(lateness of each probe tick in ms, seconds) while ``busy()`` and under ``seconds``."""
    timer, ticks = _bench.stall_probe(PROBE_MS)
    timer.start()
    t0 = time.perf_counter()
    while busy() and time.perf_counter() - t0 < seconds:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    return np.diff(np.asarray(ticks)) - PROBE_MS, time.perf_counter() - t0


def line(late: np.ndarray) -> str:
    f = _bench.stall_figures(late)
    if not f["ticks"]:
        return "no probe ticks"
    return f"max stall {f['max_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms over {f['ticks']} ticks"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=None, help="image to train on (default: the sample)")
    ap.add_argument("--width", type=int, default=256, help="width of the trained networks")
    ap.add_argument("--iters", type=int, default=5, help="training steps before saving")
    ap.add_argument("--long-side", type=int, default=None,
                    help="working size (default: the window's CPU default)")
    ap.add_argument("--baseline", type=float, default=2.0,
                    help="seconds of probing the idle window")
    args = ap.parse_args()
    _bench.offscreen_window_env()
    app, window = _bench.open_window(args.image)
    changes = {"width": args.width, "iters": args.iters, "models": ("siren", "hs")}
    if args.long_side:
        changes["long_side"] = args.long_side
    window._apply_settings(replace(window.session.settings, **changes))
    window.wait_loaded()
    late, _ = probe_while(app, lambda: True, args.baseline)
    print(f"idle window: {line(late)}")
    window.start_training()
    while window.controller.is_active():
        app.processEvents()
        time.sleep(0.005)
    for _ in range(50):
        app.processEvents()
    h, w = window.session.working.shape[:2]
    print(f"trained {tuple(window.session.trainers)} at width {args.width}, {w}x{h}")
    for kind, auto in (("siren", False), ("hs", False), ("siren", True)):
        dialog = window.export_sinr_dialog(kind, modal=False)
        dialog.auto.setChecked(auto)
        if not auto:
            dialog.plain.setChecked(False)
            dialog.use_target.setChecked(True)
        dialog.compute_in_background()
        late, seconds = probe_while(
            app, lambda: dialog.estimate is None and not dialog.error.text())
        what = "default search" if auto else "SINR, 1 % target error"
        shown = dialog.estimate.summary() if dialog.estimate else dialog.error.text()
        print(f"{kind} {what}: size shown after {seconds:.1f} s ({shown}); {line(late)}")
        dialog.close()
    window.shutdown()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
