"""``.sinr`` files from the API: save a fitted model with the codec's options (and, optionally,
quantisation-aware fine-tuning first), open a file and render it at any size. The steps are the
codec's and the studies' (the same as ``inr-studio encode``): fine-tune, encode, decode again to
measure, write atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from ..codec import CodecOptions, SinrFile
from ..engine.config import QatConfig, TrainConfig
from ..errors import OptionError
from ..problem import FitProblem
from ..render import TrainedNetwork


@dataclass(frozen=True)
class SavedSinr:
    """A written ``.sinr`` file: its size, bits per pixel and the decoded network's PSNR
    against the working image (``psnr``), beside the network's own before coding."""

    path: Path
    file_bytes: int
    bpp: float
    psnr: float
    psnr_before: float
    coding: str  # "plain 12-bit", "SINR target 0.01, k2=4096, 16-bit" (+ the fine-tuning)


def write_network(network: TrainedNetwork, problem: FitProblem, train: TrainConfig,
                  path: str | os.PathLike, options: CodecOptions | None = None,
                  qat: QatConfig | None = None, psnr_before: float = float("nan")) -> SavedSinr:
    """Write ``network`` (trained on ``problem`` with ``train``) to ``path`` as ``.sinr``
    and measure it (decoded again, against ``problem.pixels``); ``options`` and ``qat`` as in
    :func:`inr_studio.api.save_sinr`, ``psnr_before`` the network's own PSNR, for the record."""
    from ..codec import class_map_source, roundtrip, write_sinr
    from ..codec.finetune import finetuned_codes
    from ..studies.ladder import finetune

    if options is None:
        options = CodecOptions() if qat is None else CodecOptions(plain=True, bits=qat.bits)
    out = Path(path)
    if out.is_dir():
        raise OptionError(f"{out} is a folder; give a file name such as {out}/image.sinr.")
    net, codes, coding = network, None, options.label()
    if qat is not None and qat.steps:
        if qat.bits != options.bits:
            raise OptionError(f"the fine-tuning's {qat.bits} bits differ from the file's "
                              f"{options.bits}; use QatConfig(bits={options.bits}).")
        if not options.plain and options.sparsity is None:
            raise OptionError("fine-tuning a SINR code needs a fixed support: give "
                              "CodecOptions(sparsity=S), or plain=True.")
        extra = ({} if options.tensor_bits is None or not options.plain
                 else {"tensor_bits": ",".join(map(str, options.tensor_bits))})
        phase = (qat.phase(**extra) if options.plain else qat.phase(
            "sinr-finetune", sparsity=options.sparsity, k2=options.k2, seed=options.seed))
        state = {k: v.detach().clone() for k, v in net.model.state_dict().items()}
        tuned = finetune(problem, replace(train, device="cpu"), state, phase)
        model = tuned.model.cpu().eval()
        net = TrainedNetwork(model, net.height, net.width, net.class_map)
        codes = None if options.plain else finetuned_codes(model)
        coding += f", {qat.steps} steps of quantisation-aware fine-tuning"
    trip = roundtrip(net, problem.pixels, options, class_map=class_map_source(problem.segmentation),
                     codes=codes)
    write_sinr(out, trip.data)
    return SavedSinr(out, trip.file_bytes, trip.bpp, trip.psnr, psnr_before, coding)


def open_sinr(path: str | os.PathLike) -> SinrFile:
    """A ``.sinr`` file, decoded: ``.render(height, width)`` at any size, ``.height``/``.width``
    (its source size), ``.bpp``, ``.file_bytes``, ``.header``. A damaged or foreign file raises
    :class:`~inr_studio.errors.SinrFormatError`."""
    from ..codec import read_sinr

    return read_sinr(path)
