"""What a point of the rate–distortion tab's latent λ ladder costs at the window's CPU defaults:
the forecast the tab shows before it starts (a few steps timed, times the run's steps) beside
the training, encoding and decoding seconds of the point itself.

    nice -n 10 python3 benchmarks/rd_latent_point.py --image kodim01 --lambdas 0.002

Each point runs as the tab runs it (:func:`inr_studio.studies.ladder_run.window_ladder` with a
:class:`~inr_studio.studies.ladder_run.LatentPlan` of the window's training settings), on the
working image the window makes (256 px on the longer side by default). The yardstick is the
forecast itself: a training's measured seconds against the ones the tab said beforehand. Wall
seconds depend on what else the machine runs: the load average is printed beside them.
"""

from __future__ import annotations

import _bench

_bench.tune()  # as the program does, before torch loads

import argparse  # noqa: E402


def main() -> None:
    from inr_studio.cli.latent_options import parse_lambdas
    from inr_studio.studies.ladder_run import LatentPlan, window_ladder

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", default="kodim01", help="a Kodak image's name")
    parser.add_argument("--lambdas", default=None, help="λ list (default: the tab's four)")
    parser.add_argument("--side", type=int, default=None,
                        help="working size, px on the longer side (default: the window's)")
    parser.add_argument("--iters", type=int, default=None,
                        help="training steps a λ (default: the window's)")
    _bench.add_kodak_option(parser)
    args = parser.parse_args()
    overrides = {k: v for k, v in (("long_side", args.side), ("iters", args.iters))
                 if v is not None}
    session = _bench.cpu_session(_bench.kodak_image(args.image, args.kodak), models=("latent",),
                                 **overrides)
    plan = LatentPlan(session.settings.train_config(), parse_lambdas(args.lambdas))
    pixels = session.working
    forecast = plan.fit_seconds(pixels)
    print(f"{args.image} {pixels.shape[1]}×{pixels.shape[0]}, {plan.train.iters} steps a λ; "
          f"forecast {forecast:.0f} s a training (load {_bench.load_average()})")
    for msg in window_ladder(pixels, [], with_anchors=False, latent=plan):
        p = getattr(msg, "point", None)
        if p is not None:
            print(f"{p.setting}: {p.bpp:.3f} bpp {p.psnr:.2f} dB; trained {p.steps} steps in "
                  f"{p.train_s:.0f} s ({p.train_cpu_s:.0f} s CPU), encoded in {p.encode_s:.1f} s, "
                  f"decoded in {p.decode_s:.1f} s (load {_bench.load_average()})")


if __name__ == "__main__":
    main()
