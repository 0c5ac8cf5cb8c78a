"""The latent-grid ladder re-encoded: the same trained networks (kept by
``latent_kodak.py --keep-nets``), each coded again by the file writer with its decoder's
quantisation steps chosen one way or another, so encoders are compared on identical training.

    python3 benchmarks/latent_reencode.py --nets NETS --csv latent_kodak.csv --out docs/data \\
        --tag softround --as softround+rd --steps rd

``--steps psnr`` chooses the synthesis' step by the PSNR rule (within 0.05 dB of the float
synthesis), ``rd`` by MSE + λ · bits / pixel at the point's λ. The new rows join the CSV
under ``--as`` with the training's own figures (steps, seconds) copied from the trained row and
the file's (bytes, PSNR, encode and decode seconds) measured here; ``latent_kodak.py --report``
then compares them. A ``psnr`` re-encoding must reproduce the original rows' bytes exactly:
the script says where it does not (as must an ``rd`` re-encoding of rows trained since the
writer chooses by λ). The yardstick is that trained row: the same network, coded
by the writer it was measured with.
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from inr_studio.codec import decode_bytes  # noqa: E402
from inr_studio.codec.latent_file import encode_latent_model  # noqa: E402
from inr_studio.metrics import psnr  # noqa: E402
from inr_studio.models import registry  # noqa: E402
from inr_studio.models.latent_net import LatentNet  # noqa: E402
from inr_studio.studies import latent_ladder  # noqa: E402
from latent_kodak import log, read, working, write  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", required=True, help="folder of kept networks (TAG_IMAGE_LAMBDA.pt)")
    ap.add_argument("--csv", default="latent_kodak.csv")
    ap.add_argument("--out", default="docs/data")
    ap.add_argument("--tag", required=True, help="the trained rows to re-encode")
    ap.add_argument("--as", dest="as_tag", required=True, help="the new rows' tag")
    ap.add_argument("--steps", choices=("psnr", "rd"), default="rd")
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    path = Path(args.out) / args.csv
    records = read(path)
    done = {(r.image, r.lam) for r in records if r.tag == args.as_tag}
    for r in [r for r in records if r.tag == args.tag]:
        kept = Path(args.nets) / f"{r.tag}_{r.image}_{r.lam:g}.pt"
        if (r.image, r.lam) in done or not kept.is_file():
            continue
        pixels = working(r.image, args.side)
        options = latent_ladder.options(pixels, r.lam, r.preset, latent_upsampling=r.upsampling,
                                        latent_context=r.context or None)
        net = LatentNet(registry.entry("latent").spec(options).config)  # as it was trained
        net.load_state_dict(torch.load(kept, weights_only=True))
        t0 = time.perf_counter()
        data, report = encode_latent_model(net, pixels, lam=r.lam if args.steps == "rd" else None)
        encode_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        decoded = decode_bytes(data)
        picture = decoded.render()
        decode_s = time.perf_counter() - t0
        new = replace(r, tag=args.as_tag, file_bytes=len(data),
                      weights_bytes=decoded.sections["weights"], bpp=decoded.bpp,
                      psnr=psnr(picture, pixels), psnr_float=report.psnr_float,
                      encode_s=encode_s, decode_s=decode_s, threads=args.threads)
        records.append(new)
        write(path, records)
        same = " (same bytes as trained row)" if len(data) == r.file_bytes else \
            f" (trained row: {r.file_bytes} bytes, {r.psnr:.2f} dB)"
        log(f"{args.as_tag} {r.image} λ={r.lam:g}: {new.file_bytes} bytes, weights "
            f"{new.weights_bytes}, {new.bpp:.3f} bpp, {new.psnr:.2f} dB{same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
