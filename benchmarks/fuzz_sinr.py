"""Long fuzz run of the .sinr decoder: random mutants of small valid files, for N mutants or S s.

    python3 benchmarks/fuzz_sinr.py --mutants 200000          # or --seconds 600
    python3 benchmarks/fuzz_sinr.py --seconds 60 --seed 7 --out crashes/

Every mutant must either decode or raise SinrFormatError with a one-line message. Anything
else (another exception, a multi-line message, a decode slower than --slow seconds, or a
Python heap peak above --max-mb while decoding) is a finding: its bytes are written to --out
and the run ends with exit code 1. Half the mutants get a fresh checksum so that the parser
behind the CRC is exercised. The mutation operators are those of tests/test_codec_fuzz.py.
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import struct
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import torch

from inr_studio.codec import CodecOptions, decode_bytes, encode_model
from inr_studio.errors import SinrFormatError
from inr_studio.models import CoordinateNet, make_model_config


def seed_files() -> list[bytes]:
    cmap = (np.arange(8 * 10).reshape(8, 10) * 7 % 3).astype(np.uint8)
    hs = CoordinateNet(make_model_config("hs", width=6, depth=1, seg_classes=3, tile_scale=0.1), 1)
    ftc = CoordinateNet(make_model_config("ftc", width=4, depth=1, tile_scale=0.1), 2)
    siren = CoordinateNet(make_model_config("siren", width=60, depth=1), 3)
    return [
        encode_model(hs, 8, 10, cmap, CodecOptions(sparsity=3, target_error=None, k2=64)),
        encode_model(ftc, 8, 10, None, CodecOptions(plain=True, bits=10)),
        encode_model(siren, 8, 10, None, CodecOptions(sparsity=6, target_error=None, k2=200, bits=7)),
    ]


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
    ap.add_argument("--out", default="fuzz-findings")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    files = seed_files()
    outcomes: collections.Counter[str] = collections.Counter()
    findings = 0
    t0 = time.perf_counter()
    n = 0
    while (args.mutants is None and time.perf_counter() - t0 < args.seconds) or \
            (args.mutants is not None and n < args.mutants):
        data = mutate(rng, files[n % len(files)])
        n += 1
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
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
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
    print(f"{n:,} mutants in {elapsed:.0f} s ({n / elapsed:.0f}/s), seed {args.seed}: "
          f"{findings} findings")
    for text, count in outcomes.most_common(25):
        print(f"{count:>8,}  {text}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
