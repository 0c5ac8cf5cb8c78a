"""The latent-grid model's configuration (Cool-chic, Ladune et al. 2023; C3, Kim et al. 2024):
frozen, JSON-serialisable, torch-free, and complete — a decoder needs nothing else.

The picture is a pyramid of G one-channel latent grids y_g of ⌈H/2^g⌉ × ⌈W/2^g⌉ values,
upsampled to H × W and turned into RGB by a tiny synthesis network; an auto-regressive
probability model (ARM) gives each quantised latent a Laplace (μ, b) from its C causal
neighbours, which is what the file's range coder uses and what training pays as rate.

The configuration is tied to its image size (the grids are the image's). Besides the fields the
network needs it answers the few questions the engine asks every model's configuration
(``tilings``, ``seg_layer``, ``segmentation``, ``parameter_count``): a latent model has no
tilings and no segmentation, so the engine's routing and segmentation steps pass it through.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

from ..errors import OptionError
from .options import ModelOptions

LATENT_KIND = "latent"
UPSAMPLINGS = ("bilinear", "bicubic")
#: The causal window the ARM's context is taken from: rows above up to this far, and columns
#: this far either side (Cool-chic's 9×9 mask).
CONTEXT_REACH = 4
#: Causal positions in that window (4 rows of 9 and 4 to the left).
MAX_CONTEXT = CONTEXT_REACH * (2 * CONTEXT_REACH + 1) + CONTEXT_REACH
MAX_GRIDS = 12
#: The smallest grid keeps at least this many values along the image's shorter side
#: (7 grids at 768×512, 5 at 256×171).
MIN_GRID_SIDE = 8
MAX_GRID_COUNT = 7
MAX_SYNTHESIS_WIDTH = 256
MAX_ARM_HIDDEN = 4


@dataclass(frozen=True)
class LatentPreset:
    """A complexity preset: synthesis width, ARM context C (= its hidden width) and hidden layers."""

    name: str
    synthesis_width: int
    arm_context: int
    arm_hidden: int


#: Cool-chic's three complexities, by decoding MACs per pixel (``LatentConfig.macs_per_pixel``
#: at 768×512: 519, 1114 and 2090).
PRESETS: dict[str, LatentPreset] = {p.name: p for p in (
    LatentPreset("500", 12, 8, 2),
    LatentPreset("1000", 16, 16, 2),
    LatentPreset("2000", 24, 24, 2),
)}
DEFAULT_PRESET = ModelOptions.latent_preset


def default_grids(height: int, width: int) -> int:
    """G: as many grids as keep the smallest one at least :data:`MIN_GRID_SIDE` values along
    the shorter side, at most :data:`MAX_GRID_COUNT` (7 at 768×512)."""
    short = min(int(height), int(width))
    g = 1
    while g < MAX_GRID_COUNT and math.ceil(short / 2 ** g) >= MIN_GRID_SIDE:
        g += 1
    return g


def context_offsets(count: int) -> tuple[tuple[int, int], ...]:
    """The ARM's C causal neighbours as (dy, dx): the nearest already-decoded positions in
    raster order (dy < 0, or dy = 0 and dx < 0), by distance; ties by the nearer row, then
    left before right. C = 16: the 12 positions within distance 2√2, both at distance 3, and
    (−1, ±3)."""
    r = CONTEXT_REACH
    causal = [(dy, dx) for dy in range(-r, 1) for dx in range(-r, r + 1)
              if dy < 0 or dx < 0]
    causal.sort(key=lambda p: (p[0] ** 2 + p[1] ** 2, -p[0], p[1]))
    return tuple(causal[:count])


@dataclass(frozen=True)
class LatentConfig:
    """A latent-grid network for an ``height`` × ``width`` image."""

    height: int
    width: int
    grids: int
    synthesis_width: int = 16
    arm_context: int = 16
    arm_hidden: int = 2
    upsampling: str = "bilinear"
    kind: str = LATENT_KIND
    out_features: int = 3

    # --- what the engine asks every configuration ---
    @property
    def tilings(self) -> tuple:
        return ()

    @property
    def seg_layer(self) -> None:
        return None

    @property
    def segmentation(self) -> None:
        return None

    # --- shapes and counts ---
    def grid_shapes(self) -> tuple[tuple[int, int], ...]:
        return tuple((math.ceil(self.height / 2 ** g), math.ceil(self.width / 2 ** g))
                     for g in range(self.grids))

    def latent_count(self) -> int:
        return sum(h * w for h, w in self.grid_shapes())

    def arm_shapes(self) -> list[tuple[int, int]]:
        """(out, in) of the ARM's linear layers: hidden (residual) layers, the output, the
        linear branch."""
        c = self.arm_context
        return [(c, c)] * self.arm_hidden + [(2, c), (2, c)]

    def synthesis_shapes(self) -> list[tuple[int, int, int]]:
        """(out, in, kernel) of the synthesis layers: G → width (ReLU) → 3, two 3×3 residual."""
        w, o = self.synthesis_width, self.out_features
        return [(w, self.grids, 1), (o, w, 1), (o, o, 3), (o, o, 3)]

    def decoder_parameter_count(self) -> int:
        arm = sum(o * i + o for o, i in self.arm_shapes())
        syn = sum(o * i * k * k + o for o, i, k in self.synthesis_shapes())
        return arm + syn

    def parameter_count(self) -> int:
        """Every trained value: the decoder's weights and every latent."""
        return self.decoder_parameter_count() + self.latent_count()

    def macs_per_pixel(self) -> float:
        """Multiply-accumulates per decoded pixel: the ARM on every latent, the upsampling
        (4 taps bilinear, 16 bicubic, for each grid but the first) and the synthesis."""
        pixels = self.height * self.width
        arm = sum(o * i for o, i in self.arm_shapes()) * self.latent_count() / pixels
        taps = 4 if self.upsampling == "bilinear" else 16
        syn = sum(o * i * k * k for o, i, k in self.synthesis_shapes())
        return arm + taps * (self.grids - 1) + syn

    # --- serialisation ---
    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @staticmethod
    def from_dict(d: dict) -> "LatentConfig":
        try:
            cfg = LatentConfig(
                height=int(d["height"]), width=int(d["width"]), grids=int(d["grids"]),
                synthesis_width=int(d["synthesis_width"]), arm_context=int(d["arm_context"]),
                arm_hidden=int(d["arm_hidden"]), upsampling=str(d["upsampling"]),
                kind=str(d.get("kind", LATENT_KIND)), out_features=int(d.get("out_features", 3)))
        except (KeyError, TypeError, ValueError) as exc:
            raise OptionError(f"latent model configuration is malformed ({exc}).") from exc
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if self.kind != LATENT_KIND:
            raise OptionError(f"a latent-grid configuration is named {LATENT_KIND!r}, not "
                              f"{self.kind!r}.")
        if not (1 <= self.height <= 1 << 16 and 1 <= self.width <= 1 << 16):
            raise OptionError(f"latent grids for a {self.width}×{self.height} image are out of range.")
        if not 1 <= self.grids <= MAX_GRIDS:
            raise OptionError(f"latent grids must be 1..{MAX_GRIDS}, got {self.grids}.")
        if not 1 <= self.synthesis_width <= MAX_SYNTHESIS_WIDTH:
            raise OptionError(f"synthesis width must be 1..{MAX_SYNTHESIS_WIDTH}, "
                              f"got {self.synthesis_width}.")
        if not 1 <= self.arm_context <= MAX_CONTEXT:
            raise OptionError(f"the ARM's context must be 1..{MAX_CONTEXT} neighbours, "
                              f"got {self.arm_context}.")
        if not 0 <= self.arm_hidden <= MAX_ARM_HIDDEN:
            raise OptionError(f"the ARM's hidden layers must be 0..{MAX_ARM_HIDDEN}, "
                              f"got {self.arm_hidden}.")
        if self.upsampling not in UPSAMPLINGS:
            raise OptionError(f"upsampling must be one of {', '.join(UPSAMPLINGS)}.")
        if self.out_features != 3:
            raise OptionError("latent-grid models draw RGB (3 channels).")


def make_latent_config(height: int, width: int, preset: str = DEFAULT_PRESET,
                       upsampling: str = "bilinear", grids: int | None = None,
                       arm_context: int | None = None) -> LatentConfig:
    """The configuration of a complexity ``preset`` for an H×W image (``grids``,
    ``arm_context``: override the preset, for ablations)."""
    if preset not in PRESETS:
        raise OptionError(f"unknown latent-model preset {preset!r}; use one of "
                          f"{', '.join(PRESETS)} (MACs per pixel).")
    p = PRESETS[preset]
    cfg = LatentConfig(int(height), int(width),
                       default_grids(height, width) if grids is None else int(grids),
                       p.synthesis_width, p.arm_context if arm_context is None else int(arm_context),
                       p.arm_hidden, upsampling)
    cfg.validate()
    return cfg
