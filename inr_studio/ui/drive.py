"""A scripted session for tests of the real window (``INR_STUDIO_DRIVE=out.json inr-studio IMG``).

The in-process tests run Qt offscreen; the xcb test (``tests/ui/test_real_display.py``) starts the
real program under Xvfb instead and needs to know what it did. With ``INR_STUDIO_DRIVE`` set,
the window: records when its first frame is painted, waits for the engine and the image, trains
a few steps at a tiny size, grabs the Compare panels (``<out>.png``) and the whole screen
(``<out>.screen.png``), writes what it saw to ``<out>`` (JSON) and quits. Nothing here runs
otherwise.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer

DRIVE_ENV = "INR_STUDIO_DRIVE"
STEPS = 20
TIMEOUT_S = 120.0


class _FirstPaint(QObject):
    def __init__(self, t0: float) -> None:
        super().__init__()
        self.t0 = t0
        self.seconds: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if self.seconds is None and event.type() == QEvent.Type.Paint:
            self.seconds = time.perf_counter() - self.t0
        return False


def _image_stats(image) -> dict:
    """Mean and spread of a QImage's pixels (what a test checks to see real content)."""
    import numpy as np
    from PySide6.QtGui import QImage

    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    raw = np.frombuffer(img.constBits(), dtype=np.uint8, count=stride * h)
    arr = raw.reshape(h, stride)[:, : w * 3].reshape(h, w, 3)
    return {"width": w, "height": h, "mean": float(arr.mean()), "std": float(arr.std()),
            "nonblack_share": float((arr.max(axis=2) > 16).mean())}


def drive(app, window, out: str, started: float | None = None) -> None:
    """Script the session described above; results go to ``out`` and the app quits."""
    out_path = Path(out)
    t0 = started if started is not None else time.perf_counter()
    paint = _FirstPaint(t0)
    window.installEventFilter(paint)
    report: dict = {"platform": app.platformName()}
    state = {"phase": "wait", "deadline": time.monotonic() + TIMEOUT_S}

    def finish(error: str | None = None) -> None:
        timer.stop()
        report["first_paint_s"] = paint.seconds
        report["error"] = error
        report["message"] = window.messages.text()
        panels = window.compare.grab()
        panels.save(str(out_path.with_suffix(".png")), "PNG")
        report["panels"] = _image_stats(panels.toImage())
        screen = app.primaryScreen().grabWindow(0)
        screen.save(str(out_path.with_suffix(".screen.png")), "PNG")
        report["screen"] = _image_stats(screen.toImage())
        out_path.write_text(json.dumps(report, indent=1))
        app.quit()

    def tick() -> None:
        if time.monotonic() > state["deadline"]:
            finish(f"timed out in phase {state['phase']}")
            return
        s = window.session
        if state["phase"] == "wait":
            if window.engine_error:
                finish(window.engine_error)
            elif window.engine_ready and s.working is not None and not window.loader.busy:
                report["engine_s"] = time.perf_counter() - t0
                report["image"] = s.name
                report["message_at_start"] = window.messages.text()
                report["message_level_at_start"] = window.messages.level
                window.panel.width_.setValue(16)
                window.panel.iters.setValue(STEPS)
                window.start_training()
                state["phase"] = "train"
        elif state["phase"] == "train" and window.controller.state == "idle":
            rec = s.record
            report["psnr"] = {k: v.get("psnr_db") for k, v in (rec.final if rec else {}).items()}
            report["steps"] = {k: v.get("step") for k, v in (rec.final if rec else {}).items()}
            finish()

    timer = QTimer(window)
    timer.setInterval(50)
    timer.timeout.connect(tick)
    timer.start()
