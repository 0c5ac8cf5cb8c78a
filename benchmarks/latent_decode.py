"""How long a latent-grid .sinr file takes to decode: wall and CPU seconds, 1 and 2 torch threads.

    python3 benchmarks/latent_decode.py                 # trains a 256-px kodim01 file
    python3 benchmarks/latent_decode.py --file x.sinr   # or times a given file

Decoding = reading the bytes into a network (weights, then the latents wavefront by wavefront)
and rendering the picture at its size, as ``inr-studio decode`` does. Each figure is the
median of ``--repeats`` runs; CPU seconds (``time.process_time``: every thread of this process)
say what the work costs when other programs share the cores. ``--worst`` also times the
largest file the reader accepts (1,024 × 512 px, every latent coded), what a hostile file can
cost. The yardstick is one thread against two, and the 2-second budget of a 256-px picture.
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inr_studio.codec import decode_bytes  # noqa: E402
from inr_studio.codec.latent_file import encode_latent_model  # noqa: E402
from inr_studio.engine.config import TrainConfig  # noqa: E402
from inr_studio.imaging import load_image, resize_image, scaled_size  # noqa: E402
from inr_studio.models.latent_config import make_latent_config  # noqa: E402
from inr_studio.models.latent_net import LatentNet  # noqa: E402
from inr_studio.studies import latent_ladder  # noqa: E402

def timed(data: bytes, repeats: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of decode + render."""
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        decode_bytes(data).render()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def trained_file(name: str, side: int, iters: int, lam: float) -> bytes:
    loaded = load_image(_bench.kodak_image(name))
    h, w = loaded.pixels.shape[:2]
    pixels = resize_image(loaded.pixels, *scaled_size(h, w, side / max(h, w)))
    point = latent_ladder.measure_point(pixels, lam, TrainConfig(iters=iters, device="cpu"))
    print(f"{name} at {pixels.shape[1]}×{pixels.shape[0]}, {iters} steps, λ = {lam:g}: "
          f"{point.file_bytes:,} bytes, {point.bpp:.3f} bpp, {point.psnr:.2f} dB")
    return point.data


def worst_file() -> bytes:
    """1,024 × 512 (the reader's limit), random latents in −3…3: every step of the wavefront
    and every latent decoded."""
    net = LatentNet(make_latent_config(1024, 512), seed=0)
    rng = np.random.default_rng(0)
    net.set_latents([rng.integers(-3, 4, s) for s in net.config.grid_shapes()])
    return encode_latent_model(net, rng.random((1024, 512, 3)).astype(np.float32))[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", default=None)
    ap.add_argument("--image", default="kodim01")
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--lam", type=float, default=2e-3)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--worst", action="store_true")
    args = ap.parse_args()
    files = {"file": Path(args.file).read_bytes() if args.file else
             trained_file(args.image, args.side, args.iters, args.lam)}
    if args.worst:
        files["1024×512, every latent coded"] = worst_file()
    for name, data in files.items():
        f = decode_bytes(data)
        print(f"{name}: {f.width}×{f.height}, {len(data):,} bytes, "
              f"{f.header['latents']:,} latents, {f.header['macs_per_pixel']:.0f} MACs/pixel")
        for threads in (1, 2):
            torch.set_num_threads(threads)
            wall, cpu = timed(data, args.repeats)
            print(f"  {threads} torch thread(s): decode + render {wall:.3f} s wall, "
                  f"{cpu:.3f} s CPU (median of {args.repeats})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
