"""``bench`` and ``rd --ladder`` on a Ray cluster (``--ray``), and going on with a study that
stopped half-way (``--resume``): the options, and the torch threads each fit uses."""

from __future__ import annotations

import argparse

from ..studies.tasks import RAY_INSTALL, RayOptions, import_ray


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("Ray cluster and resuming")
    g.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run every (image, model) fit as a Ray task: 'auto' for the cluster "
                        "this machine is a node of (HOST:PORT names its head), ray://HEAD:10001 "
                        "from outside it (Ray Client), nothing to start a local one for the "
                        f"study (needs {RAY_INSTALL})")
    g.add_argument("--gpus-per-task", type=float, default=None, metavar="N",
                   help="GPUs a task asks for, fractions allowed (default: 1 where the cluster "
                        "has GPUs, else 0)")
    g.add_argument("--cpus-per-task", type=float, default=None, metavar="N",
                   help="CPUs a task asks for; its torch threads are the whole number, at "
                        "least 1 (default 1). Without --ray: the torch threads of each fit "
                        "(default: the preset's)")
    g.add_argument("--resume", action="store_true",
                   help="keep the rows already in the CSV and fit only the missing and failed "
                        "ones (a study stopped half-way goes on)")


def ray_options(args: argparse.Namespace) -> RayOptions | None:
    """The Ray settings of ``--ray`` (checked), or None for a run in this process."""
    if getattr(args, "ray", None) is None:
        if getattr(args, "gpus_per_task", None) is not None:
            from ..errors import OptionError

            raise OptionError("--gpus-per-task applies to --ray; add --ray or drop it.")
        return None
    import_ray()  # a missing Ray is said before anything else
    cpus = args.cpus_per_task
    return RayOptions(args.ray, args.gpus_per_task, 1.0 if cpus is None else cpus)


def fit_threads(args: argparse.Namespace) -> int | None:
    """Torch threads of each fit: ``--cpus-per-task`` (whole, at least 1) when given, else on
    Ray 1 and here the preset's (None: torch's own). Fits with the same threads give the same
    figures, bit for bit, wherever they run."""
    ray = ray_options(args)
    if ray is not None:
        return ray.threads
    if args.cpus_per_task is not None:
        return RayOptions(cpus_per_task=args.cpus_per_task).threads
    from .train_options import preset_from_args

    return preset_from_args(args).cpu_threads()
