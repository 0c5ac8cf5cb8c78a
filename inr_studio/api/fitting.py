"""``fit``: one image, any set of registry models trained side by side by the one engine, with
the presets and options of the window and the command line; results as frozen dataclasses."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np

from ..engine.config import QatConfig, TrainConfig
from ..models import registry
from ..problem import FitProblem
from ..render import TrainedNetwork

if TYPE_CHECKING:
    from PIL import Image

    from ..codec import CodecOptions
    from .files import SavedSinr

#: An image as ``fit`` takes it: a file path, a PIL image, or a numpy array (uint8, uint16 or
#: float in [0, 1]; H×W gray, H×W×3 RGB or H×W×4 RGBA).
ImageLike = Union[str, os.PathLike, np.ndarray, "Image.Image"]


@dataclass(frozen=True, eq=False)
class ModelResult:
    """One model's end of a :func:`fit`: its figures, its PSNR curve and the trained network.

    ``best_psnr`` is the whole-image PSNR of the network the run returns, ``network``: the
    weights of its best step, ``best_step`` (updates done), under the ``cpu`` and ``gpu``
    presets; the last step's under ``paper``. ``last_psnr`` is the last step's weights' either
    way; ``ssim`` the returned network's. ``steps`` and ``psnr`` are the curve (the PSNR of each
    step's forward pass, before its update). ``seconds`` is the model's own training time;
    ``iters`` the steps it took (fewer than planned if stopped).
    """

    key: str
    label: str
    best_psnr: float
    best_step: int
    last_psnr: float
    ssim: float
    steps: np.ndarray = field(repr=False)
    psnr: np.ndarray = field(repr=False)
    params: int
    seconds: float
    iters: int
    stopped: bool
    #: The trained network (on the CPU) with its size and (HS-LoE) class map.
    network: TrainedNetwork = field(repr=False)
    #: The working image and configuration it was trained on (what a .sinr's QAT fine-tunes on).
    problem: FitProblem = field(repr=False)
    train: TrainConfig = field(repr=False)

    def render(self, height: int | None = None, width: int | None = None) -> np.ndarray:
        """The network's picture, H×W×3 float32 in [0, 1], at the working size or any other."""
        return self.network.render(height, width)

    def save_sinr(self, path: str | os.PathLike, options: CodecOptions | None = None,
                  qat: QatConfig | None = None) -> SavedSinr:
        """Save the network as a ``.sinr`` file (see :func:`save_sinr`)."""
        return save_sinr(self, path, options, qat)


@dataclass(frozen=True, eq=False)
class Run:
    """What :func:`fit` returns: each model's :class:`ModelResult` (``run["hs"]``, ``for m in
    run``), the working image, and how it was trained."""

    models: tuple[ModelResult, ...]
    image: np.ndarray = field(repr=False)
    source_size: tuple[int, int] = (0, 0)  # (height, width) of the image given
    preset: str = ""
    protocol: str = ""  # the preset and what overrode it, as the CLI's first line says
    train: TrainConfig = field(default_factory=TrainConfig, repr=False)
    device: str = ""
    interrupted: bool = False  # Ctrl-C (the notebook's stop button) ended it early

    def __getitem__(self, key: str) -> ModelResult:
        for m in self.models:
            if m.key == key:
                return m
        raise KeyError(f"{key!r} was not fitted; this run has {', '.join(self.keys())}")

    def __iter__(self) -> Iterator[ModelResult]:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)

    def keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.models)

    def rows(self) -> list[dict]:
        """One dict of figures per model (``pandas.DataFrame(run.rows())``)."""
        names = ("key", "label", "best_psnr", "best_step", "last_psnr", "ssim", "params",
                 "seconds", "iters")
        return [{n: getattr(m, n) for n in names} for m in self.models]


def save_sinr(result: ModelResult, path: str | os.PathLike, options: CodecOptions | None = None,
              qat: QatConfig | None = None) -> SavedSinr:
    """Write ``result``'s network to ``path`` as ``.sinr`` and measure the file.

    ``options``: the coding (default :class:`~inr_studio.codec.CodecOptions`: SINR at 1 %
    weight error, 16 bits; with ``qat`` and no options, plain quantisation at ``qat.bits``).
    ``qat``: fine-tune the network through the file's quantiser first (``qat.steps`` at
    ``qat.lr_scale`` × the run's learning rate; for a SINR code, its coefficients on a fixed
    support: give ``CodecOptions(sparsity=S)``); ``qat.bits`` must be the file's bits.
    """
    from .files import write_network

    return write_network(result.network, result.problem, result.train, path, options, qat,
                         result.last_psnr)


def read_image(image: ImageLike):
    """A path, a PIL image or a numpy array as the loader reads a file
    (:class:`~inr_studio.imaging.LoadedImage`: float32 H×W×3 in [0, 1] and its notes)."""
    from ..imaging import image_from_memory, load_image

    if isinstance(image, (str, os.PathLike)):
        return load_image(Path(image))
    return image_from_memory(image)


def fit(image: ImageLike, models: str | Iterable[str] = registry.PAPER_MODELS, *,
        preset: str | None = None, iters: int | None = None, lr: float | None = None,
        warmup: float | None = None, batch_pixels: int | None = None, seed: int | None = None,
        width: int | None = None, depth: int | None = None, omega0: float | None = None,
        long_side: int | None = None, scale: float | None = None,
        tile_scale: str | float | None = None, device: str = "auto",
        model_options: Mapping[str, object] | None = None, progress: bool = True) -> Run:
    """Train ``models`` side by side on ``image`` and return each one's result.

    ``preset``: "cpu", "gpu", "paper" or None (the device's); every other argument left as
    None is the preset's value (or the network's default: depth 3, ω0 30). ``model_options``:
    options of some models only (``seg_classes``, ``pe_levels``, ``eoren_colour_steps``...).
    ``progress``: a tqdm bar (a widget in Jupyter); False for none.
    """
    from ..cli.common import (check_fits, check_model_specific, check_segmentable,
                              spec_from_args, train_config_from_args)
    from ..cli.train_options import preset_from_args, protocol, target_size
    from ..device import describe, pick_device
    from ..engine.fit import fit_side_by_side
    from ..imaging import resize_image
    from ..tiling import aliasing_warning
    from .options import model_keys, study_options

    keys = model_keys(models)
    args = study_options(preset, device, model_options, iters=iters, lr=lr, warmup=warmup,
                         batch_pixels=batch_pixels, seed=seed, width=width, depth=depth,
                         omega0=omega0, long_side=long_side, scale=scale, tile_scale=tile_scale)
    check_model_specific(args, keys)
    train = train_config_from_args(args)
    loaded = read_image(image)
    h, w = target_size(args, loaded.height, loaded.width)
    pixels = resize_image(loaded.pixels, h, w)
    specs = tuple(spec_from_args(args, h, w, kind=k) for k in keys)
    for spec in specs:
        check_segmentable(pixels, spec)
        alias = aliasing_warning(spec.config.tilings, h, w)
        if alias:
            warnings.warn(f"{spec.key}: {alias} Pass tile_scale='auto'.", stacklevel=2)
    check_fits(args, pixels, specs, h / loaded.height)
    steps = {k: [] for k in keys}
    curves = {k: [] for k in keys}
    bar = _bar(sum(s.total_steps(train.iters) for s in specs), progress)
    done: dict[str, int] = {}

    def on_progress(batch) -> None:
        for key, (s, p) in batch.points.items():
            steps[key].append(s)
            curves[key].append(p)
        done.update({k: st.step for k, st in batch.stats.items()})
        bar.set_postfix_str("  ".join(f"{k} {st.psnr:.2f} dB" for k, st in batch.stats.items()
                                      if np.isfinite(st.psnr)), refresh=False)
        bar.update(sum(done.values()) - bar.n)

    try:
        run, results, interrupted = fit_side_by_side(
            pixels, specs, train, on_progress, cpu_threads=preset_from_args(args).cpu_threads())
    finally:
        bar.close()
    out = []
    for spec in specs:
        r, trainer = results[spec.key], run.trainers[spec.key]
        s = np.concatenate(steps[spec.key]) if steps[spec.key] else np.zeros(0, np.int64)
        p = np.concatenate(curves[spec.key]) if curves[spec.key] else np.zeros(0)
        best_step = r.best_step if r.kept_best else r.steps
        last = r.last_psnr if np.isfinite(r.last_psnr) else r.psnr
        problem = trainer.problem
        net = TrainedNetwork(trainer.model.cpu().eval(), problem.height, problem.width,
                             problem.class_map)
        out.append(ModelResult(spec.key, spec.label, r.psnr, best_step, last, r.ssim, s, p,
                               spec.config.parameter_count(), r.seconds, r.steps, r.stopped,
                               net, problem, train))
    return Run(tuple(out), pixels, (loaded.height, loaded.width), preset_from_args(args).name,
               protocol(args), train, describe(pick_device(train.device)), interrupted)


def _bar(total: int, progress: bool):
    """tqdm.auto: a widget in Jupyter, a text bar on stderr elsewhere."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="fit", unit="step", disable=not progress, leave=True)
