"""Longest event-loop stall of the window while it trains the four models on the CPU.

A QTimer probe fires every ``--probe-ms`` on the GUI thread; each tick records how late it came
(gap − interval). A late tick is time the event loop could not run: a click or a repaint waits
that long. The window trains with its CPU defaults (256-px working size, width 64, full batch)
on a real image (scikit-image's astronaut unless ``--image``), draws every update it gets
(offscreen painting still renders into the backing store), and the figures are reported for
the whole run (including the start: model building, first-use imports) and for the steady state
after the first preview. The yardstick is the idle window, probed first for ``--baseline``
seconds (the machine's own noise); the target is a max stall ≤ 50 ms.

    python3 benchmarks/ui_stall.py --seconds 20

``--open`` measures opening images instead: ``open_stall.py`` (see its docstring), with the
options after ``--open``.

    python3 benchmarks/ui_stall.py --open
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--open" in argv:
        import open_stall

        argv.remove("--open")
        return open_stall.main(argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="training time measured")
    ap.add_argument("--probe-ms", type=int, default=5, help="probe timer interval")
    ap.add_argument("--image", default=None, help="image to train on (default: astronaut)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads of the worker (default: the window's choice, cores − 1)")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    ap.add_argument("--show", action="store_true", help="use the real display, not offscreen")
    ap.add_argument("--baseline", type=float, default=3.0,
                    help="seconds of probing the idle window first (the machine's own noise)")
    ap.add_argument("--open", action="store_true",
                    help="measure opening a 24-MP JPEG, a 16-bit PNG and a Kodak image instead "
                         "(open_stall.py; its options follow)")
    args = ap.parse_args(argv)
    _bench.offscreen_window_env(args.show)

    import torch
    from PySide6.QtCore import QTimer

    app, window = _bench.open_window(args.image)
    if args.threads is not None:
        window.cpu_threads = args.threads
    window._device_defaults()  # the CPU defaults, whatever an earlier session stored
    s = window.session.settings

    counts = {"progress": 0, "preview": 0, "first_preview_ms": None}

    def now_ms() -> float:
        return time.perf_counter() * 1e3

    def on_preview(_frame) -> None:
        counts["preview"] += 1
        if counts["first_preview_ms"] is None:
            counts["first_preview_ms"] = now_ms()

    window.controller.progressed.connect(lambda _b: counts.__setitem__("progress",
                                                                        counts["progress"] + 1))
    window.controller.previewed.connect(on_preview)
    probe, ticks = _bench.stall_probe(args.probe_ms)
    done = {"stop_ms": None}

    def finish() -> None:
        t0 = time.perf_counter()
        window.stop_training()
        while window.controller.worker is not None and not window.controller.worker.isFinished():
            app.processEvents()
            time.sleep(0.001)
        done["stop_ms"] = (time.perf_counter() - t0) * 1e3
        probe.stop()
        app.quit()

    marks = {}

    def start() -> None:
        marks["start_ms"] = now_ms()
        window.start_training()
        QTimer.singleShot(int(args.seconds * 1000), finish)

    probe.start()
    QTimer.singleShot(int(args.baseline * 1000), start)
    app.exec()
    steps = {k: t.steps_done for k, t in window.controller.worker.trainers.items()}
    window.shutdown()
    window.close()

    t = np.asarray(ticks)
    late_all = np.diff(t) - args.probe_ms
    idle = late_all[t[1:] <= marks["start_ms"]]
    late = late_all[t[:-1] >= marks["start_ms"]]
    first = counts["first_preview_ms"]
    steady = late_all[t[:-1] >= first] if first is not None else late_all[:0]
    counts["first_preview_ms"] = None if first is None else first - marks["start_ms"]

    figures = _bench.stall_figures
    h, w = window.session.working.shape[:2]
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                   f"torch {torch.__version__}",
        "settings": {"working": f"{w}x{h}", "width": s.width, "depth": s.depth, "lr": s.lr,
                     "batch": s.batch_pixels or "full", "worker_threads": window.cpu_threads},
        "seconds": args.seconds, "probe_ms": args.probe_ms,
        "idle_window": figures(idle), "whole_run": figures(late), "steady_state": figures(steady),
        "progress_signals": counts["progress"], "previews": counts["preview"],
        "first_preview_ms": counts["first_preview_ms"], "steps": steps,
        "stop_returned_ms": done["stop_ms"],
    }
    whole, stead, base = report["whole_run"], report["steady_state"], report["idle_window"]
    print(f"working {w}x{h}, width {s.width}, worker threads {window.cpu_threads}, "
          f"{args.seconds:.0f} s, probe every {args.probe_ms} ms")
    print(f"idle window:  max stall {base['max_ms']:.1f} ms, p99 {base['p99_ms']:.1f} ms, "
          f"median {base['p50_ms']:.2f} ms over {base['ticks']} ticks (the machine's own noise)")
    print(f"whole run:    max stall {whole['max_ms']:.1f} ms, p99 {whole['p99_ms']:.1f} ms, "
          f"median {whole['p50_ms']:.2f} ms over {whole['ticks']} ticks")
    if stead["ticks"]:
        print(f"steady state: max stall {stead['max_ms']:.1f} ms, p99 {stead['p99_ms']:.1f} ms, "
              f"median {stead['p50_ms']:.2f} ms over {stead['ticks']} ticks")
    first = counts["first_preview_ms"]
    print(f"first preview {'never came' if first is None else f'after {first:.0f} ms'}; "
          f"{counts['progress']} "
          f"progress signals, {counts['preview']} previews; steps {steps}; "
          f"stop returned in {done['stop_ms']:.0f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
