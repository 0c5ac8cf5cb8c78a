"""Part f of ``benchmarks/gpu_check.py``: the latent-grid model at the paper's full size, the
figure its family publishes. One training per Kodak image with λ steered so the picture reaches
``--latent-psnr`` dB (the model's target-PSNR option), each a real ``.sinr`` file: encoded,
decoded on the CPU, its bits per pixel and PSNR measured from the decoded picture. The mean
bpp at that PSNR is set beside the published Cool-chic and C3 means on Kodak."""

from __future__ import annotations

import time

import numpy as np

from _gpu_parts import device_of, image, kodak_dir, row
from inr_studio.engine.config import TrainConfig
from inr_studio.studies import latent_ladder

#: Published mean rates on Kodak at about 30 dB (bpp), as their papers report them.
PUBLISHED_BPP_AT_30DB = {"Cool-chic 5": 0.22, "C3": 0.20}
F_COLUMNS = ("image", "size", "steps", "preset", "target_psnr", "bpp", "psnr", "psnr_float",
             "weights_bytes", "file_bytes", "train_s", "encode_s", "decode_s", "status",
             "seconds")


def part_f(check) -> str:
    args, dev = check.args, device_of(check)
    if kodak_dir(args) is None:
        return "skipped: no Kodak folder (--kodak)"
    table = check.table("f_latent.csv", F_COLUMNS, ("image", "steps", "target_psnr"))
    train = TrainConfig(iters=args.latent_steps, device=str(dev), seed=0)
    per_image: list[float] = []
    for i in range(1, args.latent_images + 1):
        name = f"kodim{i:02d}"
        key = {"image": name, "steps": args.latent_steps, "target_psnr": args.latent_psnr}
        if table.has(**key):
            continue
        if per_image and not check.fits(1.2 * max(per_image)):
            check.log(f"part f: {name} needs ~{1.2 * max(per_image):.0f} s, "
                      f"{check.left():.0f} s left: stopping")
            break
        t0 = time.perf_counter()
        row(check, table, key, lambda: _point(args, name, train),
            size=args.size, preset=args.latent_preset)
        per_image.append(time.perf_counter() - t0)
    ok = table.ok_rows()
    fields: dict = {"images": len(ok), "published_bpp_at_30db": PUBLISHED_BPP_AT_30DB}
    if ok:
        fields["mean_bpp"] = round(float(np.mean([float(r["bpp"]) for r in ok])), 4)
        fields["mean_psnr"] = round(float(np.mean([float(r["psnr"]) for r in ok])), 3)
    check.note("f", **fields)
    return f"{len(ok)} images in f_latent.csv"


def _point(args, name: str, train: TrainConfig) -> dict:
    _, pixels = image(args, name)
    p = latent_ladder.measure_point(pixels, latent_ladder.LAMBDAS[2], train,
                                    args.latent_preset, latent_target_psnr=args.latent_psnr)
    return {"bpp": p.bpp, "psnr": p.psnr, "psnr_float": p.psnr_float,
            "weights_bytes": p.weights_bytes, "file_bytes": p.file_bytes,
            "train_s": p.train_s, "encode_s": p.encode_s, "decode_s": p.decode_s,
            "status": "ok"}
