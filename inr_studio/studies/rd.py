"""Rate–distortion, measured: what a .sinr file costs and what it is worth.

For each image and network: fit once, then for each coding setting encode → decode → render
and record the file's bytes (every byte: bpp = 8·bytes/pixels), the PSNR before and after
coding, and JPEG and WebP (Pillow) at the same bpp (the highest quality whose file is not
larger). The CSV keeps every run; :func:`summary` averages over images (mean of per-image
values, as every table here does) and :func:`plain_bpp_at` reads the plain-quantisation curve at a
given PSNR, the "equal PSNR" comparison SINR's claim is about.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from ..codec import CodecOptions, bpp, class_map_source, roundtrip
from ..engine.config import TrainConfig
from ..engine.fit import fit
from ..errors import OptionError
from ..metrics import psnr, to_uint8
from ..models import registry
from ..models.latent_config import DEFAULT_PRESET, LATENT_KIND as LATENT, PRESETS
from ..models.registry import ModelOptions
from ..problem import FitProblem
from ..render import TrainedNetwork
from ..tiling import auto_tile_scale
from .csv_rows import rows_from_csv, rows_to_csv

PLAIN_BITS = (16, 12, 10, 8, 6, 5, 4)
DEFAULT_MODELS = "siren:2x32,siren:3x64,siren:3x128,hs:3x256@100"
#: ``rd`` fits many small networks, each briefly, on a quarter of the image: its own length and
#: size. How they train (learning rate, warm-up, pixels per step) is the training preset's.
RD_ITERS = 300
RD_SCALE = 0.25


@dataclass(frozen=True)
class RdModel:
    """``KIND:DEPTHxWIDTH`` or ``KIND:DEPTHxWIDTH@ITERS`` (its own number of steps); the
    latent-grid model is ``latent[:PRESET][@ITERS]`` (depth 0, width the preset's MACs)."""

    kind: str
    depth: int
    width: int
    iters: int | None = None

    @property
    def name(self) -> str:
        if self.kind == LATENT:
            return f"{LATENT}:{self.width}"
        return f"{self.kind}:{self.depth}x{self.width}"

    @staticmethod
    def parse(text: str) -> RdModel:
        lat = re.fullmatch(r"\s*latent(?::(\d+))?(?:@(\d+))?\s*", text)
        if lat:  # the latent-grid model: its complexity preset, not a depth and width
            preset = lat.group(1) or DEFAULT_PRESET
            if preset not in PRESETS or (lat.group(2) and int(lat.group(2)) < 1):
                raise OptionError(f"model {text!r} is not understood; write latent[:PRESET]"
                                  f"[@STEPS] with PRESET one of {', '.join(PRESETS)}.")
            return RdModel(LATENT, 0, int(preset), int(lat.group(2)) if lat.group(2) else None)
        m = re.fullmatch(r"\s*([\w-]+):(\d+)x(\d+)(?:@(\d+))?\s*", text)
        if not m or m.group(1) not in registry.REGISTRY or int(m.group(2)) < 1 or int(m.group(3)) < 1:
            raise OptionError(f"model {text!r} is not understood; write KIND:DEPTHxWIDTH[@STEPS], "
                              f"e.g. siren:3x64 or hs:3x256@100 (kinds: {', '.join(registry.REGISTRY)}), "
                              "or latent[:PRESET][@STEPS].")
        iters = int(m.group(4)) if m.group(4) else None
        if iters is not None and iters < 1:
            raise OptionError(f"model {text!r}: the steps after @ must be at least 1.")
        return RdModel(m.group(1), int(m.group(2)), int(m.group(3)), iters)


@dataclass(frozen=True)
class RdSetting:
    name: str
    options: CodecOptions


def default_settings(width: int, k2: int = 4096) -> list[RdSetting]:
    """Plain at 16..4 bits; SINR (16 bit) at s = k/8, k/4 and the paper's limit 2s < k; SINR
    k/4 at 8 bits; and the default options (target error). For width < 50 the vectors are
    whole flattened k×k matrices, so s scales with k² (clipped per tensor to 2s < length)."""
    out = [RdSetting(f"plain-{b}", CodecOptions(plain=True, bits=b)) for b in PLAIN_BITS]
    m = width if width >= 50 else width * width
    for s in sorted({max(1, m // 8), max(1, m // 4), max(1, (m - 1) // 2)}):
        out.append(RdSetting(f"sinr-s{s}", CodecOptions(sparsity=s, target_error=None, k2=k2)))
    out.append(RdSetting(f"sinr-s{max(1, m // 4)}-8bit",
                         CodecOptions(sparsity=max(1, m // 4), target_error=None, k2=k2, bits=8)))
    d = CodecOptions(k2=k2)
    out.append(RdSetting(f"sinr-target{d.target_error:g}", d))
    return out


@dataclass(frozen=True)
class RdRow:
    image: str
    height: int
    width: int
    model: str
    params: int
    iters: int
    train_s: float
    setting: str
    mode: str
    sparsity: int
    target_error: float
    k2: int
    bits: int
    sparse_tensors: int
    file_bytes: int
    bpp: float
    psnr_float: float
    psnr_coded: float
    psnr_loss: float
    encode_s: float
    decode_s: float
    jpeg_quality: int
    jpeg_bpp: float
    jpeg_psnr: float
    webp_quality: int
    webp_bpp: float
    webp_psnr: float


def _compress(pixels: np.ndarray, fmt: str, quality: int) -> tuple[bytes, np.ndarray]:
    arr = to_uint8(pixels)
    buf = io.BytesIO()
    kw = {"quality": quality}
    if fmt == "WEBP":
        kw["method"] = 6
    Image.fromarray(arr).save(buf, format=fmt, **kw)
    data = buf.getvalue()
    back = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32) / 255.0
    return data, back


def codec_point(pixels: np.ndarray, fmt: str, quality: int) -> tuple[float, float]:
    """(bpp, PSNR) of ``pixels`` saved by Pillow as JPEG or WEBP at ``quality``."""
    data, back = _compress(pixels, fmt, quality)
    h, w = pixels.shape[:2]
    return bpp(len(data), h, w), psnr(back, pixels)


def match_bpp(pixels: np.ndarray, fmt: str, target: float) -> tuple[int, float, float]:
    """(quality, bpp, PSNR) of the highest quality (1..100) whose file is at most ``target`` bpp;
    quality -1 and NaNs when even quality 1 is larger. Bisection: bpp rises with quality."""
    lo, hi = 1, 100
    b1, p1 = codec_point(pixels, fmt, lo)
    if b1 > target:
        return -1, float("nan"), float("nan")
    best = (lo, b1, p1)
    bh, ph = codec_point(pixels, fmt, hi)
    if bh <= target:
        return hi, bh, ph
    while hi - lo > 1:
        mid = (lo + hi) // 2
        bm, pm = codec_point(pixels, fmt, mid)
        if bm <= target:
            lo, best = mid, (mid, bm, pm)
        else:
            hi = mid
    return best


def fit_model(pixels: np.ndarray, model: RdModel, train: TrainConfig, tile_scale: str = "auto"):
    h, w = pixels.shape[:2]
    scale = auto_tile_scale(h, w) if tile_scale == "auto" else 1.0
    spec = registry.entry(model.kind).spec(ModelOptions(
        width=model.width, depth=model.depth, tile_scale=scale, image_size=(h, w)))
    problem = FitProblem.create(pixels, spec.config)
    t0 = time.perf_counter()
    trainer, last = fit(problem, train, spec.phases)
    network = TrainedNetwork(trainer.model.cpu(), problem.height, problem.width, problem.class_map)
    return network, class_map_source(problem.segmentation), last.psnr, time.perf_counter() - t0


def measure(image: str, pixels: np.ndarray, model: RdModel, settings: list[RdSetting],
            train: TrainConfig, log=None, tile_scale: str = "auto") -> list[RdRow]:
    """Fit ``model`` to ``pixels`` once and code it with every setting."""
    h, w = pixels.shape[:2]
    if model.iters is not None:
        train = replace(train, iters=model.iters)
    net, source, psnr_float, train_s = fit_model(pixels, model, train, tile_scale)
    if log:
        log(f"{image} {model.name}: fitted in {train_s:.1f} s, PSNR {psnr_float:.2f} dB")
    rows = []
    for st in settings:
        rt = roundtrip(net, pixels, st.options, class_map=source)
        data, report, coded, rate, dec_s = rt.data, rt.report, rt.psnr, rt.bpp, rt.decode_s
        jq, jb, jp = match_bpp(pixels, "JPEG", rate)
        wq, wb, wp = match_bpp(pixels, "WEBP", rate)
        o = st.options
        rows.append(RdRow(
            image=image, height=h, width=w, model=model.name, params=net.model.parameter_count(),
            iters=train.iters, train_s=train_s, setting=st.name,
            mode="plain" if o.plain else "sinr", sparsity=o.sparsity or 0,
            target_error=float(o.target_error) if (o.sparsity is None and not o.plain) else 0.0,
            k2=0 if o.plain else o.k2, bits=o.bits,
            sparse_tensors=report.sparse_tensors, file_bytes=len(data), bpp=rate,
            psnr_float=psnr_float, psnr_coded=coded, psnr_loss=psnr_float - coded,
            encode_s=report.seconds, decode_s=dec_s, jpeg_quality=jq, jpeg_bpp=jb, jpeg_psnr=jp,
            webp_quality=wq, webp_bpp=wb, webp_psnr=wp))
        if log:
            log(f"  {st.name:<18} {len(data):>9,} B {rate:8.3f} bpp  PSNR {coded:6.2f} dB "
                f"({coded - psnr_float:+.2f})  JPEG {jp:6.2f}  WebP {wp:6.2f}  "
                f"enc {report.seconds:.1f} s")
    return rows


def codec_curves(images: dict[str, np.ndarray],
                 qualities=(2, 5, 10, 20, 30, 50, 70, 85, 95, 100)) -> dict[str, list[tuple[float, float]]]:
    """Mean (bpp, PSNR) over the images of JPEG and WebP at fixed qualities (the plot's curves)."""
    out = {}
    for fmt in ("JPEG", "WEBP"):
        pts = [np.mean([codec_point(px, fmt, q) for px in images.values()], axis=0) for q in qualities]
        out[fmt] = [(float(b), float(p)) for b, p in pts]
    return out


# ---------------------------------------------------------------------- CSV and tables
def write_csv(rows: list[RdRow]) -> bytes:
    return rows_to_csv(RdRow, rows)


def read_csv(data: bytes) -> list[RdRow]:
    """Rows from a CSV that :func:`write_csv` wrote (to rebuild tables and plots)."""
    return rows_from_csv(RdRow, data, "one written by 'inr-studio rd'")


@dataclass(frozen=True)
class RdSummary:
    model: str
    setting: str
    images: int
    file_bytes: float
    bpp: float
    psnr_float: float
    psnr_coded: float
    jpeg_psnr: float
    webp_psnr: float
    sparse_tensors: float
    encode_s: float
    plain_bpp_equal: float  # plain quantisation's bpp at this PSNR (NaN: outside plain's range)


def _nanmean(values) -> float:
    arr = np.asarray(list(values), dtype=np.float64)
    return float(np.nanmean(arr)) if np.isfinite(arr).any() else float("nan")


def _strict_mean(values) -> float:
    """Mean, or NaN if any value is NaN (a codec that had no file small enough on one image
    must not be averaged over the others alone)."""
    return float(np.mean(np.asarray(list(values), dtype=np.float64)))


def summary(rows: list[RdRow]) -> list[RdSummary]:
    """Per (model, setting): means over images, and the plain curve read at the same PSNR."""
    keys = list(dict.fromkeys((r.model, r.setting) for r in rows))
    groups = {k: [r for r in rows if (r.model, r.setting) == k] for k in keys}
    means = {}
    for k, rs in groups.items():
        means[k] = dict(images=len(rs), file_bytes=_nanmean(r.file_bytes for r in rs),
                        bpp=_nanmean(r.bpp for r in rs), psnr_float=_nanmean(r.psnr_float for r in rs),
                        psnr_coded=_nanmean(r.psnr_coded for r in rs),
                        jpeg_psnr=_strict_mean(r.jpeg_psnr for r in rs),
                        webp_psnr=_strict_mean(r.webp_psnr for r in rs),
                        sparse_tensors=_nanmean(r.sparse_tensors for r in rs),
                        encode_s=_nanmean(r.encode_s for r in rs))
    out = []
    for (model, setting), m in means.items():
        plain = [(v["bpp"], v["psnr_coded"]) for (mm, s), v in means.items()
                 if mm == model and s.startswith("plain")]
        out.append(RdSummary(model, setting, plain_bpp_equal=plain_bpp_at(m["psnr_coded"], plain), **m))
    return out


def plain_bpp_at(target_psnr: float, plain: list[tuple[float, float]]) -> float:
    """bpp of the plain curve (points (bpp, PSNR)) at ``target_psnr``, linear between points;
    NaN if the PSNR is outside the curve's range. The curve is made monotone first (a point
    with more bits but lower PSNR than another is dropped)."""
    pts = sorted(plain)
    mono, best = [], -np.inf
    for b, p in pts:
        if p > best:
            mono.append((b, p))
            best = p
    if not mono or not (mono[0][1] <= target_psnr <= mono[-1][1]):
        return float("nan")
    bs, ps = zip(*mono)
    return float(np.interp(target_psnr, ps, bs))


def markdown_table(summ: list[RdSummary]) -> str:
    head = ("| model | setting | bytes | bpp | PSNR float | PSNR coded | plain bpp at equal PSNR "
            "| JPEG PSNR @bpp | WebP PSNR @bpp | sparse tensors |")
    lines = [head, "|" + "---|" * 10]
    for s in summ:
        eq = "—" if not np.isfinite(s.plain_bpp_equal) else f"{s.plain_bpp_equal:.3f}"
        if s.setting.startswith("plain"):
            eq = "(curve)"
        lines.append(f"| {s.model} | {s.setting} | {s.file_bytes:,.0f} | {s.bpp:.3f} | "
                     f"{s.psnr_float:.2f} | {s.psnr_coded:.2f} | {eq} | {_fmt(s.jpeg_psnr)} | "
                     f"{_fmt(s.webp_psnr)} | {s.sparse_tensors:.0f} |")
    return "\n".join(lines)


def _fmt(v: float) -> str:
    return "n/a" if not np.isfinite(v) else f"{v:.2f}"
