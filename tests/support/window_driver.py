"""The real program, scripted, for the test of the real window on an X display.

    python tests/support/window_driver.py OUT.json IMAGE

runs ``inr-studio IMAGE`` (the process tuned as the entry point tunes it, then ``run_app``)
with a scripted session (``tests/ui/test_real_display.py``, under Xvfb, Qt's xcb platform,
where the in-process tests use the offscreen platform): it records when the first frame is
painted, waits for the engine and the image, trains a few steps of small networks with fixed
settings, grabs the Compare panels (``OUT.png``) and the whole screen (``OUT.screen.png``),
writes what it saw to ``OUT.json`` and quits.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer

from ui_helpers import fix_run  # this folder: the script's own

#: Steps of the run the session starts, all of whose settings are fixed (``fix_run``): the PSNR
#: it reaches does not follow the device's defaults (the image, 48×64, is below every working
#: size).
STEPS = 60
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
                fix_run(window.panel, STEPS)
                report["settings"] = window.session.settings.to_dict()
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


def main(out: str, image: str) -> int:
    from inr_studio.process import tune_process

    tune_process()  # first thing, as the entry point does
    from inr_studio.ui.app import run_app

    return run_app(image, on_shown=lambda app, window, started: drive(app, window, out, started))


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
