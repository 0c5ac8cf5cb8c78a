"""``inr-studio rd --ladder``: every network at every rung of the file ladder (plain, QAT,
SINR, SINR fine-tuned, bit allocation) against JPEG, WebP and AVIF; writes ladder.csv,
ladder.md (means over images and each curve's BD-rate against JPEG and WebP) and ladder.png."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..engine.config import QatConfig
from ..errors import OptionError
from .common import load_scaled
from .study_run import execute, kept_rows, read_bytes
from ..studies.latent_ladder import LAMBDAS, LATENT_ITERS
from .latent_options import parse_lambdas


def add_ladder_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("file ladder")
    g.add_argument("--ladder", action="store_true",
                   help="measure the file ladder (plain, QAT, SINR, SINR fine-tuned, bit "
                        "allocation) against JPEG/WebP/AVIF, with BD-rates")
    g.add_argument("--qat-steps", type=int, default=None, metavar="N",
                   help="quantisation-aware fine-tuning steps per QAT/SINR rung "
                        f"(default {QatConfig.steps})")
    g.add_argument("--target-psnr", type=float, action="append", default=[], metavar="DB",
                   help="add a bit-allocation rung for this PSNR (repeatable)")
    g.add_argument("--lambdas", default=None, metavar="L,L,…",
                   help="the latent model's λ ladder, one training each (default "
                        f"{','.join(f'{x:g}' for x in LAMBDAS)}); its steps: latent@STEPS, "
                        f"else {LATENT_ITERS}")

    from .cluster_options import add_cluster_options

    add_cluster_options(parser)


def check_ladder_only(args: argparse.Namespace) -> None:
    """``--ray`` and ``--resume`` are options of ``rd --ladder`` (and ``bench``) only."""
    given = [o for o, v in (("--ray", args.ray), ("--gpus-per-task", args.gpus_per_task),
                            ("--cpus-per-task", args.cpus_per_task), ("--resume", args.resume))
             if v not in (None, False)]
    if given and not args.ladder:
        raise OptionError(f"{given[0]} applies to rd --ladder; add --ladder or drop it.")


def run_ladder(args: argparse.Namespace) -> int:
    from ..atomic import atomic_write, atomic_write_bytes
    from ..studies.ladder_report import from_csv, markdown, means, plot, to_csv
    from ..studies.rd import RdModel
    from ..studies.tasks import StudyRows
    from .common import train_config_from_args
    from .train_options import QAT_OPTION_OF, announce, naming_options

    models = [RdModel.parse(m) for m in args.models.split(",") if m.strip()]
    if not models:
        raise OptionError("--models names no network; e.g. --models siren:3x64.")
    with naming_options(QAT_OPTION_OF):
        qat = QatConfig() if args.qat_steps is None else QatConfig(steps=args.qat_steps)
    out = Path(args.out)
    t0 = time.perf_counter()
    training = ""
    latent_iters = next((m.iters for m in models if m.kind == "latent" and m.iters), LATENT_ITERS)
    if args.from_csv:
        if not Path(args.from_csv).is_file():
            raise OptionError(f"--from-csv {args.from_csv}: no such file.")
        rows = from_csv(Path(args.from_csv).read_bytes())
    else:
        train_config_from_args(args)  # option errors before any image is read
        parse_lambdas(args.lambdas)
        args = argparse.Namespace(**{**vars(args), "latent_iters": latent_iters})
        training = f"training with {announce(args)}; "
        out.mkdir(parents=True, exist_ok=True)
        csv_path = out / "ladder.csv"
        kept = kept_rows(csv_path, args.resume, lambda p: from_csv(p.read_bytes()), _key)
        keys = [None] + [(m.kind, m.depth, m.width) for m in models]
        names = [Path(p).name for p in args.images]
        order = [(Path(n).stem, _model_name(k)) for n in names for k in keys]
        rows_of = StudyRows(order, kept, lambda rs: atomic_write_bytes(csv_path, to_csv(rs)))
        _run(args, [(Path(p), k) for p in args.images for k in keys
                    if (Path(p).stem, _model_name(k)) not in kept], rows_of)
        rows = rows_of.of_study()
    out.mkdir(parents=True, exist_ok=True)
    failed = [r for r in rows if r.error]
    rows = [r for r in rows if not r.error]
    ms = means(rows)
    images = sorted({r.image for r in rows})
    note = (f"{len(images)} image(s) ({', '.join(images)}); {args.iters} training steps, {training}"
            f"{qat.steps} fine-tuning steps per QAT/SINR rung"
            + (f", {latent_iters} steps per latent-model λ" if any(m.kind == "latent" for m in models)
               else "") + "; bpp = 8·file bytes/pixels; means over "
            f"images of per-image bpp and PSNR; {time.perf_counter() - t0:.0f} s\n\n")
    table = markdown(ms)
    atomic_write_bytes(out / "ladder.md", (note + table + "\n").encode("utf-8"))
    img = plot(ms, f"file ladder: {len(images)} image(s), means over images")
    atomic_write(out / "ladder.png", lambda fh: img.save(fh, format="PNG"))
    print(note + table)
    print(f"wrote {out}/ladder.csv, ladder.md, ladder.png"
          + (f"; {len(failed)} fits failed (their rows say why; --resume fits them again)"
             if failed else ""))
    return 1 if failed else 0


def _model_name(key: tuple[str, int, int] | None) -> str:
    """A task's model column: ``siren:3x64``, or ``anchors`` for the JPEG/WebP/AVIF points."""
    return "anchors" if key is None else f"{key[0]}:{key[1]}x{key[2]}"


def _key(row) -> tuple[str, str]:
    from ..studies.ladder_report import ANCHOR_FAMILIES

    return row.image, "anchors" if row.family in ANCHOR_FAMILIES else row.model


def _run(args: argparse.Namespace, plan: list[tuple[Path, tuple | None]], rows) -> None:
    """Every (image, network) of ``plan`` through the ladder (``None``: the anchors), here or
    on Ray (:mod:`.study_run`)."""
    from ..studies.tasks import Task
    from .cluster_options import fit_threads, ray_options
    from .study_fits import ladder_error, ladder_fit
    from .train_options import preset_from_args

    ray, threads = ray_options(args), fit_threads(args)
    task_args = argparse.Namespace(**{**vars(args), "preset": preset_from_args(args).name})
    log = None if ray is not None else (lambda m: print(m, file=sys.stderr, flush=True))

    if ray is None:  # every image read before any training, as a run here always did
        pixels = {p: load_scaled(p, args.scale)[1] for p in dict.fromkeys(p for p, _ in plan)}

    def tasks():
        if ray is not None:
            blobs = {p: read_bytes(p) for p in dict.fromkeys(p for p, _ in plan)}
            yield from (Task((p.stem, _model_name(k)), ladder_fit,
                             (task_args, p.name, blobs[p], k, threads)) for p, k in plan)
            return
        for p, k in plan:
            yield Task((p.stem, _model_name(k)), ladder_fit,
                       (task_args, p.name, pixels[p], k, threads), local={"log": log})

    def failed(task, error: str) -> list:
        return ladder_error(task.key[0], task.key[1], error)

    execute(ray, tasks, rows, failed)
