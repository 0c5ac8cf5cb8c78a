"""Longest event-loop stall of the window while the Save .sinr dialog encodes.

Trains SIREN and HS-LoE briefly at width 256 (3×256, ~200k parameters: about 11 s
of SINR encoding), opens the dialog with SINR options (target error 1 %, not the
default search), presses "Compute size" and probes the event loop every 5 ms until the size is
shown; then the same with the default search (smallest file within 0.1 dB). Offscreen Qt.

    python3 benchmarks/encode_stall.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import replace

import numpy as np


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("INR_STUDIO_SETTINGS_DIR", tempfile.mkdtemp(prefix="inr-enc-"))
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from inr_studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(devices=["cpu"])
    window.show()
    window.start_engine()
    while not window.engine_ready:
        app.processEvents()
        time.sleep(0.005)
    window.open_initial(None)
    window.wait_loaded()
    window._apply_settings(replace(window.session.settings, width=256, iters=5,
                                   models=("siren", "hs")))
    window.start_training()
    while window.controller.is_active():
        app.processEvents()
        time.sleep(0.005)
    for _ in range(50):
        app.processEvents()
    print(f"trained {tuple(window.session.trainers)} at width 256, "
          f"{window.session.working.shape[1]}x{window.session.working.shape[0]}")
    for kind, auto in (("siren", False), ("hs", False), ("siren", True)):
        dialog = window.export_sinr_dialog(kind, modal=False)
        dialog.auto.setChecked(auto)
        if not auto:
            dialog.plain.setChecked(False)
            dialog.use_target.setChecked(True)
        clock = QElapsedTimer()
        ticks: list[float] = []
        probe = QTimer()
        probe.setTimerType(probe.timerType().PreciseTimer)
        probe.setInterval(5)
        probe.timeout.connect(lambda: ticks.append(clock.nsecsElapsed() / 1e6))
        clock.start()
        probe.start()
        t0 = time.perf_counter()
        dialog.compute_in_background()
        while dialog.estimate is None and not dialog.error.text():
            app.processEvents()
            time.sleep(0.001)
        seconds = time.perf_counter() - t0
        probe.stop()
        late = np.diff(np.asarray(ticks)) - 5
        what = "default search" if auto else "SINR, 1 % target error"
        print(f"{kind} {what}: size shown after {seconds:.1f} s "
              f"({dialog.estimate.summary() if dialog.estimate else dialog.error.text()}); "
              f"max stall {late.max():.1f} ms, p99 {np.percentile(late, 99):.1f} ms over "
              f"{late.size} ticks")
        dialog.close()
    window.shutdown()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
