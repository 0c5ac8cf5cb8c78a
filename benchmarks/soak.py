"""Long use of one window: memory, threads and Qt's warnings over many cycles of work.

One window (offscreen unless ``--show``) runs ``--cycles`` cycles of: open an image (two tiny
pictures in turn, so each open is a new image, its maps and its JPEG/WebP/AVIF curves) →
Start → wait for the first progress of every model → Stop → wait until idle; then
``--dialog-cycles`` cycles of: open → Start → the same steps → Stop → open the *Save .sinr…*
dialog (which starts its search in the background) → close it. After each cycle it reads the
process's resident memory (``VmRSS``) and its threads (``/proc/self/task``). A Qt message
handler records every warning Qt prints.

The yardsticks are the window's own: the resident memory after the first ``--warm`` cycles
(allocators, caches and torch's thread pools are in place by then; the rest of the run may
grow it by at most ``--max-growth``), and the threads after the first cycle (every thread
started later must have ended). Exit status 1 when a check fails.

    python3 benchmarks/soak.py                       # 100 + 20 cycles, 16-px pictures
    python3 benchmarks/soak.py --cycles 300 --side 64 --json /tmp/soak.json
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

#: What the offscreen platform says of every window it shows: the platform's, not the window's.
PLATFORM_NOTES = ("This plugin does not support propagateSizeHints()",)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--dialog-cycles", type=int, default=20)
    ap.add_argument("--side", type=int, default=16, help="the pictures' size (px)")
    ap.add_argument("--width", type=int, default=8, help="the networks' width")
    ap.add_argument("--models", default="siren,hs", help="comma-separated registry keys")
    ap.add_argument("--warm", type=int, default=10, help="cycles before the memory yardstick")
    ap.add_argument("--max-growth", type=float, default=0.10,
                    help="allowed resident-memory growth after the warm cycles (0.10: 10 %%)")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    ap.add_argument("--show", action="store_true", help="use the real display, not offscreen")
    args = ap.parse_args(argv)
    if args.cycles <= args.warm:
        _bench.fail(f"--cycles must exceed --warm ({args.warm})")
    _bench.offscreen_window_env(args.show)

    from PySide6.QtCore import QtMsgType, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from inr_studio.imaging import save_png
    from inr_studio.models import registry
    from inr_studio.ui.background import kept

    warnings: list[str] = []

    def on_message(kind, _context, message: str) -> None:
        if kind != QtMsgType.QtDebugMsg and kind != QtMsgType.QtInfoMsg \
                and message not in PLATFORM_NOTES:
            warnings.append(f"{kind.name}: {message}")

    qInstallMessageHandler(on_message)
    folder = _bench.scratch_folder("inr-soak-")
    pixels = _bench.sample_pixels(None, 2 * args.side, 2 * args.side)
    images = [folder / "a.png", folder / "b.png"]
    save_png(images[0], pixels[::2, ::2])
    save_png(images[1], pixels[1::2, : args.side])
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    app, window = _bench.open_window(str(images[0]))
    window.panel.picker.set_models(registry.parse_models(args.models))
    window.panel.width_.setValue(args.width)
    window.panel.iters.setValue(1_000_000)  # the run never ends on its own: Stop ends it
    window._panel_changed()

    def settle(condition, timeout_s: float = 60.0) -> None:
        end = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > end:
                raise TimeoutError(f"gave up waiting ({window.messages.text()})")
            app.processEvents()
            time.sleep(0.002)
        app.processEvents()

    def quiet() -> bool:  # no load, no run, no background job left
        return (not window.loader.busy and window.controller.state == "idle"
                and not window.rd_view.anchors_running and not kept())

    def one_cycle(i: int, dialog: bool) -> None:
        window.open_image(str(images[i % 2]))
        settle(lambda: window.wait_loaded() and not window.loader.busy)
        window.start_training()
        settle(lambda: window.session.record is not None and all(
            window.session.record.final.get(k, {}).get("step", 0) >= 1
            for k in window.session.settings.models))
        window.stop_training()
        settle(lambda: window.controller.state == "idle")
        if dialog:
            box = window.export_sinr_dialog(modal=False)
            app.processEvents()
            box.close()
        settle(quiet)

    rss, task_counts = [], []
    before = threads()
    total = args.cycles + args.dialog_cycles
    for i in range(total):
        one_cycle(i, dialog=i >= args.cycles)
        rss.append(rss_mb())
        task_counts.append(threads())
        if (i + 1) % 10 == 0 or i in (0, total - 1):
            print(f"cycle {i + 1:4d}: rss {rss[-1]:7.1f} MB, threads {task_counts[-1]}",
                  flush=True)
    wall, cpu = time.perf_counter() - t_wall, time.process_time() - t_cpu
    window.shutdown()
    window.close()

    yardstick = rss[args.warm - 1]
    growth = max(rss[args.warm:]) / yardstick - 1.0
    baseline = task_counts[0]
    extra = [n - baseline for n in task_counts[1:] if n != baseline]
    ok = growth <= args.max_growth and task_counts[-1] == baseline and not warnings
    print(f"memory: {yardstick:.1f} MB after {args.warm} cycles, {rss[-1]:.1f} MB at the end, "
          f"{max(rss[args.warm:]):.1f} MB at most: growth {100 * growth:+.1f} % "
          f"(limit {100 * args.max_growth:.0f} %)")
    print(f"threads: {before} before the first cycle, {baseline} after it, {task_counts[-1]} "
          f"after the last; {len(extra)} cycles ended with another count")
    print(f"Qt warnings: {len(warnings)}" + "".join(f"\n  {w}" for w in warnings[:10]))
    print(f"{args.cycles} cycles + {args.dialog_cycles} with the export dialog, "
          f"{args.side}-px pictures, models {args.models} at width {args.width}: "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU (load {_bench.load_average()})")
    print("soak: " + ("pass" if ok else "FAIL"))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "rss_mb": [round(v, 2) for v in rss], "threads": task_counts,
            "threads_before": before, "growth": growth, "warnings": warnings,
            "wall_s": wall, "cpu_s": cpu, "cycles": args.cycles,
            "dialog_cycles": args.dialog_cycles, "ok": ok}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
