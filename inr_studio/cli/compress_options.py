"""``encode``'s options for smaller files (docs/coding.md): quantisation-aware fine-tuning of the
trained network at the file's bits (``--qat-steps``; with ``--sparsity``, the SINR
coefficients are fine-tuned on their support instead), and per-tensor bit allocation for a
target PSNR (``--target-psnr``)."""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from ..engine.config import QatConfig
from ..errors import OptionError


def add_compress_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("smaller files")
    g.add_argument("--qat-steps", type=int, default=0, metavar="N",
                   help="after training, N steps of quantisation-aware fine-tuning at --bits "
                        "(with --sparsity: the SINR coefficients on their support); default 0")
    g.add_argument("--qat-lr-scale", type=float, default=QatConfig.lr_scale, metavar="F",
                   help="learning rate of that fine-tuning, as a fraction of --lr "
                        f"(default {QatConfig.lr_scale:g})")
    g.add_argument("--target-psnr", type=float, default=None, metavar="DB",
                   help="choose one bit depth per tensor (at most --bits) for the smallest file "
                        "whose decoded PSNR reaches DB; with --model latent: adjust λ during "
                        "training to reach DB")


def qat_from_args(args: argparse.Namespace, bits: int) -> QatConfig:
    """The fine-tuning ``--qat-steps`` and ``--qat-lr-scale`` ask for, at ``bits`` (checked)."""
    from .train_options import QAT_OPTION_OF, naming_options

    with naming_options(QAT_OPTION_OF):
        return QatConfig(getattr(args, "qat_steps", 0) or 0,
                         getattr(args, "qat_lr_scale", QatConfig.lr_scale), bits)


def improve(args: argparse.Namespace, model, height: int, width: int, source,
            pixels: np.ndarray, options):
    """(model, options, codes, notes) after the fine-tuning and bit allocation asked for."""
    from ..codec.finetune import finetuned_codes
    from ..engine.trainer import Trainer
    from ..problem import FitProblem
    from ..render import TrainedNetwork
    from ..studies import bitalloc, ladder
    from .train_options import train_config_from_args

    target = getattr(args, "target_psnr", None)
    qat = qat_from_args(args, options.bits)
    steps = qat.steps
    codes, notes = None, []
    if steps:
        if not options.plain and options.sparsity is None:
            raise OptionError("--qat-steps with a SINR code needs --sparsity S (the support "
                              "is fixed while the coefficients are fine-tuned), or --plain.")
        rung = ladder.Rung("cli", "qat" if options.plain else "sinr-ft", options.bits,
                           options.sparsity or 0)
        phase = (qat.phase() if options.plain else
                 ladder.sinr_phase(rung, steps, qat.lr_scale, options.k2, options.seed))
        problem = FitProblem.create(pixels, model.config)
        train = replace(train_config_from_args(args), device="cpu")
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        trainer = Trainer(problem, train, (phase,), init=state)
        while not trainer.done:
            trainer.step()
        trainer.settle()
        model = trainer.model.cpu()
        codes = None if options.plain else finetuned_codes(model)
        notes.append(f"{steps} steps of quantisation-aware fine-tuning at {options.bits} bits")
    if target is not None:
        dense = source.class_map() if hasattr(source, "class_map") else source
        net = TrainedNetwork(model, height, width, dense)
        options, step = bitalloc.allocate(net, pixels, float(target), options, options.bits,
                                          source, codes)
        notes.append(f"per-tensor bits {' '.join(map(str, step.tensor_bits))} for "
                     f"{float(target):.2f} dB")
    return model, options, codes, notes
