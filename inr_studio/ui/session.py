"""Application state, free of Qt: the image, its working copy, the settings and the last run.

The window reads and changes a :class:`Session`; widgets never hold state of their own beyond
what they show. Frozen :class:`RunSettings` travel to the worker thread unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.config import TrainConfig
from ..engine.presets import CPU, Preset, for_device
from ..errors import InrStudioError, OptionError
from ..imaging import LoadedImage, load_image, resize_image, working_size  # noqa: F401 - working_size re-exported
from ..metrics import to_uint8
from ..models import ModelConfig, ModelSpec, registry
from ..models.options import ModelOptions
from ..models.registry import MAX_SIDE_BY_SIDE, PAPER_MODELS
from ..segmentation import Segmentation, SegmentationConfig, segment
from ..tiling import LayerTiling, aliasing_warning, auto_tile_scale, cell_size_pixels
from .run_record import RunRecord

# ``problem`` imports torch: it is imported where used, so that the window
# paints before torch loads.

#: Multi-Otsu searches all threshold combinations over 256 bins: 4 classes take ~0.1 s, 5 take
#: seconds and 6 minutes, so the window offers more classes with equal bins only.
MAX_OTSU_CLASSES = 4
LONG_SIDES = (64, 96, 128, 192, 256, 384, 512, 768, 1024, 0)  # 0: the image's own size
BATCHES = (0, 1024, 4096, 16384, 65536)  # 0: every pixel every step (the paper)


@dataclass(frozen=True)
class RunSettings:
    """Everything a run depends on. Defaults are the ``cpu`` preset's (:mod:`inr_studio.engine
    .presets`); :func:`defaults_for` gives a device's. A field named like one of
    :class:`TrainConfig`'s is that field (``batch_pixels`` 0: the full batch), so a training
    field the window shows is one field here, read and written by name."""

    device: str = "auto"
    iters: int = CPU.train.iters
    lr: float = CPU.train.lr
    width: int = CPU.width
    depth: int = ModelOptions.depth
    seed: int = CPU.train.seed
    long_side: int = CPU.long_side
    batch_pixels: int = 0
    #: Share of the steps that first fit one random pixel of each 2×2 cell (the coarse
    #: warm-up, ~4× cheaper a step): measured to help most in a minute of CPU training.
    warmup: float = CPU.train.warmup
    #: The learning-rate schedule (``auto``: each model's own) and whether a run returns its
    #: best step's weights (the ``paper`` preset: constant, the last step's).
    schedule: str = CPU.train.schedule
    keep_best: bool = CPU.train.keep_best
    scale_tiles: bool = CPU.scale_tiles
    seg_method: str = ModelOptions.seg_method
    seg_classes: int = ModelOptions.seg_classes
    seg_layer: int = 0  # 1-based; 0: the last layer (the paper's L4)
    models: tuple[str, ...] = PAPER_MODELS  # registry keys, in display order

    def __post_init__(self) -> None:
        if not 1 <= len(self.models) <= MAX_SIDE_BY_SIDE:
            raise OptionError(f"choose 1 to {MAX_SIDE_BY_SIDE} models, got {len(self.models)}.")
        if len(set(self.models)) != len(self.models):
            raise OptionError("each model can be chosen once.")
        for key in self.models:
            registry.entry(key)  # raises for a model this build lacks
        self.train_config()  # the training values, checked where they are defined
        if not 1 <= self.depth <= 8:
            raise OptionError(f"depth must be 1..8 hidden layers, got {self.depth}.")
        if self.long_side < 0:
            raise OptionError(f"working size must be positive, got {self.long_side}.")
        SegmentationConfig(self.seg_method, self.seg_classes)  # validates both

    @property
    def layers(self) -> int:
        return self.depth + 1

    @property
    def effective_seg_layer(self) -> int:
        return self.layers if self.seg_layer <= 0 else min(self.seg_layer, self.layers)

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict, base: "RunSettings | None" = None) -> "RunSettings":
        """Settings from stored values; unknown keys are ignored and bad values keep ``base``."""
        out = base or RunSettings()
        for f in fields(RunSettings):
            if f.name not in data:
                continue
            try:
                value = data[f.name]
                if f.name == "models":  # a model from another build: dropped, the rest kept
                    value = tuple(dict.fromkeys(
                        str(k) for k in value if str(k) in registry.REGISTRY))[:MAX_SIDE_BY_SIDE]
                kind = type(getattr(out, f.name))
                out = replace(out, **{f.name: kind(value)})
            except (TypeError, ValueError, InrStudioError):
                continue
        return out

    def usable(self) -> "RunSettings":
        """These settings with Multi-Otsu limited to :data:`MAX_OTSU_CLASSES` classes."""
        if self.seg_method == "multiotsu" and self.seg_classes > MAX_OTSU_CLASSES:
            return replace(self, seg_classes=MAX_OTSU_CLASSES)
        return self

    def tile_scale(self, height: int, width: int) -> float:
        return auto_tile_scale(height, width) if self.scale_tiles else 1.0

    def model_options(self, height: int, width: int) -> ModelOptions:
        return ModelOptions(width=self.width, depth=self.depth,
                            tile_scale=self.tile_scale(height, width),
                            seg_layer=self.effective_seg_layer, seg_method=self.seg_method,
                            seg_classes=self.seg_classes, image_size=(height, width))

    def model_specs(self, height: int, width: int) -> tuple[ModelSpec, ...]:
        """The chosen models, built for a working image of ``height``×``width``."""
        return registry.build_specs(self.models, self.model_options(height, width))

    def train_config(self, device: str | None = None) -> TrainConfig:
        """The run's :class:`TrainConfig`: every field these settings share with it, by name."""
        shared = {f.name: getattr(self, f.name) for f in fields(TrainConfig)
                  if f.name in _FIELDS and f.name != "device"}
        shared["batch_pixels"] = self.batch_pixels or None
        return TrainConfig(**shared, device=device or self.device)

    @staticmethod
    def from_preset(preset: Preset, **changes) -> "RunSettings":
        """A preset's values: its training fields the window shows, width, working size and
        tile scaling."""
        shared = {f.name: getattr(preset.train, f.name) for f in fields(TrainConfig)
                  if f.name in _FIELDS and f.name != "device"}
        shared["batch_pixels"] = preset.train.batch_pixels or 0
        return RunSettings(**{**shared, "width": preset.width, "long_side": preset.long_side,
                              "scale_tiles": preset.scale_tiles, **changes})


_FIELDS = {f.name for f in fields(RunSettings)}


def defaults_for(device_type: str) -> RunSettings:
    """The settings of the device's preset (:func:`inr_studio.engine.presets.for_device`)."""
    return RunSettings.from_preset(for_device(device_type))


@dataclass(frozen=True)
class MapsData:
    """What the maps view draws: the segmentation and each model's per-layer expert ids."""

    segmentation: Segmentation | None
    layers: dict[str, list[tuple[str, np.ndarray]]]  # kind -> [(label, H×W ids)]
    warning: str | None = None
    error: str | None = None
    picture: np.ndarray | None = None  # the working image as uint8, drawn under the maps
    #: kind -> per layer, the (width, height) of a grid cell in pixels (None: not a grid)
    cells: dict[str, list[tuple[float, float] | None]] = field(default_factory=dict)


def has_experts(config: ModelConfig) -> bool:
    """Whether some layer of the model has more than one expert (a map worth drawing)."""
    return any(t.experts > 1 for t in config.tilings)


def make_working(image: LoadedImage, settings: RunSettings) -> np.ndarray:
    """The working copy of ``image`` at the settings' working size."""
    h, w = working_size(image.height, image.width, settings.long_side)
    return resize_image(image.pixels, h, w)


#: Settings whose change needs a new working image, or new maps (see :func:`rework_needed`).
WORKING_KEYS = ("long_side",)
MAPS_KEYS = ("depth", "scale_tiles", "seg_method", "seg_classes", "seg_layer", "models")


def rework_needed(old: RunSettings, new: RunSettings) -> str | None:
    """'working', 'maps' or None: what a change from ``old`` to ``new`` makes stale."""
    if any(getattr(old, k) != getattr(new, k) for k in WORKING_KEYS):
        return "working"
    if any(getattr(old, k) != getattr(new, k) for k in MAPS_KEYS):
        return "maps"
    return None


def compute_maps(pixels: np.ndarray, settings: RunSettings) -> MapsData:
    """Segmentation and the expert-id map of every layer of each chosen model with experts."""
    from ..problem import expert_id_maps  # imports torch: here, so the window paints first

    h, w = pixels.shape[:2]
    picture = to_uint8(pixels)
    try:
        seg = segment(pixels, SegmentationConfig(settings.seg_method, settings.seg_classes))
    except InrStudioError as exc:
        return MapsData(None, {}, error=str(exc), picture=picture)
    layers: dict[str, list[tuple[str, np.ndarray]]] = {}
    cells: dict[str, list[tuple[float, float] | None]] = {}
    warning = None
    for spec in settings.model_specs(h, w):
        cfg = spec.config
        if not has_experts(cfg):
            continue
        maps = expert_id_maps(cfg, h, w, seg.class_map)
        layers[spec.key] = [(f"L{i} {tiling_label(t, h, w)}", m) for i, (t, m) in
                        enumerate(zip(cfg.tilings, maps), start=1)]
        cells[spec.key] = [cell_size_pixels(t, h, w) for t in cfg.tilings]
        warning = warning or aliasing_warning(cfg.tilings, h, w)
    return MapsData(seg, layers, warning=warning, picture=picture, cells=cells)


def tiling_label(tiling: LayerTiling, height: int, width: int) -> str:
    """E.g. 'grid A=21.3, 3.0×3.0 px cells' or 'segmentation (4 classes)'."""
    size = cell_size_pixels(tiling, height, width)
    if size is None:
        return tiling.label()
    return f"grid A={tiling.scale:.3g}, {size[0]:.3g}×{size[1]:.3g} px cells"


@dataclass(frozen=True)
class LoadRequest:
    """What to make: read ``path``; else rework ``image`` (its maps only, when ``working`` is
    given). ``tag`` travels with the results (what the window does when they arrive)."""

    settings: RunSettings
    path: str | None = None
    image: LoadedImage | None = None
    working: np.ndarray | None = None
    tag: Any = None


@dataclass(frozen=True)
class LoadProgress:
    text: str  # what the load is doing now


@dataclass(frozen=True)
class ImageStage:
    """First result of a load: the image (new, or the current one) and its working copy."""

    image: LoadedImage
    working: np.ndarray
    path: str | None  # the file opened; None when only the settings changed
    tag: Any = None


@dataclass(frozen=True)
class MapsStage:
    maps: MapsData
    tag: Any = None


@dataclass(frozen=True)
class LoadFailure:
    path: str | None
    message: str
    tag: Any = None


def load_stages(request: LoadRequest) -> Iterator[LoadProgress | ImageStage | MapsStage]:
    """A load in stages: the image and its working copy first (the user sees the picture), then
    the segmentation and expert maps. The window runs it in a background job (which can end it
    between stages); :meth:`Session.set_settings` runs it at once."""
    image, working = request.image, request.working
    if request.path is not None:
        yield LoadProgress(f"Reading {Path(request.path).name}…")
        image, working = load_image(request.path), None
    assert image is not None
    if working is None:
        yield LoadProgress("Resizing to the working size…")
        working = make_working(image, request.settings)
        yield ImageStage(image, working, request.path, request.tag)
    yield LoadProgress("Segmenting, drawing the expert maps…")
    yield MapsStage(compute_maps(working, request.settings), request.tag)


def load_failure(request: LoadRequest, exc: Exception) -> LoadFailure:
    """The message for a load that raised ``exc``: a user error says why, a reader's crash or
    a lack of memory is named, and nothing else is lost."""
    name = Path(request.path).name if request.path else "the image"
    if isinstance(exc, InrStudioError):
        message = str(exc)
    elif isinstance(exc, MemoryError):
        message = f"{name} is too large to open in the memory this machine has free."
    else:
        message = f"{name} could not be opened: {type(exc).__name__}: {exc}"
    return LoadFailure(request.path, message, request.tag)


class Session:
    """The open image, its working copy, the maps, the settings and the last run."""

    def __init__(self, settings: RunSettings | None = None) -> None:
        self.settings = settings or RunSettings()
        self.image: LoadedImage | None = None
        self.working: np.ndarray | None = None
        self.maps: MapsData | None = None
        self.record: RunRecord | None = None
        self.trainers: dict = {}  # kind -> Trainer, only once the worker has finished

    @property
    def name(self) -> str:
        return Path(self.image.source).name if self.image else ""

    def set_image(self, image: LoadedImage) -> None:
        """Open an image already read; its working copy and maps are made at once."""
        self.image = image
        self.record = None
        self.trainers = {}
        self.make(LoadRequest(self.settings, image=image))

    def set_settings(self, settings: RunSettings,
                     run: Callable[[LoadRequest], object] | None = None) -> bool:
        """Apply new settings; True if the working image or the maps must be made again.
        ``run(request)`` makes them (the window's background lane, whose stages come back to
        :meth:`apply`); without it they are made at once, through the same stages."""
        old, self.settings = self.settings, settings
        need = rework_needed(old, settings) if self.image is not None else None
        if need is None:
            return False
        keep = self.working if need == "maps" else None
        (run or self.make)(LoadRequest(settings, image=self.image, working=keep))
        return True

    def make(self, request: LoadRequest) -> None:
        """Run a load at once on this thread (scripts, tests); errors are raised."""
        for stage in load_stages(request):
            self.apply(stage)

    def apply(self, stage: LoadProgress | ImageStage | MapsStage) -> None:
        """The one place a load's result changes the session (the window's loads included)."""
        if isinstance(stage, ImageStage):
            self.adopt_image(stage.image, stage.working)
        elif isinstance(stage, MapsStage):
            self.maps = stage.maps

    def adopt_image(self, image: LoadedImage, working: np.ndarray) -> None:
        """A loaded image and its working copy; the maps follow."""
        if image is not self.image:
            self.record = None
            self.trainers = {}
        self.image = image
        self.working = working
        self.maps = None

    def model_specs(self) -> tuple[ModelSpec, ...]:
        """The run's models: the chosen registry entries at the working size."""
        assert self.working is not None
        h, w = self.working.shape[:2]
        return self.settings.model_specs(h, w)

    def model_configs(self) -> dict[str, ModelConfig]:
        return {spec.key: spec.config for spec in self.model_specs()}
