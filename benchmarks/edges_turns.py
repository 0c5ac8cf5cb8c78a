"""GUI-thread time per event-loop turn when a preview of six 768×512 models arrives in the
Compare view's Edges mode (a Sobel magnitude per model, ~25 ms each on one core).

The view computes one model's edges per turn (more while ``EDGE_BUDGET_S`` lasts) and lets the
event loop run between them. The yardstick is the same view computing them all at once, in one
turn: both are printed.

    python3 benchmarks/edges_turns.py --previews 5 --size 512x768
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def measure(budget: float, previews: int, size: tuple[int, int]) -> tuple[float, float]:
    """(longest turn, GUI time per preview), in milliseconds."""
    from PySide6.QtWidgets import QApplication

    from inr_studio.engine.messages import PreviewFrame
    from inr_studio.models import registry
    from inr_studio.models.config import make_model_config
    from inr_studio.models.registry import ModelEntry
    from inr_studio.ui import compare_view

    app = QApplication.instance() or QApplication(sys.argv[:1])
    extra = [k for k in ("bench-a", "bench-b") if k not in registry.REGISTRY]
    for key in extra:  # six panels whatever this build's registry holds
        registry.register(ModelEntry(key, key, "#777777", "", "", lambda o: make_model_config(
            "siren", width=o.width, depth=o.depth)))
    models = tuple(registry.REGISTRY)[:6]
    rng = np.random.default_rng(0)
    h, w = size
    compare_view.EDGE_BUDGET_S = budget
    view = compare_view.CompareView()
    view.resize(1200, 500)
    view.show()
    view.set_models(models)
    view.set_original(rng.random((h, w, 3)).astype(np.float32))
    view.set_mode("edges")
    app.processEvents()
    turns = []
    for _ in range(previews):
        recon = {k: (rng.random((h, w, 3)) * 255).astype(np.uint8) for k in models}
        frame = PreviewFrame(1, {k: 1 for k in models}, recon,
                             {k: np.zeros((h, w), np.float32) for k in models},
                             {k: 20.0 for k in models}, {k: 0.5 for k in models}, 0.2)
        t = time.perf_counter()
        view.show_frame(frame)
        turns.append(time.perf_counter() - t)
        while len(view._edges) < len(models):
            t = time.perf_counter()
            app.processEvents()
            turns.append(time.perf_counter() - t)
    view.close()
    for key in extra:
        registry.REGISTRY.pop(key, None)
    return max(turns) * 1000, sum(turns) * 1000 / previews


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--previews", type=int, default=5)
    ap.add_argument("--size", type=_bench.parse_size, default=(512, 768), help="preview size HxW")
    args = ap.parse_args(argv)
    _bench.offscreen_window_env()
    size = args.size
    from inr_studio.ui import compare_view

    for name, budget in (("one model per turn", compare_view.EDGE_BUDGET_S),
                         ("all at once", 1e9)):
        longest, total = measure(budget, args.previews, size)
        print(f"{name:>18}: longest turn {longest:5.0f} ms, GUI time per preview {total:5.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
