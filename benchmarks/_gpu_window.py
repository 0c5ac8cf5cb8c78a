"""Part e of ``benchmarks/gpu_check.py``: the window on the device, offscreen.

A child process (Qt wants the main thread and a clean start) opens the window on the device
with its defaults for that device (on a GPU the paper's: width 256, up to 768 px, lr 1e-4),
trains the models ``--seconds`` seconds with previews, grabs a screenshot while they train, and
prints one JSON line: each model's steps, the previews received and the GUI thread's stalls (a
5 ms timer on the GUI thread; each tick's lateness is time a click or a repaint would wait).

    python3 benchmarks/_gpu_window.py --device cpu --seconds 4 --png /tmp/w.png
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE_MS = 5


def run_window_child(check) -> str:
    """Run this file as a child with the run's settings; its JSON goes to summary.json."""
    from _gpu_parts import kodak_dir

    args = check.args
    earlier = check.summary["parts"].get("e", {})
    if args.resume and earlier.get("status") == "ok" and (check.out / "e_window.png").exists():
        check.log("part e: done in an earlier run")
        return "ok"
    need = args.window_s + 90.0  # the engine's loading, the image, the stop
    if not check.fits(need):
        return f"not started: needs ~{need:.0f} s, {check.left():.0f} s left"
    folder = kodak_dir(args)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--device", args.device,
           "--seconds", str(args.window_s), "--png", str(check.out / "e_window.png"),
           "--width", str(args.width), "--long-side", str(max(args.hw)),
           "--models", ",".join(args.model_keys)]
    if folder is not None:
        cmd += ["--image", str(folder / "kodim23.png")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO)] + sys.path[1:]))
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=min(check.left(), need + 120.0))
    except subprocess.TimeoutExpired:
        return "timed out"
    check.log("window child:\n" + done.stderr[-4000:])
    lines = done.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return f"failed (rc {done.returncode}; log.txt)"
    check.note("e", **report)
    return report.get("status", "ok")


def measure(args: argparse.Namespace) -> dict:
    import numpy as np
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from inr_studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(devices=[args.device])
    window.resize(1500, 900)
    window.show()
    window.start_engine()
    deadline = time.monotonic() + 120
    while not window.engine_ready and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)
    if not window.engine_ready:
        return {"status": f"engine not ready: {window.engine_error}"}
    window.open_initial(args.image)
    window.wait_loaded()
    panel = window.panel
    panel.device.setCurrentIndex(max(panel.device.findData(args.device), 0))
    window._device_defaults()  # this device's defaults, then the run's width and size
    panel.width_.setValue(args.width)
    side = panel.long_side.findData(args.long_side)
    if side >= 0:
        panel.long_side.setCurrentIndex(side)
    panel.iters.setValue(panel.iters.maximum())
    window.wait_loaded()
    if args.models:
        from dataclasses import replace

        window._apply_settings(replace(window.session.settings,
                                       models=tuple(args.models.split(","))))
    clock = QElapsedTimer()
    ticks: list[float] = []
    previews: list[float] = []
    window.controller.previewed.connect(lambda _f: previews.append(clock.nsecsElapsed() / 1e6))
    probe = QTimer()
    probe.setInterval(PROBE_MS)
    probe.timeout.connect(lambda: ticks.append(clock.nsecsElapsed() / 1e6))

    def grab_and_stop() -> None:
        window.grab().save(args.png)
        window.stop_training()
        probe.stop()
        app.quit()

    clock.start()
    probe.start()
    window.start_training()
    QTimer.singleShot(int(args.seconds * 1000), grab_and_stop)
    app.exec()
    window.controller.stop(wait=True)
    app.processEvents()
    steps = {k: t.steps_done for k, t in window.session.trainers.items()}
    error = window.messages.text() if window.messages.level == "error" else ""
    s = window.session.settings
    h, w = window.session.working.shape[:2]
    window.shutdown()
    window.close()
    late = np.diff(np.asarray(ticks)) - PROBE_MS
    stalls = {} if late.size == 0 else {
        "max_ms": round(float(late.max()), 1), "p99_ms": round(float(np.percentile(late, 99)), 1),
        "p50_ms": round(float(np.percentile(late, 50)), 2), "ticks": int(late.size)}
    return {"status": "ok" if steps and not error else f"failed: {error or 'no steps'}",
            "device": window.device_label.text().removeprefix("Device: "), "working": f"{w}x{h}", "width": s.width,
            "lr": s.lr, "train_s": args.seconds, "steps": steps, "previews": len(previews),
            "first_preview_ms": round(previews[0], 0) if previews else None,
            "gui_stalls": stalls, "screenshot": Path(args.png).name}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--png", required=True)
    ap.add_argument("--image", default=None, help="image (default: the astronaut sample)")
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--long-side", type=int, default=768)
    ap.add_argument("--models", default="")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("INR_STUDIO_SETTINGS_DIR", tempfile.mkdtemp(prefix="inr-gpu-"))
    import _bench

    _bench.tune()  # as the program does, before torch loads
    if args.device == "auto":
        from inr_studio.device import pick_device

        args.device = pick_device("auto").type
    try:
        import PySide6  # noqa: F401
        import pyqtgraph  # noqa: F401
    except ImportError as exc:
        print(json.dumps({"status": f"skipped: the window's packages are missing ({exc})"}))
        return 0
    print(json.dumps(measure(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
