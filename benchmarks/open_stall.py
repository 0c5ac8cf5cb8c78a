"""Event-loop stalls of the window while images open: a 24-MP JPEG (a Kodak image upscaled to
6000×4000, EXIF-rotated like a phone photo), a 16-bit PNG (4000×3000) and the Kodak image
itself are made in a temporary folder and opened one after the other in the idle window, as a
drop would; for each: the stalls from the drop until its maps are drawn, and when the picture
was first painted in the Compare panels. Also the stalls while the engine (torch) loads in its
thread. The yardstick is the idle window, probed first (the machine's own noise); the targets
are a max stall ≤ 100 ms, p99 ≤ 50 ms, and the Kodak image visible ≤ 1 s after the drop.

    python3 benchmarks/open_stall.py              # also: python3 benchmarks/ui_stall.py --open
    python3 benchmarks/open_stall.py --jpeg-size 400x600 --png-size 300x400
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


def make_open_files(folder: Path, source: Path, jpeg_size: tuple[int, int],
                    png_size: tuple[int, int]) -> dict[str, Path]:
    """The large JPEG (EXIF orientation 6), the 16-bit PNG and the source image itself;
    sizes W×H."""
    import png
    from PIL import Image

    im = Image.open(source).convert("RGB")
    jpeg = folder / "photo_large.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display, as phones store portrait photos
    im.resize(jpeg_size, Image.Resampling.BICUBIC).save(jpeg, quality=90, exif=exif)
    png16 = folder / "room_16bit.png"
    w, h = png_size
    arr = np.asarray(im.resize(png_size, Image.Resampling.BICUBIC)).astype(np.uint16) * 257
    arr = arr + np.random.default_rng(0).integers(0, 257, arr.shape, dtype=np.uint16)  # real 16 bit
    with open(png16, "wb") as fh:
        png.Writer(w, h, greyscale=False, bitdepth=16).write(fh, arr.reshape(h, -1))
    megapixels = jpeg_size[0] * jpeg_size[1] / 1e6
    return {f"{megapixels:.3g}-MP JPEG (EXIF-rotated)": jpeg, f"16-bit PNG {w}×{h}": png16,
            f"Kodak {source.name}": source}


def measure_open(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    preloaded = "torch" in sys.modules
    from inr_studio.ui.main_window import MainWindow

    figures = _bench.stall_figures
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(devices=["cpu"])
    window.show()
    app.processEvents()
    # The engine (torch) loads in a thread; how much does that stall the window meanwhile?
    engine_probe, engine_ticks = _bench.stall_probe(args.probe_ms)
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

    folder = _bench.scratch_folder("inr-open-")
    t0 = time.perf_counter()
    files = make_open_files(folder, Path(args.image), args.jpeg_size, args.png_size)
    made_s = time.perf_counter() - t0

    def now_ms() -> float:
        return time.perf_counter() * 1e3

    marks: dict[str, float | None] = {}

    class Painted(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802
            if (event.type() == QEvent.Type.Paint and marks.get("image_ms") is not None
                    and marks.get("paint_ms") is None):
                marks["paint_ms"] = now_ms()
            return False

    painted = Painted()
    for view in window.compare.findChildren(QObject):
        if hasattr(view, "viewport"):
            view.viewport().installEventFilter(painted)
    window.loader.imageReady.connect(lambda _s: marks.__setitem__("image_ms", now_ms()))
    window.loader.mapsReady.connect(lambda _s: marks.__setitem__("maps_ms", now_ms()))
    probe, ticks = _bench.stall_probe(args.probe_ms)
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
        start = now_ms()
        window.open_image(str(path))  # what a drop does
        deadline = time.perf_counter() + 120
        while (window.loader.busy or marks.get("paint_ms") is None) and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.0005)
        end = now_ms()
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=None, help=_bench.IMAGE_HELP)
    ap.add_argument("--jpeg-size", type=_bench.parse_size, default=(4000, 6000),
                    help="HxW of the large JPEG (stored rotated; default 4000x6000)")
    ap.add_argument("--png-size", type=_bench.parse_size, default=(3000, 4000),
                    help="HxW of the 16-bit PNG (default 3000x4000)")
    ap.add_argument("--probe-ms", type=int, default=5, help="probe timer interval")
    ap.add_argument("--baseline", type=float, default=3.0,
                    help="seconds of probing the idle window first (the machine's own noise)")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    ap.add_argument("--show", action="store_true", help="use the real display, not offscreen")
    args = ap.parse_args(argv)
    args.image = _bench.image_or_default(args.image)
    args.jpeg_size, args.png_size = args.jpeg_size[::-1], args.png_size[::-1]  # PIL: W×H
    _bench.offscreen_window_env(args.show)
    return measure_open(args)


if __name__ == "__main__":
    raise SystemExit(main())
