"""Regenerate docs/screenshot.png: the window mid-training on a real image (offscreen grab).

It opens scikit-image's astronaut (or ``--image``), keeps the CPU defaults (256-px working
size, width 64, lr 1e-3, full batch), starts the four models and grabs the window once every
model has passed ``--steps`` iterations and the newest preview has arrived, while training is
still running. A second grab shows the segmentation and expert-map tab. Not a measurement: it
makes the README's picture (no yardstick).

    python3 benchmarks/screenshot.py                 # docs/screenshot.png, docs/screenshot_maps.png
    python3 benchmarks/screenshot.py --steps 300 --out /tmp/shot.png
    python3 benchmarks/screenshot.py --models siren,ftc,qt,hs,pe-siren,eoren --mode edges \
        --out /tmp/edges.png
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _bench import REPO  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=None, help="image file (default: the astronaut sample)")
    ap.add_argument("--steps", type=int, default=150, help="iterations before the grab")
    ap.add_argument("--size", default="1500x900", help="window size WxH")
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshot.png"))
    ap.add_argument("--maps-out", default=None,
                    help="grab of the maps tab (default: <out stem>_maps.png)")
    ap.add_argument("--models", default=None,
                    help="comma-separated registry keys (default: the paper's four)")
    ap.add_argument("--mode", choices=("recon", "error", "edges"), default="recon",
                    help="what the compare panels show")
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args(argv)
    _bench.offscreen_window_env()

    from inr_studio.models import registry

    w, h = (int(v) for v in args.size.lower().split("x"))
    app, window = _bench.open_window(args.image, (w, h))
    window._device_defaults()
    if args.models:
        window.panel.picker.set_models(registry.parse_models(args.models))
        window._panel_changed()
    window.compare.set_mode(args.mode)
    frames = []
    window.controller.previewed.connect(frames.append)
    window.start_training()
    t0 = time.perf_counter()

    def ready() -> bool:
        return bool(frames) and min(frames[-1].steps.values()) >= args.steps

    while not ready():
        app.processEvents()
        time.sleep(0.01)
        if time.perf_counter() - t0 > args.timeout or window.controller.state == "idle":
            print(f"gave up after {time.perf_counter() - t0:.0f} s: {window.messages.text()}")
            window.shutdown()
            return 1
    for _ in range(5):
        app.processEvents()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    assert window.controller.state == "running"  # mid-training, as promised
    window.grab().save(str(out))
    window.tabs.setCurrentIndex(1)
    app.processEvents()
    maps_out = Path(args.maps_out) if args.maps_out else out.with_name(out.stem + "_maps.png")
    window.grab().save(str(maps_out))
    steps = frames[-1].steps
    psnr = {k: round(v, 2) for k, v in frames[-1].psnr.items()}
    window.shutdown()
    window.close()
    print(f"wrote {out} and {maps_out} at steps {steps} (PSNR {psnr}) after "
          f"{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
