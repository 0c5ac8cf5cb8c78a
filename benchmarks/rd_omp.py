"""OMP for SINR: speed (batched torch against scikit-learn, the yardstick) and what k2 and s buy
in weight error (against Gaussian random vectors, the other yardstick).

    pip install -e ".[bench-omp]"   # scikit-learn
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

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from inr_studio.codec.dictionary import dictionary  # noqa: E402
from inr_studio.codec.encoder import model_arrays  # noqa: E402
from inr_studio.codec.layout import ROLE_WEIGHT, sparse_cut, to_vectors  # noqa: E402
from inr_studio.codec.omp import fit_coefficients, omp_path  # noqa: E402
from inr_studio.engine.config import TrainConfig  # noqa: E402
from inr_studio.engine.fit import fit  # noqa: E402
from inr_studio.models import CoordinateNet, make_model_config  # noqa: E402
from inr_studio.problem import FitProblem  # noqa: E402

#: s atoms read off each OMP path of the weight-error table.
ATOMS = (4, 8, 16, 24, 31)


def k2_s(text: str) -> tuple[int, int]:
    k2, _, s = text.partition(":")
    return int(k2), int(s)


def speed(width: int, settings: list[tuple[int, int]]) -> None:
    from sklearn.linear_model import orthogonal_mp_gram

    model = CoordinateNet(make_model_config("hs", width=width, depth=3), seed=0)
    vecs = np.concatenate([to_vectors(a, sparse_cut(s.shape, width)[0])
                           for s, a in model_arrays(model).items() if s.role == ROLE_WEIGHT])
    print(f"HS-LoE 3x{width}: {len(vecs)} weight vectors of length {vecs.shape[1]}; "
          f"torch threads {torch.get_num_threads()}")
    for k2, s in settings:
        a = dictionary(vecs.shape[1], k2, 0)
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


def errors(image: str, iters: int, k2s: list[int]) -> None:
    torch.manual_seed(0)
    img = _bench.sample_pixels(image, 128, 192)
    cfg = make_model_config("siren", width=64, depth=3)
    trainer, last = fit(FitProblem.create(img, cfg),
                        TrainConfig(iters=iters, lr=1e-3, device="cpu"))
    w = trainer.model.layers[1].weight[0].detach().double().numpy()  # 64×64 hidden matrix
    noise = np.random.default_rng(1).standard_normal(w.shape)
    print(f"\nSIREN 3x64 on kodim05 192x128, {iters} steps, PSNR {last.psnr:.2f} dB; L2 weight, "
          "columns of 64; relative error after s atoms")
    print(f"  {'k2':>6} {'vectors':<8}" + "".join(f"{'s=' + str(s):>8}" for s in ATOMS))
    for k2 in k2s:
        a = dictionary(64, k2, 0)
        for name, mat in (("trained", w), ("gauss", noise)):
            path = omp_path(a, mat.T, max(ATOMS))
            err = np.sqrt(np.square(path.residual).sum(0) / np.square(path.norms).sum())
            print(f"  {k2:>6} {name:<8}" + "".join(f"{err[s - 1]:8.3f}" for s in ATOMS))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _bench.add_kodak_option(ap)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--speed-width", type=int, default=256, help="width of the timed HS-LoE")
    ap.add_argument("--speed-settings", type=k2_s, nargs="+", metavar="K2:S",
                    default=[(1024, 64), (4096, 64), (4096, 127)],
                    help="dictionary atoms and non-zeros of each timed OMP")
    ap.add_argument("--iters", type=int, default=300, help="training steps of the SIREN")
    ap.add_argument("--k2", type=int, nargs="+", default=[1024, 4096, 16384],
                    help="dictionary sizes of the weight-error table")
    args = ap.parse_args()
    image = str(_bench.kodak_image("kodim05", args.kodak))
    if not args.skip_speed:
        speed(args.speed_width, args.speed_settings)
    errors(image, args.iters, args.k2)


if __name__ == "__main__":
    main()
