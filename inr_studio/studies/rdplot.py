"""The rate–distortion plot, drawn with Pillow (matplotlib is not a dependency of the project).

x: bits per pixel on a log scale (INR files span 0.1 to tens of bpp), y: PSNR in dB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf"]


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[tuple[float, float], ...]  # (bpp, PSNR)
    color: str
    line: bool = True  # join the points (sorted by bpp)
    marker: str = "o"  # "o" circle, "s" square, "^" triangle, "x"


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def draw(series: list[Series], title: str, size: tuple[int, int] = (1100, 720)) -> Image.Image:
    w, h = size
    left, right, top, bottom = 70, 300, 50, 60
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    pts = [p for s in series for p in s.points if p[0] > 0 and math.isfinite(p[1])]
    if not pts:
        d.text((left, top), "no data", fill="black", font=_font(16))
        return img
    xs = [math.log10(p[0]) for p in pts]
    ys = [p[1] for p in pts]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs))
    x1 = x1 if x1 > x0 else x0 + 1
    y0, y1 = 5 * math.floor(min(ys) / 5), 5 * math.ceil(max(ys) / 5)
    y1 = y1 if y1 > y0 else y0 + 5

    def px(b: float, p: float) -> tuple[float, float]:
        fx = (math.log10(b) - x0) / (x1 - x0)
        fy = (p - y0) / (y1 - y0)
        return left + fx * (w - left - right), top + (1 - fy) * (h - top - bottom)

    f12, f14 = _font(12), _font(15)
    d.rectangle([left, top, w - right, h - bottom], outline="black")
    for e in range(x0, x1 + 1):
        for m in (1, 2, 5):
            b = m * 10.0**e
            if not (10.0**x0 <= b <= 10.0**x1):
                continue
            x, _ = px(b, y0)
            d.line([x, top, x, h - bottom], fill="#dddddd" if m != 1 else "#bbbbbb")
            d.text((x - 10, h - bottom + 6), f"{b:g}", fill="black", font=f12)
    step = 5 if y1 - y0 <= 40 else 10
    for p in range(int(y0), int(y1) + 1, step):
        _, y = px(10.0**x0, p)
        d.line([left, y, w - right, y], fill="#dddddd")
        d.text((left - 30, y - 7), f"{p}", fill="black", font=f12)
    d.text(((left + w - right) / 2 - 80, h - 28), "bits per pixel (log scale)", fill="black", font=f14)
    d.text((10, top - 30), "PSNR (dB)", fill="black", font=f14)
    d.text((left + 110, 12), title, fill="black", font=f14)
    for s in series:
        p = sorted((q for q in s.points if q[0] > 0 and math.isfinite(q[1])), key=lambda q: q[0])
        xy = [px(*q) for q in p]
        if s.line and len(xy) > 1:
            d.line(xy, fill=s.color, width=2)
        for x, y in xy:
            _marker(d, x, y, s.marker, s.color)
    ly = top
    for s in series:
        d.line([w - right + 15, ly + 7, w - right + 40, ly + 7], fill=s.color, width=2 if s.line else 0)
        _marker(d, w - right + 27, ly + 7, s.marker, s.color)
        d.text((w - right + 48, ly), s.label, fill="black", font=f12)
        ly += 20
    return img


def _marker(d: ImageDraw.ImageDraw, x: float, y: float, kind: str, color: str) -> None:
    r = 4
    if kind == "s":
        d.rectangle([x - r, y - r, x + r, y + r], fill=color)
    elif kind == "^":
        d.polygon([(x, y - r - 1), (x - r, y + r), (x + r, y + r)], fill=color)
    elif kind == "x":
        d.line([x - r, y - r, x + r, y + r], fill=color, width=2)
        d.line([x - r, y + r, x + r, y - r], fill=color, width=2)
    else:
        d.ellipse([x - r, y - r, x + r, y + r], fill=color)


def rd_series(summ, curves: dict[str, list[tuple[float, float]]]) -> list[Series]:
    """Plain curve and SINR points per model (from :func:`.rd.summary`), JPEG and WebP curves."""
    out = []
    models = list(dict.fromkeys(s.model for s in summ))
    for i, m in enumerate(models):
        color = PALETTE[i % len(PALETTE)]
        plain = tuple((s.bpp, s.psnr_coded) for s in summ if s.model == m and s.setting.startswith("plain"))
        sinr = tuple((s.bpp, s.psnr_coded) for s in summ if s.model == m and s.setting.startswith("sinr"))
        out.append(Series(f"{m} plain", plain, color, True, "o"))
        out.append(Series(f"{m} SINR", sinr, color, False, "^"))
    out.append(Series("JPEG (Pillow)", tuple(curves.get("JPEG", ())), "#000000", True, "s"))
    out.append(Series("WebP (Pillow)", tuple(curves.get("WEBP", ())), "#7f7f7f", True, "s"))
    return out
