"""Run one small training case and print its measured peak memory beside the guard's estimate.

Used by ``tests/engine/test_memory_guard.py`` in a fresh subprocess per case: the peak RSS (Linux
``VmHWM``, reset through ``/proc/self/clear_refs`` after a warm-up run) minus the RSS then.
"""

from __future__ import annotations

import json
import sys


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def main(keys: str, height: int, width: int, model_width: int, batch: int) -> None:
    from inr_studio.engine.config import TrainConfig
    from inr_studio.engine.fit import fit_side_by_side
    from inr_studio.engine.memory import estimate
    from inr_studio.models import registry

    from images import astronaut
    from specs import specs_for

    models = registry.parse_models(keys)
    fit_side_by_side(astronaut(16, 16), specs_for(models, 16, 16, model_width, depth=3),
                     TrainConfig(iters=2, lr=1e-3, device="cpu"),
                     cpu_threads=1)  # warm-up: torch's pools and lazily loaded code
    pixels = astronaut(height, width)
    specs = specs_for(models, height, width, model_width, depth=3)
    config = TrainConfig(iters=2, lr=1e-3, batch_pixels=batch or None, device="cpu")
    import gc

    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")  # reset the peak RSS to the RSS now
    base = _status("VmRSS")
    fit_side_by_side(pixels, specs, config, cpu_threads=1)
    peak = _status("VmHWM") - base
    est = estimate(specs, height, width, batch or None, 3, "cpu")
    print(json.dumps({"peak": peak, "estimate": est.peak, "run": est.run, "step": est.step,
                      "frame": est.frame}))


if __name__ == "__main__":
    k, h, w, mw, b = sys.argv[1:6]
    main(k, int(h), int(w), int(mw), int(b))
