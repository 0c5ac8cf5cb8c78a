"""Files a run can be saved as: reconstruction and error-map PNGs, the run as CSV or JSON.

Qt-free (numpy, Pillow and the core only), so the formats are tested without a window; the
colour table of the error maps is passed in by the Qt side (:func:`inr_studio.ui.palette.inferno`).
Every write is atomic (a crash or a full disk never leaves half a file under the user's name).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_bytes
from ..imaging import save_png
from ..metrics import error_magnitude, shared_error_scale
from ..models import registry
from .run_record import RunRecord


def error_rgb(error: np.ndarray, scale: float, lut: np.ndarray) -> np.ndarray:
    """H×W mean |error| → H×W×3 float image in [0, 1] with the shared scale of the window,
    coloured by ``lut`` (256 rows of uint8 RGB or RGBA)."""
    idx = np.clip(error / max(scale, 1e-12) * 255.0, 0, 255).astype(np.uint8)
    return np.asarray(lut)[idx, :3].astype(np.float32) / 255.0


def save_model_pngs(folder: Path, stem: str, kind: str, recon01: np.ndarray,
                    reference01: np.ndarray, lut: np.ndarray,
                    scale: float | None = None) -> list[Path]:
    """``<stem>_<kind>_reconstruction.png`` and ``<stem>_<kind>_error.png``; returns the paths."""
    error = error_magnitude(recon01, reference01)
    if scale is None:
        scale = shared_error_scale(error)
    rec_path = Path(folder) / f"{stem}_{kind}_reconstruction.png"
    err_path = Path(folder) / f"{stem}_{kind}_error.png"
    save_png(rec_path, recon01)
    save_png(err_path, error_rgb(error, scale, lut))
    return [rec_path, err_path]


def _finite(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def run_to_json(record: RunRecord, image: str) -> str:
    data = {
        "image": image,
        "working_size": {"height": record.height, "width": record.width},
        "device": record.device,
        "settings": record.settings.to_dict(),
        "psnr_note": ("curve: PSNR (whole image in full-batch mode, else the step's pixels) of "
                      "the model after `step` updates, [0,1] values; final: whole image, of "
                      "the network the run returns (best_step's weights when the run keeps its "
                      "best; last_step_psnr_db: the last step's weights)"),
        "models": {
            kind: {
                "name": registry.titled(kind),
                "final": {k: (_finite(v) if isinstance(v, float) else v)
                          for k, v in record.final.get(kind, {}).items()},
                "curve": {"step": [int(s) for s in record.steps[kind]],
                          "psnr_db": [_finite(p) for p in record.psnr[kind]],
                          "seconds": [_finite(t) for t in record.seconds[kind]]},
            }
            for kind in record.models
        },
    }
    return json.dumps(data, indent=1)


def run_to_csv(record: RunRecord) -> str:
    """One row per (model, step): the PSNR curve, in long format for any spreadsheet."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["model", "step", "psnr_db"])
    for kind in record.models:
        for s, p in zip(record.steps[kind], record.psnr[kind]):
            writer.writerow([kind, int(s), f"{p:.4f}"])
    return buf.getvalue()


def save_run(path: Path, record: RunRecord, image: str) -> Path:
    """CSV or JSON, chosen by the suffix (anything else is JSON with ``.json`` appended)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        atomic_write_bytes(path, run_to_csv(record).encode())
        return path
    if path.suffix.lower() != ".json":
        path = path.with_name(path.name + ".json")
    atomic_write_bytes(path, run_to_json(record, image).encode())
    return path
