"""The paper's Table 1 from per-run results: per model, the average PSNR (mean of the
per-image PSNRs), highest, lowest, mean SSIM, seconds per run, edge PSNR; as markdown or aligned text,
reusable on any CSV ``bench`` wrote (``bench --from-csv``)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import OptionError
from ..metrics import mean_psnr
from ..models import registry

CSV_FIELDS = ("image", "model", "psnr", "ssim", "seconds", "iters", "params", "device",
              "edge_psnr", "preset", "error", "returned", "best_step", "last_psnr", "schedule")
EDGE_FIELD = "edge_psnr"
#: What a CSV must have to be read: CSVs written before the later columns read them as unknown
#: (nan, -1, "").
REQUIRED_FIELDS = CSV_FIELDS[:8]


@dataclass(frozen=True)
class RunResult:
    image: str
    model: str
    psnr: float
    ssim: float
    seconds: float
    iters: int
    params: int
    device: str
    edge_psnr: float = float("nan")  # PSNR of the Sobel magnitude (metrics.edge_psnr)
    preset: str = ""  # the training preset (inr_studio.engine.presets) the run used
    error: str = ""  # why the run failed (a bad image, out of memory, a lost worker); no figures
    #: Which weights ``psnr`` is of: "best" (the run's best step, ``best_step``) or "last"
    #: (the paper's protocol); ``last_psnr``: the last step's weights either way.
    returned: str = ""
    best_step: int = -1
    last_psnr: float = float("nan")
    schedule: str = ""


@dataclass(frozen=True)
class ModelSummary:
    model: str
    images: int
    mean_psnr: float
    highest: float
    lowest: float
    mean_ssim: float
    mean_seconds: float
    params: str
    device: str
    mean_edge_psnr: float = float("nan")


def summarise(results: list[RunResult], models: list[str] | None = None) -> list[ModelSummary]:
    """Per model, in ``models`` order (default: first appearance): the paper's Table 1 row.
    Failed runs (``error``) have no figures and are left out."""
    results = [r for r in results if not r.error]
    order = models or list(dict.fromkeys(r.model for r in results))
    out = []
    for m in order:
        rows = [r for r in results if r.model == m]
        if not rows:
            continue
        ps = [r.psnr for r in rows]
        params = sorted({r.params for r in rows})
        devices = sorted({r.device for r in rows})
        out.append(ModelSummary(
            model=m, images=len(rows), mean_psnr=mean_psnr(ps), highest=float(np.max(ps)),
            lowest=float(np.min(ps)), mean_ssim=float(np.nanmean([r.ssim for r in rows]))
            if any(np.isfinite(r.ssim) for r in rows) else float("nan"),
            mean_seconds=float(np.mean([r.seconds for r in rows])),
            params=", ".join(f"{p:,}" for p in params), device=", ".join(devices),
            mean_edge_psnr=float(np.nanmean([r.edge_psnr for r in rows]))
            if any(np.isfinite(r.edge_psnr) for r in rows) else float("nan")))
    return out


def format_table(summary: list[ModelSummary], markdown: bool = True, settings: str = "",
                 protocol: str = "") -> str:
    """The table as markdown (for docs/results.md) or aligned plain text, with its footnote
    (``settings``, if given, says how the runs were made: steps, lr, size...) and, above it,
    the training ``protocol`` (the preset the runs used)."""
    head = ["model", "average PSNR (dB)", "highest", "lowest", "mean SSIM", "s / run",
            "parameters", "images", "device", "edge PSNR"]
    body = [[registry.label(s.model), f"{s.mean_psnr:.2f}", f"{s.highest:.2f}",
             f"{s.lowest:.2f}", _fmt(s.mean_ssim, 4), _fmt(s.mean_seconds, 1), s.params,
             str(s.images), s.device, _fmt(s.mean_edge_psnr, 2)] for s in summary]
    note = ("average PSNR = mean of the per-image PSNRs (10·log10(1/MSE) on [0, 1]); "
            "edge PSNR = mean PSNR of the Sobel gradient magnitude, the target's largest "
            "magnitude as the peak, border pixels left out; "
            "s / run = mean training seconds per image." + (f" {settings}" if settings else ""))
    top = f"Training: {protocol}.\n\n" if protocol else ""
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return top + "\n".join(lines) + f"\n\n{note}\n"
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    fmt = lambda row: "  ".join(c.rjust(w) if 0 < i < 7 or i == 9 else c.ljust(w)  # noqa: E731
                                for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    lines = [fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in body]
    return top + "\n".join(lines) + f"\n{note}\n"


def protocol_of(results: list[RunResult]) -> str:
    """What a CSV's runs say of their protocol (schedule, which weights), for its table's
    footnote; empty for a CSV written before bench recorded it."""
    pairs = sorted({(r.schedule, r.returned) for r in results if r.returned})
    if not pairs:
        return ""
    said = "; ".join(f"schedule {s or 'unknown'}, the {w} step's weights" for s, w in pairs)
    return f"Protocol (from the CSV): {said}."


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}" if np.isfinite(value) else "n/a"


def results_to_csv(results: list[RunResult]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in results:
        writer.writerow([r.image, r.model, f"{r.psnr:.4f}", f"{r.ssim:.6f}", f"{r.seconds:.3f}",
                         r.iters, r.params, r.device, f"{r.edge_psnr:.4f}", r.preset, r.error,
                         r.returned, r.best_step, f"{r.last_psnr:.4f}", r.schedule])
    return buf.getvalue()


def read_results_csv(path: str | Path) -> list[RunResult]:
    """Rows of a CSV written by ``bench``; an :class:`OptionError` if it is not one."""
    p = Path(path)
    if not p.is_file():
        raise OptionError(f"{p}: no such CSV file.")
    try:
        with open(p, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or not set(REQUIRED_FIELDS) <= set(reader.fieldnames):
                raise OptionError(f"{p.name} is not a bench CSV (columns "
                                  f"{', '.join(REQUIRED_FIELDS)}).")
            return [RunResult(image=r["image"], model=r["model"], psnr=float(r["psnr"]),
                              ssim=float(r["ssim"]), seconds=float(r["seconds"]),
                              iters=int(r["iters"]), params=int(r["params"]), device=r["device"],
                              edge_psnr=float(r.get(EDGE_FIELD) or "nan"),
                              preset=r.get("preset") or "", error=r.get("error") or "",
                              returned=r.get("returned") or "",
                              best_step=int(r.get("best_step") or -1),
                              last_psnr=float(r.get("last_psnr") or "nan"),
                              schedule=r.get("schedule") or "")
                    for r in reader]
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise OptionError(f"{p.name}: malformed bench CSV ({exc}).") from exc
