"""Rows of a ladder measurement (INR rungs and JPEG/WebP/AVIF points, per image), their means,
BD-rates against JPEG and WebP, the markdown table and the plot.

Averaging convention: for each (model, setting) — or (codec, quality) — the mean over images
of the per-image bpp and the mean of the per-image PSNR; a curve is those means, one point per
setting. BD-rate: :mod:`.bdrate` (PCHIP of log-bpp against PSNR over the common range).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bdrate import MIN_POINTS, bd_rate, overlap
from .csv_rows import rows_from_csv, rows_to_csv
from .rdplot import PALETTE, Series, draw

ANCHOR_FAMILIES = ("jpeg", "webp", "avif")


@dataclass(frozen=True)
class Row:
    image: str
    model: str  # "siren:3x64", or the codec's name for anchor rows
    family: str  # plain, qat, sinr, sinr-ft, alloc; jpeg, webp, avif
    setting: str  # rung name, or "q50"
    bits: int
    sparsity: int
    file_bytes: int
    bpp: float
    psnr: float
    psnr_float: float  # the trained network's own PSNR (NaN for anchors)
    tensor_bits: str  # "8 7 6 …" for bit allocation
    seconds: float  # training seconds of the network (fit only), or 0
    error: str = ""  # why this network's fit failed (its one row, family "error"); no figures


def to_csv(rows: list[Row]) -> bytes:
    return rows_to_csv(Row, rows)


def from_csv(data: bytes) -> list[Row]:
    return rows_from_csv(Row, data, "a ladder measurement")


@dataclass(frozen=True)
class Mean:
    model: str
    family: str
    setting: str
    images: int
    bpp: float
    psnr: float
    psnr_float: float


def means(rows: list[Row], complete_only: bool = True) -> list[Mean]:
    """Per (model, family, setting): means over images. ``complete_only``: only the images
    that have every INR model (a run stopped mid-image does not skew one model's mean), and
    only settings measured on every one of them (a mean over a subset is not on the curve)."""
    images = list(dict.fromkeys(r.image for r in rows))
    if complete_only:
        models = {r.model for r in rows if r.family not in ANCHOR_FAMILIES}
        done = {i for i in images if models <= {r.model for r in rows if r.image == i}}
        rows = [r for r in rows if r.image in done]
    keys = list(dict.fromkeys((r.model, r.family, r.setting) for r in rows))
    n_images = len({r.image for r in rows})
    out = []
    for k in keys:
        rs = [r for r in rows if (r.model, r.family, r.setting) == k]
        if complete_only and len(rs) < n_images:
            continue  # e.g. a bit-allocation target some images' path never reached
        out.append(Mean(*k, len(rs), float(np.mean([r.bpp for r in rs])),
                        float(np.mean([r.psnr for r in rs])),
                        float(np.mean([r.psnr_float for r in rs]))))
    return out


def curve(ms: list[Mean], model: str, family: str) -> list[tuple[float, float]]:
    return [(m.bpp, m.psnr) for m in ms if m.model == model and m.family == family]


def best_front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (bpp, PSNR) points no other point beats (fewer or equal bits and a higher PSNR):
    the best setting of a model at each rate, whatever its family."""
    out: list[tuple[float, float]] = []
    for bpp, psnr in sorted(points, key=lambda p: (p[0], -p[1])):
        if not out or psnr > out[-1][1]:
            out.append((bpp, psnr))
    return out


def bd_table(ms: list[Mean]) -> list[tuple]:
    """(model, family, points, BD-rate vs JPEG, vs WebP, PSNR range vs JPEG, BD-rate vs the
    same model's plain quantisation, PSNR range vs plain) per INR curve, and per model its
    ``best`` curve (:func:`best_front` over every setting)."""
    jpeg = [(m.bpp, m.psnr) for m in ms if m.family == "jpeg"]
    webp = [(m.bpp, m.psnr) for m in ms if m.family == "webp"]
    out = []
    for model in dict.fromkeys(m.model for m in ms if m.family not in ANCHOR_FAMILIES):
        plain = curve(ms, model, "plain")
        families = {f: curve(ms, model, f) for f in dict.fromkeys(
            m.family for m in ms if m.model == model)}
        families["best"] = best_front([(m.bpp, m.psnr) for m in ms if m.model == model])
        for family, pts in families.items():
            out.append((model, family, len(pts), bd_rate(jpeg, pts), bd_rate(webp, pts),
                        overlap(jpeg, pts), bd_rate(plain, pts), overlap(plain, pts)))
    return out


def markdown(ms: list[Mean], anchors: bool = True) -> str:
    """The means table (``anchors=False``: the INR rows only) and the BD-rate table."""
    lines = ["| model | setting | images | bpp | PSNR (dB) | float PSNR |", "|---|---|---|---|---|---|"]
    for m in ms:
        if not anchors and m.family in ANCHOR_FAMILIES:
            continue
        pf = "—" if not np.isfinite(m.psnr_float) else f"{m.psnr_float:.2f}"
        lines.append(f"| {m.model} | {m.setting} | {m.images} | {m.bpp:.3f} | {m.psnr:.2f} | {pf} |")
    lines += ["", "| model | curve | points | BD-rate vs JPEG | BD-rate vs WebP | PSNR range "
              "(vs JPEG) | BD-rate vs plain | PSNR range (vs plain) |",
              "|---|---|---|---|---|---|---|---|"]
    for model, family, n, bj, bw, (lo, hi), bp, (plo, phi) in bd_table(ms):
        rng = f"{lo:.1f}–{hi:.1f} dB" if hi > lo else "no overlap"
        prng = f"{plo:.1f}–{phi:.1f} dB" if phi > plo else "no overlap"
        lines.append(f"| {model} | {family} | {n} | {_pct(bj)} | {_pct(bw)} | {rng} | "
                     f"{_pct(bp)} | {prng} |")
    lines.append(f"\nBD-rate: PCHIP of log(bpp) against PSNR, mean difference over the PSNR range "
                 f"both curves cover, ≥ {MIN_POINTS} points per curve (points off the monotone "
                 "curve dropped); negative = fewer bits than the anchor at equal PSNR.")
    return "\n".join(lines)


def _pct(v: float) -> str:
    return "n/a" if not np.isfinite(v) else f"{100 * v:+.1f} %"


FAMILY_COLOURS = {"plain": "#1f77b4", "qat": "#d62728", "sinr": "#2ca02c", "sinr-ft": "#9467bd",
                  "alloc": "#ff7f0e", "qat-alloc": "#8c564b", "latent": "#17becf"}
MODEL_MARKERS = ("o", "^", "x", "s")


def plot(ms: list[Mean], title: str):
    """Colour per setting family, marker per model; the anchors as grey-scale squares."""
    series = []
    models = list(dict.fromkeys(m.model for m in ms if m.family not in ANCHOR_FAMILIES))
    for i, model in enumerate(models):
        for j, family in enumerate(dict.fromkeys(m.family for m in ms if m.model == model)):
            series.append(Series(f"{model} {family}", tuple(curve(ms, model, family)),
                                 FAMILY_COLOURS.get(family, PALETTE[j % len(PALETTE)]), True,
                                 MODEL_MARKERS[i % len(MODEL_MARKERS)]))
    names = {"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF"}
    for fam, color in zip(ANCHOR_FAMILIES, ("#000000", "#7f7f7f", "#bcbd22")):
        pts = tuple((m.bpp, m.psnr) for m in ms if m.family == fam)
        if pts:
            series.append(Series(f"{names[fam]} (Pillow)", pts, color, True, "s"))
    return draw(series, title)
