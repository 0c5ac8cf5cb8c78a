"""The ``--open`` scenario of ``benchmarks/ui_stall.py``: event-loop stalls while images open.

Run through ``python3 benchmarks/ui_stall.py --open`` (see its docstring).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
KODAK = Path(os.environ.get("INR_STUDIO_KODAK", REPO.parent / "shared" / "data" / "kodak"))


def make_open_files(folder: Path, source: Path | None) -> dict[str, Path]:
    """The 24-MP JPEG (EXIF orientation 6), the 16-bit PNG and the source image itself."""
    import png
    from PIL import Image

    if source is None or not source.is_file():
        from skimage import data

        source = folder / "astronaut.png"
        Image.fromarray(data.astronaut()).save(source)
    im = Image.open(source).convert("RGB")
    jpeg = folder / "photo_24mp.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display, as phones store portrait photos
    im.resize((6000, 4000), Image.Resampling.BICUBIC).save(jpeg, quality=90, exif=exif)
    png16 = folder / "room_16bit.png"
    arr = np.asarray(im.resize((4000, 3000), Image.Resampling.BICUBIC)).astype(np.uint16) * 257
    arr = arr + np.random.default_rng(0).integers(0, 257, arr.shape, dtype=np.uint16)  # real 16 bit
    with open(png16, "wb") as fh:
        png.Writer(4000, 3000, greyscale=False, bitdepth=16).write(fh, arr.reshape(3000, -1))
    return {"24-MP JPEG (EXIF-rotated)": jpeg, "16-bit PNG 4000×3000": png16,
            f"Kodak {source.name}": source}


def figures(x: np.ndarray) -> dict:
    if x.size == 0:
        return {}
    return {"max_ms": float(x.max()), "p99_ms": float(np.percentile(x, 99)),
            "p50_ms": float(np.percentile(x, 50)), "ticks": int(x.size)}


def measure_open(args) -> int:
    from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    preloaded = "torch" in sys.modules
    from inr_studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(devices=["cpu"])
    window.show()
    app.processEvents()
    # The engine (torch) loads in a thread; how much does that stall the window meanwhile?
    engine_ticks: list[float] = []
    engine_probe = QTimer()
    engine_probe.setTimerType(engine_probe.timerType().PreciseTimer)
    engine_probe.setInterval(args.probe_ms)
    engine_probe.timeout.connect(lambda: engine_ticks.append(time.perf_counter() * 1e3))
    engine_probe.start()
    t_engine = time.perf_counter()
    window.start_engine()
    while not window.engine_ready:
        app.processEvents()
        time.sleep(0.0005)
    engine_s = time.perf_counter() - t_engine
    engine_probe.stop()
    engine = figures(np.diff(np.asarray(engine_ticks)) - args.probe_ms)
    window.open_initial(None)
    window.wait_loaded()
    window._device_defaults()  # CPU defaults: 128-px working size
    window.wait_loaded()

    folder = Path(tempfile.mkdtemp(prefix="inr-open-"))
    t0 = time.perf_counter()
    files = make_open_files(folder, KODAK / "kodim23.png")
    made_s = time.perf_counter() - t0

    clock = QElapsedTimer()
    ticks: list[float] = []
    marks: dict[str, float | None] = {}

    class Painted(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802
            if (event.type() == QEvent.Type.Paint and marks.get("image_ms") is not None
                    and marks.get("paint_ms") is None):
                marks["paint_ms"] = clock.nsecsElapsed() / 1e6
            return False

    painted = Painted()
    for view in window.compare.findChildren(QObject):
        if hasattr(view, "viewport"):
            view.viewport().installEventFilter(painted)
    window.loader.imageReady.connect(
        lambda _s: marks.__setitem__("image_ms", clock.nsecsElapsed() / 1e6))
    window.loader.mapsReady.connect(
        lambda _s: marks.__setitem__("maps_ms", clock.nsecsElapsed() / 1e6))
    probe = QTimer()
    probe.setTimerType(probe.timerType().PreciseTimer)
    probe.setInterval(args.probe_ms)
    probe.timeout.connect(lambda: ticks.append(clock.nsecsElapsed() / 1e6))
    clock.start()
    probe.start()

    def spin(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.0005)

    spin(args.baseline)
    t_all = np.asarray(ticks)
    idle = figures(np.diff(t_all) - args.probe_ms)
    results = {}
    for label, path in files.items():
        spin(0.5)
        marks.clear()
        start = clock.nsecsElapsed() / 1e6
        window.open_image(str(path))  # what a drop does
        deadline = time.perf_counter() + 120
        while (window.loader.busy or marks.get("paint_ms") is None) and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.0005)
        end = clock.nsecsElapsed() / 1e6
        spin(0.3)
        t = np.asarray(ticks)
        gaps = np.diff(t) - args.probe_ms
        inside = gaps[(t[1:] > start) & (t[:-1] < end + 300)]
        h, w = window.session.working.shape[:2]
        results[label] = {
            "file_mb": path.stat().st_size / 1e6,
            "image": f"{window.session.image.width}x{window.session.image.height}",
            "working": f"{w}x{h}",
            "visible_ms": (marks["paint_ms"] - start) if marks.get("paint_ms") else None,
            "maps_ms": (marks["maps_ms"] - start) if marks.get("maps_ms") else None,
            "stalls": figures(inside), "message": window.messages.text(),
        }
    probe.stop()
    window.shutdown()
    window.close()

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; probe every "
          f"{args.probe_ms} ms; test files made in {made_s:.1f} s")
    print(f"idle window: max stall {idle['max_ms']:.1f} ms, p99 {idle['p99_ms']:.1f} ms "
          f"(the machine's own noise)")
    print(f"engine loading in its thread ({engine_s:.1f} s; torch was "
          f"{'already' if preloaded else 'not yet'} imported): max stall {engine['max_ms']:.1f} ms, "
          f"p99 {engine['p99_ms']:.1f} ms over {engine['ticks']} ticks")
    for label, r in results.items():
        st = r["stalls"]
        print(f"{label} ({r['image']}, {r['file_mb']:.1f} MB): visible after "
              f"{r['visible_ms']:.0f} ms, maps after {r['maps_ms']:.0f} ms; max stall "
              f"{st['max_ms']:.1f} ms, p99 {st['p99_ms']:.1f} ms, median {st['p50_ms']:.2f} ms "
              f"over {st['ticks']} ticks")
        if r["message"]:
            print(f"   message: {r['message']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"idle": idle, "engine": engine, "engine_s": engine_s,
                                               "open": results}, indent=1))
    return 0
