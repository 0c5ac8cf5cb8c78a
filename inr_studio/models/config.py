"""Model configuration: frozen, JSON-serialisable, and the paper's setting by default."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ..errors import OptionError
from ..segmentation import SegmentationConfig
from ..tiling import LayerTiling, grid
from .options import ModelOptions

#: The paper's four tiling families; which models exist is :mod:`inr_studio.engine.registry`.
MODEL_KINDS = ("siren", "ftc", "qt", "hs")
PAPER_FTC = (128.0, 8.0, 4.0, 2.0)
ACTIVATIONS = ("sine", "relu")
ENCODINGS = ("none", "nerf", "gauss")


@dataclass(frozen=True)
class ModelConfig:
    """A coordinate network: one tiling per linear layer (``depth`` hidden layers + output).

    ``kind`` is the registry key of the model (``siren``, ``hs``, ``pe-relu``...): a name, not
    the architecture, which the other fields describe completely (a decoder needs nothing else).
    ``in_features`` is the coordinate dimension (2); an ``encoding`` widens the first layer's
    input to :attr:`encoded_features` (docs/models.md). ``gradient_fit`` marks a network trained on
    the image's gradients (EoREN, docs/models.md): the same SIREN, a different objective.
    """

    kind: str
    tilings: tuple[LayerTiling, ...]
    width: int = ModelOptions.width
    omega0: float = ModelOptions.omega0
    in_features: int = 2
    out_features: int = ModelOptions.out_features
    segmentation: SegmentationConfig | None = None
    activation: str = "sine"
    encoding: str = "none"
    pe_levels: int = 0  # nerf: frequencies 2^0..2^(L-1)
    pe_features: int = 0  # gauss: m rows of B
    pe_sigma: float = 0.0  # gauss: B ~ N(0, σ²)
    pe_seed: int = 0  # gauss: the seed that draws B (stored instead of B)
    gradient_fit: bool = False

    @property
    def depth(self) -> int:
        return len(self.tilings) - 1

    @property
    def seg_layer(self) -> int | None:
        """1-based index of the segmentation layer, if any."""
        for i, t in enumerate(self.tilings, start=1):
            if t.kind == "segment":
                return i
        return None

    @property
    def encoded_features(self) -> int:
        """Width of the first layer's input: the coordinates, or their encoding γ(p)."""
        if self.encoding == "nerf":
            return self.in_features * (1 + 2 * self.pe_levels)
        if self.encoding == "gauss":
            return 2 * self.pe_features
        return self.in_features

    def layer_shapes(self) -> list[tuple[int, int]]:
        """(out, in) of each linear layer."""
        dims = [self.encoded_features] + [self.width] * self.depth + [self.out_features]
        return [(dims[i + 1], dims[i]) for i in range(len(dims) - 1)]

    def parameter_count(self) -> int:
        return sum(t.experts * o * i + o for t, (o, i) in zip(self.tilings, self.layer_shapes()))

    def macs_per_pixel(self) -> int:
        """Multiply-accumulates of one forward pass per pixel: each layer's ``out × in``
        matrix product (an LoE layer picks one expert per pixel, so it costs one expert's
        matrix however many it holds), plus the Gaussian encoding's ``B·p`` (m × 2). Biases,
        activations and the encoding's elementwise products and sines are not counted
        (docs/models.md, *Cost per pixel*)."""
        encoding = self.in_features * self.pe_features if self.encoding == "gauss" else 0
        return encoding + sum(o * i for o, i in self.layer_shapes())

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "width": self.width,
            "omega0": self.omega0,
            "in_features": self.in_features,
            "out_features": self.out_features,
            "tilings": [t.to_dict() for t in self.tilings],
            "segmentation": None if self.segmentation is None else {
                "method": self.segmentation.method, "classes": self.segmentation.classes,
                **({"thumbnail": self.segmentation.thumbnail} if self.segmentation.thumbnail else {})},
            **{k: getattr(self, k) for k in _NEW_FIELDS if getattr(self, k) != _DEFAULTS[k]},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
        try:
            seg = d.get("segmentation")
            cfg = ModelConfig(
                kind=str(d["kind"]),
                tilings=tuple(LayerTiling.from_dict(t) for t in d["tilings"]),
                width=int(d["width"]),
                omega0=float(d["omega0"]),
                in_features=int(d.get("in_features", 2)),
                out_features=int(d.get("out_features", 3)),
                segmentation=None if seg is None else SegmentationConfig(
                    str(seg["method"]), int(seg["classes"]), int(seg.get("thumbnail", 0))),
                **{k: type(_DEFAULTS[k])(d[k]) for k in _NEW_FIELDS if k in d},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise OptionError(f"model configuration is malformed ({exc}).") from exc
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if not (isinstance(self.kind, str) and 1 <= len(self.kind) <= 32 and self.kind.isascii()
                and self.kind.replace("-", "").replace("_", "").isalnum()):
            raise OptionError(f"model name {self.kind!r} is not a short ASCII name.")
        if self.activation not in ACTIVATIONS:
            raise OptionError(f"activation must be one of {', '.join(ACTIVATIONS)}.")
        if self.encoding not in ENCODINGS:
            raise OptionError(f"encoding must be one of {', '.join(ENCODINGS)}.")
        if self.encoding == "nerf" and not 1 <= self.pe_levels <= 16:
            raise OptionError(f"positional-encoding levels must be 1..16, got {self.pe_levels}.")
        if self.encoding == "gauss" and not (1 <= self.pe_features <= 4096
                                             and 0 < self.pe_sigma < 1e4):
            raise OptionError("Gaussian Fourier features need 1..4096 features and 0 < σ < 1e4.")
        if not 0 <= self.pe_seed < 2**63:
            raise OptionError(f"encoding seed must be in 0..2^63-1, got {self.pe_seed}.")
        check_shape(self.width, self.depth, self.omega0)
        if self.in_features != 2 or not 1 <= self.out_features <= 4:
            raise OptionError("models map 2-D coordinates to 1..4 channels.")
        if self.seg_layer is not None and self.segmentation is None:
            raise OptionError("a segmentation layer needs a segmentation configuration.")


_NEW_FIELDS = ("activation", "encoding", "pe_levels", "pe_features", "pe_sigma", "pe_seed",
               "gradient_fit")
_DEFAULTS = {"activation": "sine", "encoding": "none", "pe_levels": 0, "pe_features": 0,
             "pe_sigma": 0.0, "pe_seed": 0, "gradient_fit": False}


def check_shape(width: int, depth: int, omega0: float) -> None:
    """The one check of a network's width, depth (hidden layers) and ω0: for the options that
    build one and for the configuration a file declares."""
    if not 1 <= width <= 4096:
        raise OptionError(f"width must be 1..4096, got {width}.", "width")
    if not 1 <= depth <= 32:
        raise OptionError(f"depth (hidden layers) must be 1..32, got {depth}.", "depth")
    if not (1e-3 <= omega0 < 1e4):
        # a vanishing ω0 overflows the SIREN init bound √(6/n)/ω0 (found by fuzzing .sinr)
        raise OptionError(f"omega0 must be in [0.001, 10000), got {omega0}.", "omega0")


def default_pe_levels(height: int, width: int) -> int:
    """NeRF levels for an H×W working size (docs/models.md): the largest L whose finest frequency
    2^(L−1)·π still has two or more pixels per period along the longest side (a pixel is 2/N
    wide on [-1, 1]), i.e. L = ⌊log2(longest side)⌋: 768 px → 9, 512 → 9, 96 → 6; 1..16."""
    longest = max(int(height), int(width), 2)
    return max(1, min(16, int(np.floor(np.log2(longest)))))


def default_ftc_scales(layers: int) -> tuple[float, ...]:
    """The paper's (128, 8, 4, 2) for four layers; otherwise powers of two from 128 down to 2."""
    if layers == 4:
        return PAPER_FTC
    exps = np.round(np.linspace(7, 1, layers)) if layers > 1 else np.array([7.0])
    return tuple(float(2**e) for e in exps)


def make_model_config(
    kind: str,
    width: int = ModelOptions.width,
    depth: int = ModelOptions.depth,
    omega0: float = ModelOptions.omega0,
    scales: tuple[float, ...] | None = None,
    seg_layer: int | None = None,
    seg_method: str = ModelOptions.seg_method,
    seg_classes: int = ModelOptions.seg_classes,
    tile_scale: float = ModelOptions.tile_scale,
    out_features: int = ModelOptions.out_features,
) -> ModelConfig:
    """The paper's four models (docs/models.md), with every knob the ablations need.

    ``scales`` are the A_i of an LoE (FtC order for HS-LoE); ``tile_scale`` multiplies them (use
    :func:`inr_studio.tiling.auto_tile_scale` to keep the paper's cell sizes in pixels).
    HS-LoE replaces layer ``seg_layer`` (default: the last) of FtC by the segmentation; at L1 it
    follows the paper's Table 2: FtC's L1 tiling first moves to L2, then L1 becomes segmentation.
    """
    if kind not in MODEL_KINDS:
        raise OptionError(f"unknown model {kind!r}; use one of {', '.join(MODEL_KINDS)}.")
    if not (tile_scale > 0 and np.isfinite(tile_scale)):
        raise OptionError(f"tile scale must be positive, got {tile_scale}.")
    check_shape(width, depth, omega0)
    layers = depth + 1
    if kind == "siren":
        tilings = tuple(LayerTiling() for _ in range(layers))
        return _checked(ModelConfig(kind, tilings, width, omega0, out_features=out_features))
    if scales is None:
        scales = default_ftc_scales(layers)
        if kind == "qt":
            scales = tuple(reversed(scales))
    if len(scales) != layers:
        raise OptionError(f"{len(scales)} scales given for {layers} linear layers; give one per layer.")
    tilings = [grid(a * tile_scale) for a in scales]
    seg = None
    if kind == "hs":
        seg_layer = layers if seg_layer is None else seg_layer
        if not 1 <= seg_layer <= layers:
            raise OptionError(f"segmentation layer must be 1..{layers}, got {seg_layer}.")
        seg = SegmentationConfig(seg_method, seg_classes)
        if seg_layer == 1 and layers > 1:
            tilings[1] = tilings[0]
        tilings[seg_layer - 1] = LayerTiling("segment", classes=seg_classes)
    elif seg_layer is not None:
        raise OptionError("--seg-layer only applies to the hs model.")
    return _checked(ModelConfig(kind, tuple(tilings), width, omega0, out_features=out_features,
                                segmentation=seg))


def _checked(cfg: ModelConfig) -> ModelConfig:
    cfg.validate()
    return cfg

