"""``encode``, ``decode``, ``info`` and ``rd``: SINR files from the command line.

``encode`` takes a checkpoint (``fit`` writes one) or an image (fitted first, with the options
of ``fit``); ``decode`` renders a ``.sinr`` at its size or any other; ``info`` prints the
header and a byte budget that adds up to the file size; ``rd`` measures rate–distortion.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from ..checkpoint import load_checkpoint
from ..errors import OptionError
from ..imaging import SUPPORTED_SUFFIXES, save_png, scaled_size
from ..metrics import psnr
from ..render import render
from .info_text import format_info, print_to_pipe
from .compress_options import add_compress_options, improve, qat_from_args
from .ladder_cmd import add_ladder_options, check_ladder_only, run_ladder
from .latent_codec_cmd import format_latent_info, refuse_latent_checkpoint, run_latent_encode
from .common import add_model_options, load_scaled, prepare_fit, train_config_from_args, train_specs
from .train_options import (add_train_options, announce, check_image_options, check_scale,
                            preset_from_args, use_preset_threads, warn_if_long)


def register(subparsers: argparse._SubParsersAction) -> None:
    _register_encode(subparsers)
    _register_decode(subparsers)
    _register_info(subparsers)
    _register_rd(subparsers)


def add_codec_options(parser: argparse.ArgumentParser) -> None:
    from ..codec import CodecOptions
    from ..codec.options import CLASS_MAP_CODINGS

    d = CodecOptions()
    g = parser.add_argument_group("SINR coding")
    g.add_argument("--sparsity", type=int, default=None, metavar="S",
                   help="non-zeros per weight vector (clipped per tensor to 2s < k); default: "
                        "chosen per tensor for --target-error")
    g.add_argument("--target-error", type=float, default=None, metavar="E",
                   help=f"relative weight error per tensor that picks s (default {d.target_error:g}); "
                        "tensors that cannot meet it are stored dense")
    g.add_argument("--k2", type=int, default=d.k2, help=f"dictionary atoms (default {d.k2})")
    g.add_argument("--bits", type=int, default=d.bits,
                   help=f"quantiser bits for values and biases (default {d.bits})")
    g.add_argument("--plain", action="store_true",
                   help="no sparse code: quantise the weights directly (the baseline)")
    g.add_argument("--dict-seed", type=int, default=d.seed, help="dictionary seed (default 0)")
    g.add_argument("--no-entropy", action="store_true",
                   help="Brotli only (no range coding of the quantised integers)")
    g.add_argument("--class-map-coding", default="auto", choices=CLASS_MAP_CODINGS,
                   help="HS-LoE map: auto (the smallest; default), bytes, packed, context, or "
                        "for a thumbnail map (--thumbnail-map) thumbnail / thumbnail-labels")
    g.add_argument("--sinr-version", type=int, default=d.version, choices=(1, d.version),
                   help=f"file format version to write (default {d.version}; 1 for old readers)")


def codec_options_from_args(args: argparse.Namespace):
    from ..codec import CodecOptions

    if args.sparsity is not None and args.target_error is not None:
        raise OptionError("give --sparsity or --target-error, not both.")
    if args.plain and (args.sparsity is not None or args.target_error is not None):
        raise OptionError("--plain stores no sparse code; drop --sparsity / --target-error.")
    kw = {"k2": args.k2, "bits": args.bits, "plain": args.plain, "seed": args.dict_seed,
          "entropy": not args.no_entropy and args.sinr_version != 1,
          "class_map_coding": args.class_map_coding, "version": args.sinr_version}
    if args.sparsity is not None:
        kw.update(sparsity=args.sparsity, target_error=None)
    elif args.target_error is not None:
        kw.update(target_error=args.target_error)
    return CodecOptions(**kw)


# ------------------------------------------------------------------------------------ encode
def _register_encode(subparsers) -> None:
    p = subparsers.add_parser(
        "encode", help="save a checkpoint or an image as a SINR-compressed .sinr file",
        description="Encode a checkpoint (from 'fit') as .sinr; given an image, fit it first "
                    "with the network and training options below. --model latent trains the "
                    "latent-grid model for MSE + λ·rate (--lambda, or --target-psnr) and "
                    "writes its own file (format version 3).")
    p.add_argument("input", help="checkpoint (.safetensors) or image (PNG, JPEG, TIFF, WebP, BMP)")
    p.add_argument("-o", "--output", required=True, help="the .sinr file to write")
    add_codec_options(p)
    add_model_options(p)
    add_compress_options(p)
    p.add_argument("--thumbnail-map", type=int, default=None, metavar="SIDE",
                   help="HS-LoE from an image: train on (and store) the class map of a SIDE-px "
                        "luminance thumbnail, which the decoder rebuilds (a few hundred bytes "
                        "instead of a full-resolution map)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run_encode)


def run_encode(args: argparse.Namespace) -> int:
    from ..codec import decode_bytes, encode_with_report, write_sinr

    options = codec_options_from_args(args)
    qat_from_args(args, options.bits)  # option errors before any training
    if args.thumbnail_map is not None and Path(args.input).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise OptionError("--thumbnail-map applies when encoding an image (the map is chosen "
                          "before training); a checkpoint keeps the map it was trained on.")
    out = Path(args.output)
    if out.is_dir():
        raise OptionError(f"-o {out} is a folder; give a file name such as {out}/image.sinr.")
    image = Path(args.input).suffix.lower() in SUPPORTED_SUFFIXES
    if image and args.model == "latent":
        return run_latent_encode(args, out, _fit_image)
    if image:
        model, h, w, class_map, reference, before, trained = _fit_image(args)
    else:
        ckpt = load_checkpoint(args.input)
        if ckpt.config.kind == "latent":
            refuse_latent_checkpoint()
        model, h, w, class_map = ckpt.model, ckpt.height, ckpt.width, ckpt.class_map
        if args.lr is None and isinstance(ckpt.extra.get("lr"), float):
            args.lr = ckpt.extra["lr"]  # fine-tuning goes on from the rate it was trained at
        reference, before = render(model, h, w, class_map), None
        trained = _checkpoint_note(ckpt.extra)
    model, options, codes, notes = improve(args, model, h, w, class_map, reference, options)
    notes = ([trained] if trained else []) + notes
    data, report = encode_with_report(model, h, w, class_map, options, codes=codes)
    write_sinr(out, data)
    decoded = decode_bytes(data)
    after = psnr(decoded.render(), reference)
    quality = (f"PSNR {before:.2f} dB before coding, {after:.2f} dB after" if before is not None
               else f"PSNR {after:.2f} dB against the checkpoint's own rendering")
    print(f"wrote {out}: {len(data):,} bytes, {decoded.bpp:.3f} bpp at {w}×{h}; {options.label()}; "
          f"{report.sparse_tensors}/{report.weight_tensors} weight tensors sparse-coded; "
          f"{quality}; encoded in {report.seconds:.1f} s" + "".join(f"; {n}" for n in notes))
    return 0


def _fit_image(args: argparse.Namespace):
    train_cfg = train_config_from_args(args)
    check_image_options(args)
    _, pixels, spec, _ = prepare_fit(args, args.input)
    announce(args, args.quiet)
    if args.thumbnail_map is not None:
        spec = _with_thumbnail_map(spec, args.thumbnail_map)
    warn_if_long(pixels, (spec,), train_cfg, args)
    run, results, interrupted = train_specs(pixels, (spec,), train_cfg,
                                            desc=f"fitting {spec.key}", quiet=args.quiet,
                                            cpu_threads=preset_from_args(args).cpu_threads())
    if interrupted or results[spec.key].stopped:
        raise KeyboardInterrupt
    trainer, result = run.trainers[spec.key], results[spec.key]
    problem = trainer.problem
    model = trainer.model.cpu()
    from ..codec import class_map_source

    trained = (f"coded the best step's weights (step {result.best_step:,} of {result.steps:,}; "
               f"the last step's scored {result.last_psnr:.2f} dB)" if result.kept_best else
               "coded the last step's weights")
    return (model, problem.height, problem.width, class_map_source(problem.segmentation),
            problem.pixels, result.psnr, trained)


def _checkpoint_note(extra: dict) -> str:
    """Which weights a checkpoint from ``fit`` holds, as its metadata says (older ones: none)."""
    if extra.get("returned") == "best":
        return f"coded the checkpoint's best step's weights (step {extra.get('best_step')})"
    return "coded the checkpoint's last step's weights" if extra.get("returned") else ""


def _with_thumbnail_map(spec, side: int):
    """The spec with its segmentation made from a ``side``-px luminance thumbnail (trained on,
    and stored as, the map a decoder rebuilds)."""
    from dataclasses import replace

    seg = spec.config.segmentation
    if seg is None:
        raise OptionError("--thumbnail-map applies to a model with a class map (hs).")
    config = replace(spec.config, segmentation=replace(seg, thumbnail=side))
    config.validate()
    return replace(spec, config=config)


# ------------------------------------------------------------------------------------ decode
def _register_decode(subparsers) -> None:
    p = subparsers.add_parser(
        "decode", help="render a .sinr file to a PNG, at its size or any other",
        description="Decode a .sinr file and render its network to a PNG image.")
    p.add_argument("input", help="the .sinr file")
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--size", default=None, metavar="WxH", help="render at W×H pixels")
    size.add_argument("--scale", type=float, default=None,
                      help="render at the source size times this factor")
    p.set_defaults(func=run_decode)


def parse_size(text: str) -> tuple[int, int]:
    """'640x480' → (width, height)."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text or "")
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise OptionError(f"--size {text!r} is not understood; write WxH, e.g. 1536x1024.")
    return int(m.group(1)), int(m.group(2))


def run_decode(args: argparse.Namespace) -> int:
    from ..codec import read_sinr

    out = Path(args.output)
    if out.suffix.lower() != ".png":
        raise OptionError(f"-o {out}: decode writes PNG; give a name ending in .png.")
    f = read_sinr(args.input)
    w, h = f.width, f.height
    if args.size is not None:
        w, h = parse_size(args.size)
    elif args.scale is not None:
        h, w = scaled_size(f.height, f.width, check_scale(args.scale))
    t0 = time.perf_counter()
    image = f.render(h, w)
    save_png(out, image)
    print(f"wrote {out}: {w}×{h} from {f.header['model_label']} ({f.width}×{f.height} source) "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


# -------------------------------------------------------------------------------------- info
def _register_info(subparsers) -> None:
    p = subparsers.add_parser(
        "info", help="header, bytes per section and bpp of a .sinr file",
        description="Print a .sinr file's header, its byte budget (which adds up to the file "
                    "size) and its bits per pixel.")
    p.add_argument("input", help="the .sinr file")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.add_argument("--tensors", action="store_true", help="list every tensor's coding")
    p.set_defaults(func=run_info)


def run_info(args: argparse.Namespace) -> int:
    from ..codec import read_sinr

    f = read_sinr(args.input)
    size = Path(args.input).stat().st_size
    if args.json:
        text = json.dumps({"file_bytes": size, "bpp": f.bpp, "sections": f.sections,
                           "header": f.header}, indent=2)
    elif f.header.get("family") == "latent grids":
        text = format_latent_info(f, Path(args.input).name, size)
    else:
        text = format_info(f, Path(args.input).name, size, args.tensors)
    return print_to_pipe(text)


def _register_rd(subparsers) -> None:
    from ..codec import CodecOptions
    from ..studies.rd import DEFAULT_MODELS, RD_ITERS, RD_SCALE

    p = subparsers.add_parser(
        "rd", help="measure rate–distortion: .sinr (SINR and plain) against JPEG and WebP",
        description="Fit each network to each image, code it with every setting (plain "
                    "quantisation at 16..4 bits, SINR at several s, the default options), and "
                    "write rd.csv, rd.md (means over images) and rd.png into --out. The fits "
                    "are rd's own length and size (--iters, --scale, the networks of --models); "
                    "how they train is the device's preset unless --preset names one.")
    p.add_argument("images", nargs="+", help="image files")
    p.add_argument("--out", default="rd", help="output folder (default ./rd)")
    p.add_argument("--models", default=DEFAULT_MODELS,
                   help="KIND:DEPTHxWIDTH[@STEPS] list, @STEPS overriding --iters for that "
                        f"model (default {DEFAULT_MODELS})")
    p.add_argument("--scale", type=float, default=RD_SCALE,
                   help=f"image scale (default {RD_SCALE:g}, rd's own)")
    p.add_argument("--k2", type=int, default=CodecOptions.k2,
                   help=f"dictionary atoms (default {CodecOptions.k2})")
    p.add_argument("--settings", default=None,
                   help="comma-separated setting names to keep (default all), e.g. plain-16,sinr-s32")
    add_train_options(p, own_iters=(RD_ITERS, f"{RD_ITERS}, rd's short fits; @STEPS in "
                                              "--models overrides it for one model"))
    p.add_argument("--from-csv", default=None, metavar="PATH",
                   help="rebuild rd.md and rd.png from an rd.csv written earlier (no fitting)")
    add_ladder_options(p)
    p.set_defaults(func=run_rd)


def run_rd(args: argparse.Namespace) -> int:
    check_ladder_only(args)
    if args.ladder:
        return run_ladder(args)
    from ..atomic import atomic_write, atomic_write_bytes
    from ..studies import rd
    from ..studies.rdplot import draw, rd_series

    models = [rd.RdModel.parse(m) for m in args.models.split(",") if m.strip()]
    if not models:
        raise OptionError("--models names no network; e.g. --models siren:3x64,hs:3x256@100.")
    if any(m.kind == "latent" for m in models):
        raise OptionError("the latent model's rate–distortion curve is a λ ladder (one training "
                          "per point): add --ladder.")
    if args.from_csv and not Path(args.from_csv).is_file():
        raise OptionError(f"--from-csv {args.from_csv}: no such file.")
    train = train_config_from_args(args)
    keep = None if args.settings is None else {s.strip() for s in args.settings.split(",")}
    out = Path(args.out)
    images = {Path(p).stem: load_scaled(p, args.scale)[1] for p in args.images}
    protocol = announce(args)
    use_preset_threads(args)
    rows = []
    t0 = time.perf_counter()
    if args.from_csv:
        rows = rd.read_csv(Path(args.from_csv).read_bytes())
        images = {k: v for k, v in images.items() if k in {r.image for r in rows}}
        if not images:
            raise OptionError("none of the images given appears in that CSV.")
    for name, pixels in ([] if args.from_csv else images.items()):
        for model in models:
            settings = [s for s in rd.default_settings(model.width, args.k2)
                        if keep is None or s.name in keep]
            rows += rd.measure(name, pixels, model, settings, train,
                               log=lambda m: print(m, file=sys.stderr, flush=True))
    summ = rd.summary(rows)
    table = rd.markdown_table(summ)
    out.mkdir(parents=True, exist_ok=True)
    if not args.from_csv:
        atomic_write_bytes(out / "rd.csv", rd.write_csv(rows))
    h, w = next(iter(images.values())).shape[:2]
    import torch

    note = (f"{len(images)} image(s) ({', '.join(images)}) at {w}×{h}, {train.iters} steps "
            f"(unless @STEPS), lr {train.lr:g}, training with {protocol}; means over images; "
            f"torch threads "
            f"{torch.get_num_threads()}; "
            + (f"rebuilt from {args.from_csv}" if args.from_csv
               else f"{time.perf_counter() - t0:.0f} s in all") + "\n\n")
    atomic_write_bytes(out / "rd.md", (note + table + "\n").encode("utf-8"))
    plot = draw(rd_series(summ, rd.codec_curves(images)),  # ASCII: the default font's glyphs
                f"rate-distortion: {len(images)} image(s) at {w}x{h}, {train.iters} steps, "
                f"lr {train.lr:g}")
    atomic_write(out / "rd.png", lambda fh: plot.save(fh, format="PNG"))
    print(note + table)
    print(f"wrote {out}/{'' if args.from_csv else 'rd.csv, '}rd.md, rd.png")
    return 0
