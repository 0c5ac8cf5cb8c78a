"""What the HS-LoE class map costs in a .sinr file, by coding.

    python3 benchmarks/classmap_codings.py [--kodak DIR] [--limit N] [--sides 256 0]

For every Kodak image, at 256 px on the longer side (anti-aliased resize) and at full size
(768×512; ``--sides``, 0 for full size), the Multi-Otsu 4-class map of the luminance (the
default HS-LoE segmentation) is coded as:
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
The yardstick is the version 1 coding (bytes or 2-bit packed, then Brotli).
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from inr_studio.codec import classmap  # noqa: E402
from inr_studio.segmentation import SegmentationConfig, segment  # noqa: E402
from inr_studio.thumbmap import integer_thresholds, thumbnail_of, ThumbnailMap  # noqa: E402
from inr_studio.codec.streams import pack_bytes  # noqa: E402

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
    _bench.add_kodak_option(ap)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--sides", type=int, nargs="+", default=[256, 0],
                    help="longer sides to measure at (0: full size)")
    args = ap.parse_args()
    paths = _bench.kodak_images(args.kodak, args.limit)
    for size in args.sides:
        label = f"{size} px" if size else "full size"
        rows = [measure(_bench.long_side_pixels(p, size)) for p in paths]
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
