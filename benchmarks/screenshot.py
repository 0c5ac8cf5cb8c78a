"""Regenerate the README's pictures: the window mid-training on a real image, its maps tab,
and its rate–distortion tab before any training.

It opens scikit-image's astronaut (or ``--image``) at the window's default size (on a first
start: the screen's free area) or ``--size``, keeps the CPU defaults (256-px working size,
width 64, lr 1e-3, full batch), grabs the rate–distortion tab once JPEG, WebP and AVIF are
drawn (no model trained yet), starts the chosen models and grabs the window once every model
has passed ``--steps`` iterations and the newest preview has arrived, while training is still
running; then the segmentation and expert-map tab. It prints the size of each Compare panel's
image in screen pixels. ``--xvfb`` runs it on a private X server (Xvfb, 1600×1000, Qt's xcb
platform) as on a real display. Not a measurement: it makes the README's pictures (no
yardstick).

    python3 benchmarks/screenshot.py --xvfb      # docs/screenshot.png, _maps.png and _rd.png
    python3 benchmarks/screenshot.py --steps 300 --out /tmp/shot.png
    python3 benchmarks/screenshot.py --models siren,ftc,qt,hs,pe-siren,eoren --mode edges \
        --out /tmp/edges.png
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _bench import REPO  # noqa: E402

#: The README's comparison: the paper's four and the SIREN as large as LoE FtC.
DEFAULT_MODELS = "siren,ftc,qt,hs,siren-matched"


def on_xvfb(argv: list[str]) -> int:
    """Run this script again under a private Xvfb (1600×1000), on Qt's xcb platform."""
    helpers = _bench.xvfb_helpers()
    if helpers.XVFB is None:
        _bench.fail(helpers.WHY_NOT)
    args = [a for a in argv if a != "--xvfb"] + ["--show"]
    with helpers.xvfb("1600x1000x24") as display:
        env = helpers.xcb_env(display, PYTHONPATH=str(REPO) + os.pathsep
                              + os.environ.get("PYTHONPATH", ""))
        return subprocess.run([sys.executable, __file__, *args], env=env).returncode


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default=None, help="image file (default: the astronaut sample)")
    ap.add_argument("--steps", type=int, default=150, help="iterations before the grab")
    ap.add_argument("--size", default=None,
                    help="window size WxH (default: the window's own, the screen's free area)")
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshot.png"))
    ap.add_argument("--maps-out", default=None,
                    help="grab of the maps tab (default: <out stem>_maps.png)")
    ap.add_argument("--rd-out", default=None,
                    help="grab of the rate–distortion tab before training (default: "
                         "<out stem>_rd.png)")
    ap.add_argument("--models", default=DEFAULT_MODELS,
                    help=f"comma-separated registry keys (default: {DEFAULT_MODELS})")
    ap.add_argument("--mode", choices=("recon", "error", "edges"), default="recon",
                    help="what the compare panels show")
    ap.add_argument("--axis", choices=("iterations", "seconds", "operations"),
                    default="operations", help="what the curves are drawn against")
    ap.add_argument("--xvfb", action="store_true", help="on a private X server (Xvfb)")
    ap.add_argument("--show", action="store_true", help="use the display, not offscreen")
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args(argv)
    if args.xvfb:
        return on_xvfb(argv)
    _bench.offscreen_window_env(args.show)

    from inr_studio.models import registry

    size = tuple(int(v) for v in args.size.lower().split("x")) if args.size else None
    app, window = _bench.open_window(args.image, size)
    window._device_defaults()
    window.panel.picker.set_models(registry.parse_models(args.models))
    window._panel_changed()
    window.wait_loaded()
    window.compare.set_mode(args.mode)
    window.axis_choice.setCurrentIndex(window.axis_choice.findData(args.axis))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rd_out = Path(args.rd_out) if args.rd_out else out.with_name(out.stem + "_rd.png")
    maps_out = Path(args.maps_out) if args.maps_out else out.with_name(out.stem + "_maps.png")

    t0 = time.perf_counter()
    while window.rd_view.anchors_running:  # the codecs' curves, before any training
        app.processEvents()
        time.sleep(0.01)
    window.tabs.setCurrentWidget(window.rd_view)
    _settle(app)
    window.grab().save(str(rd_out))
    window.tabs.setCurrentIndex(0)
    frames = []
    window.controller.previewed.connect(frames.append)
    window.start_training()

    def ready() -> bool:
        return bool(frames) and min(frames[-1].steps.values()) >= args.steps

    while not ready():
        app.processEvents()
        time.sleep(0.01)
        if time.perf_counter() - t0 > args.timeout or window.controller.state == "idle":
            print(f"gave up after {time.perf_counter() - t0:.0f} s: {window.messages.text()}")
            window.shutdown()
            return 1
    _settle(app)
    assert window.controller.state == "running"  # mid-training, as promised
    window.grab().save(str(out))
    panels = window.compare.panel_sizes()
    window.tabs.setCurrentIndex(1)
    _settle(app)
    window.grab().save(str(maps_out))
    steps = frames[-1].steps
    psnr = {k: round(v, 2) for k, v in frames[-1].psnr.items()}
    notes = {k: sum(1 for n in window.maps_view.notes(k) if n) for k in window.maps_view.panels}
    window.shutdown()
    window.close()
    print(f"{app.platformName()}, window {window.width()}×{window.height()}: panels "
          + ", ".join(f"{k} {w}×{h}" for k, (w, h) in panels.items()))
    print(f"maps not drawn (cells too small): {notes}")
    print(f"wrote {out}, {maps_out} and {rd_out} at steps {steps} (PSNR {psnr}) after "
          f"{time.perf_counter() - t0:.0f} s")
    return 0


def _settle(app) -> None:
    for _ in range(10):
        app.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
