"""OMP for SINR: speed (batched torch vs scikit-learn) and what k2 and s buy in weight error.

    pip install -e ".[bench-omp]"   # scikit-learn, the speed yardstick
    OMP_NUM_THREADS=1 python3 benchmarks/rd_omp.py [--kodak DIR] [--skip-speed]

1. Speed on the paper's HS-LoE 3×256 (2,068 weight vectors of length 256): the batched OMP of
   inr_studio.codec.omp against scikit-learn's ``orthogonal_mp_gram`` (Gram precomputed; its
   time is extrapolated from 200 vectors, it loops over vectors one by one).
2. Relative weight error ‖W − A·x‖/‖W‖ of a trained 3×64 SIREN's hidden matrix (kodim05 at
   192×128, 300 steps) after s atoms, for several k2, next to Gaussian random vectors of the
   same size: if trained weights had structure the random dictionary could use, they would
   code better than noise.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from inr_studio.codec.dictionary import dictionary
from inr_studio.codec.encoder import model_arrays
from inr_studio.codec.layout import ROLE_WEIGHT, sparse_cut, to_vectors
from inr_studio.codec.omp import fit_coefficients, omp_path
from inr_studio.imaging import load_image, resize_image
from inr_studio.models import CoordinateNet, make_model_config
from inr_studio.problem import FitProblem
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.fit import fit


def speed() -> None:
    from sklearn.linear_model import orthogonal_mp_gram

    model = CoordinateNet(make_model_config("hs", width=256, depth=3), seed=0)
    vecs = np.concatenate([to_vectors(a, sparse_cut(s.shape, 256)[0])
                           for s, a in model_arrays(model).items() if s.role == ROLE_WEIGHT])
    print(f"HS-LoE 3x256: {len(vecs)} weight vectors of length {vecs.shape[1]}; "
          f"torch threads {torch.get_num_threads()}")
    for k2, s in ((1024, 64), (4096, 64), (4096, 127)):
        a = dictionary(256, k2, 0)
        t0 = time.perf_counter()
        path = omp_path(a, vecs, s)
        fit_coefficients(a, vecs, path.support)
        ours = time.perf_counter() - t0
        gram = a.T @ a
        sub = vecs[:200]
        t0 = time.perf_counter()
        orthogonal_mp_gram(gram, a.T @ sub.T, n_nonzero_coefs=s, copy_Gram=False)
        theirs = (time.perf_counter() - t0) * len(vecs) / len(sub)
        print(f"  k2={k2:>5} s={s:>3}: batched torch {ours:6.1f} s   scikit-learn ~{theirs:6.1f} s")


def errors(kodak: Path) -> None:
    torch.manual_seed(0)
    img = load_image(kodak / "kodim05.png").pixels
    img = resize_image(img, 128, 192)
    cfg = make_model_config("siren", width=64, depth=3)
    trainer, last = fit(FitProblem.create(img, cfg), TrainConfig(iters=300, lr=1e-3, device="cpu"))
    w = trainer.model.layers[1].weight[0].detach().double().numpy()  # 64×64 hidden matrix
    noise = np.random.default_rng(1).standard_normal(w.shape)
    steps = (4, 8, 16, 24, 31)
    print(f"\nSIREN 3x64 on kodim05 192x128, 300 steps, PSNR {last.psnr:.2f} dB; L2 weight, "
          "columns of 64; relative error after s atoms")
    print(f"  {'k2':>6} {'vectors':<8}" + "".join(f"{'s=' + str(s):>8}" for s in steps))
    for k2 in (1024, 4096, 16384):
        a = dictionary(64, k2, 0)
        for name, mat in (("trained", w), ("gauss", noise)):
            path = omp_path(a, mat.T, max(steps))
            err = np.sqrt(np.square(path.residual).sum(0) / np.square(path.norms).sum())
            print(f"  {k2:>6} {name:<8}" + "".join(f"{err[s - 1]:8.3f}" for s in steps))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kodak", default=os.environ.get("INR_STUDIO_KODAK", "../shared/data/kodak"))
    ap.add_argument("--skip-speed", action="store_true")
    args = ap.parse_args()
    if not args.skip_speed:
        speed()
    errors(Path(args.kodak))


if __name__ == "__main__":
    main()
