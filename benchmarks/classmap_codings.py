"""What the HS-LoE class map costs in a .sinr file, by coding.

    python3 benchmarks/classmap_codings.py --kodak ../shared/data/kodak [--limit N]

For every Kodak image, at 256 px on the longer side (anti-aliased resize) and at full size
(768×512), the Multi-Otsu 4-class map of the luminance (the default HS-LoE segmentation) is
coded as:
  * v1: the version 1 coding (bytes or 2-bit packed, then Brotli; the smaller);
  * context: the same labels, range-coded with the adaptive (left, up, up-left) context model;
  * thumbnail-S: a u8 luminance thumbnail with longer side S (Brotli or stored) plus its
    header entry (4 bytes of size + 3 thresholds); the decoder rebuilds the map from it. This
    is a *different* map (the thumbnail's, upsampled): its disagreement with the full-resolution
    map is printed, since the network is trained on it instead;
  * thumb-labels-S: the same thumbnail map, stored as the thumbnail's labels context-coded
    (class-map method "thumbnail-labels") instead of its luminance.
bpp = 8·bytes/(H·W) of the section (and thumbnail header entry); means over images are means
of the per-image values. Context decode time is measured too (one step per pixel, Python loop).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from inr_studio.codec import classmap
from inr_studio.imaging import load_image, resize_image
from inr_studio.segmentation import SegmentationConfig, segment
from inr_studio.thumbmap import integer_thresholds, thumbnail_of, ThumbnailMap
from inr_studio.codec.streams import pack_bytes

SIDES = (16, 32, 64)


def measure(pixels: np.ndarray) -> dict[str, float]:
    h, w = pixels.shape[:2]
    cfg = SegmentationConfig("multiotsu", 4)
    cmap = segment(pixels, cfg).class_map
    out = {}
    out["v1"] = len(classmap.encode_lossless(cmap, 4, allow_context=False)[2])
    t0 = time.perf_counter()
    coded = classmap.context_encode(cmap, 4)
    out["context_encode_s"] = time.perf_counter() - t0
    out["context"] = len(coded)
    t0 = time.perf_counter()
    assert np.array_equal(classmap.context_decode(coded, h, w, 4), cmap)
    out["context_decode_s"] = time.perf_counter() - t0
    for side in SIDES:
        thumb = thumbnail_of(pixels, side)
        thr = integer_thresholds(thumb, cfg)
        tm = ThumbnailMap(thumb, thr, h, w)
        out[f"thumbnail-{side}"] = len(pack_bytes(thumb.tobytes())[1]) + 4 + len(thr)
        out[f"thumbnail-{side} differs %"] = 100.0 * float(np.mean(tm.class_map() != cmap))
        labels = (thumb[..., None] >= np.asarray(thr)).sum(-1).astype(np.uint8)
        out[f"thumb-labels-{side}"] = len(classmap.context_encode(labels, 4)) + 4 + len(thr)
    out["pixels"] = h * w
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kodak", default="../shared/data/kodak")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    paths = sorted(Path(args.kodak).glob("kodim*.png"))[: args.limit]
    for label, size in (("256 px", 256), ("full size", None)):
        rows = []
        for p in paths:
            px = load_image(p).pixels
            if size is not None:
                s = size / max(px.shape[:2])
                px = resize_image(px, round(px.shape[0] * s), round(px.shape[1] * s))
            rows.append(measure(px))
        n = rows[0]["pixels"]
        print(f"\n{label}: {len(rows)} images, e.g. {n:,} pixels; mean over images")
        print(f"{'coding':<26}{'bytes':>10}{'bpp':>10}{'map differs':>13}")
        for key in ["v1", "context"] + [k for s in SIDES for k in (f"thumbnail-{s}",
                                                                   f"thumb-labels-{s}")]:
            b = np.mean([r[key] for r in rows])
            bpp = np.mean([8 * r[key] / r["pixels"] for r in rows])
            diff = f"{np.mean([r[key + ' differs %'] for r in rows]):.1f} %" \
                if key + " differs %" in rows[0] else ("0 (lossless)" if key in ("v1", "context") else "")
            print(f"{key:<26}{b:>10.0f}{bpp:>10.4f}{diff:>13}")
        print(f"context coding: encode {np.mean([r['context_encode_s'] for r in rows]):.2f} s, "
              f"decode {np.mean([r['context_decode_s'] for r in rows]):.2f} s per image (mean)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
