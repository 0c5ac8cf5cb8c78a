"""Long fuzz run of the .sinr decoder: random mutants of small valid files, for N mutants or S s.

    python3 benchmarks/fuzz_sinr.py --mutants 100000          # or --seconds 600
    python3 benchmarks/fuzz_sinr.py --seconds 60 --seed 7 --out crashes/

Seeds: version 1 files (SINR HS-LoE with a class map, plain FtC), version 2 files
(entropy-coded sections, a SINR SIREN, and an HS-LoE map coded as bytes/packed, by context and
by thumbnail luminance and thumbnail labels) and version 3 files (two latent-grid files, whose
latents and weights sections are range-coded, and a coordinate network after its family byte). Every mutant must either decode (and render) or raise SinrFormatError with a
one-line message. Anything else (another exception, a multi-line message, a decode slower
than --slow seconds, or a Python heap peak above --max-mb on the mutants traced with
tracemalloc, one in --trace-every) is a finding: its bytes are written to --out and the run
ends with exit code 1. Half the mutants get a fresh checksum so that the parser behind the
CRC is exercised. The process's peak resident memory (resource.getrusage) is printed at the
end. The mutation operators are those of tests/codec/test_fuzz.py. The yardstick is the
decoder's contract: one clear error, within the time and memory limits above.
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import collections  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import zlib  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inr_studio.codec import (CodecOptions, decode_bytes, encode_model,  # noqa: E402
                              encode_with_report)
from inr_studio.errors import SinrFormatError  # noqa: E402
from inr_studio.models import CoordinateNet, make_model_config  # noqa: E402
from inr_studio.thumbmap import ThumbnailMap  # noqa: E402


def latent_seed(seed: int) -> bytes:
    """An 8×10 latent-grid file: random integer latents, ARM and synthesis as initialised."""
    from inr_studio.codec.latent_file import encode_latent_model
    from inr_studio.models.latent_config import make_latent_config
    from inr_studio.models.latent_net import LatentNet

    net = LatentNet(make_latent_config(8, 10), seed=seed)
    rng = np.random.default_rng(seed)
    net.set_latents([rng.integers(-3, 4, shape) for shape in net.config.grid_shapes()])
    return encode_latent_model(net, rng.random((8, 10, 3)).astype(np.float32))[0]


def seed_files() -> dict[str, bytes]:
    cmap = (np.arange(8 * 10).reshape(8, 10) * 7 % 3).astype(np.uint8)
    hs = CoordinateNet(make_model_config("hs", width=6, depth=1, seg_classes=3, tile_scale=0.1), 1)
    ftc = CoordinateNet(make_model_config("ftc", width=4, depth=1, tile_scale=0.1), 2)
    siren = CoordinateNet(make_model_config("siren", width=60, depth=1), 3)
    bell = CoordinateNet(make_model_config("siren", width=12, depth=2), 4)
    with torch.no_grad():  # bell-shaped weights, as trained ones: the range coder wins
        for p in bell.parameters():
            p.copy_(torch.randn_like(p) * 0.05)
    thumb = ThumbnailMap(np.array([[10, 200, 90], [250, 30, 120]], dtype=np.uint8), (50, 150), 8, 10)
    v1 = {"version": 1, "entropy": False}
    sinr = {"sparsity": 3, "target_error": None, "k2": 64}
    files = {
        "v1 hs sinr": encode_model(hs, 8, 10, cmap, CodecOptions(**sinr, **v1)),
        "v1 ftc plain": encode_model(ftc, 8, 10, None, CodecOptions(plain=True, bits=10, **v1)),
        "v1 siren sinr": encode_model(siren, 8, 10, None, CodecOptions(
            sparsity=6, target_error=None, k2=200, bits=7, **v1)),
        "v2 siren sinr": encode_model(siren, 8, 10, None, CodecOptions(
            sparsity=6, target_error=None, k2=200, bits=7)),
        "v2 hs packed": encode_model(hs, 8, 10, cmap, CodecOptions(**sinr, class_map_coding="packed")),
        "v2 hs context": encode_model(hs, 8, 10, cmap, CodecOptions(**sinr, class_map_coding="context")),
        "v2 hs thumbnail": encode_model(hs, 8, 10, thumb, CodecOptions(
            plain=True, bits=7, class_map_coding="thumbnail")),
        "v2 hs thumbnail-labels": encode_model(hs, 8, 10, thumb, CodecOptions(
            **sinr, class_map_coding="thumbnail-labels")),
    }
    data, report = encode_with_report(bell, 8, 10, None, CodecOptions(plain=True, bits=12))
    assert report.codings["values"] == "entropy", report.codings
    files["v2 siren entropy"] = data
    data, report = encode_with_report(bell, 8, 10, None, CodecOptions(
        sparsity=20, target_error=None, k2=512, bits=9, tensor_bits=(9, 12, 9, 7, 9, 16)))
    files["v2 siren sinr per-tensor bits"] = data
    files["v3 latent grids"] = latent_seed(0)
    files["v3 latent grids (other seed)"] = latent_seed(1)
    files["v3 ftc plain"] = encode_model(ftc, 8, 10, None, CodecOptions(plain=True, bits=10,
                                                                         version=3))
    return files


def mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not b:
            break
        p = rng.randrange(len(b))
        kind = rng.choice(("flip", "set", "cut", "insert", "truncate", "field"))
        if kind == "flip":
            b[p] ^= 1 << rng.randrange(8)
        elif kind == "set":
            b[p:p + 1] = bytes([rng.randrange(256)])
        elif kind == "cut":
            del b[p:p + rng.randint(1, 64)]
        elif kind == "insert":
            b[p:p] = rng.randbytes(rng.randint(1, 16))
        elif kind == "truncate":
            del b[p:]
        else:  # an extreme little-endian integer, as a damaged length field would be
            b[p:p + 4] = struct.pack("<I", rng.choice((0, 1, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF)))
    if rng.random() < 0.5 and len(b) >= 4:
        b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])) & 0xFFFFFFFF)
    return bytes(b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutants", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--slow", type=float, default=2.0, help="seconds one decode may take")
    ap.add_argument("--max-mb", type=float, default=64.0, help="heap peak one decode may take")
    ap.add_argument("--trace-every", type=int, default=10,
                    help="measure the heap peak (tracemalloc) on one mutant in N")
    ap.add_argument("--out", default="fuzz-findings")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    seeds = seed_files()
    files = list(seeds.values())
    for name, data in seeds.items():
        print(f"seed {name}: {len(data)} bytes, decodes: {decode_bytes(data).height == 8}")
    outcomes: collections.Counter[str] = collections.Counter()
    findings = 0
    t0 = time.perf_counter()
    n = 0
    peak_heap = 0.0
    while (args.mutants is None and time.perf_counter() - t0 < args.seconds) or \
            (args.mutants is not None and n < args.mutants):
        data = mutate(rng, files[n % len(files)])
        n += 1
        traced = n % args.trace_every == 0
        if traced:
            tracemalloc.start()
        t = time.perf_counter()
        problem = None
        try:
            f = decode_bytes(data)
            f.render(3, 5)  # a file that decodes must also render
            outcomes["decoded"] += 1
        except SinrFormatError as exc:
            msg = str(exc)
            outcomes[re.sub(r"[\d,.]+", "N", msg)[:70]] += 1
            if not msg or "\n" in msg:
                problem = f"bad message: {msg!r}"
        except Exception as exc:  # noqa: BLE001 - the finding this script looks for
            problem = f"{type(exc).__name__}: {exc}"
        dt = time.perf_counter() - t
        peak = 0.0
        if traced:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            peak_heap = max(peak_heap, peak)
        if problem is None and dt > args.slow:
            problem = f"slow: {dt:.2f} s"
        if problem is None and peak > args.max_mb:
            problem = f"memory: {peak:.1f} MB"
        if problem:
            findings += 1
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"finding-{args.seed}-{n}.sinr").write_bytes(data)
            print(f"mutant {n}: {problem}", file=sys.stderr)
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{n:,} mutants in {elapsed:.0f} s ({n / elapsed:.0f}/s), seed {args.seed}: "
          f"{findings} findings; peak RSS {rss:.0f} MiB (resource.getrusage), largest heap "
          f"peak of one decode {peak_heap:.1f} MiB (tracemalloc, 1 in {args.trace_every})")
    for text, count in outcomes.most_common(25):
        print(f"{count:>8,}  {text}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
