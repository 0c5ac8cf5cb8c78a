"""The models inr-studio knows: one entry each, so a new model is one entry here.

An entry turns the knobs shared by a comparison (:class:`ModelOptions`) into a
:class:`~inr_studio.models.spec.ModelSpec`: the network configuration and the training
schedule. Views take names and colours from here; the CLI takes its ``--model`` choices from
here; the engine trains whatever specs it is given. Torch-free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import OptionError
from .config import ModelConfig, make_model_config
from .spec import ModelSpec, Phase


@dataclass(frozen=True)
class ModelOptions:
    """The knobs every model of one comparison shares (the paper's setting by default).

    ``image_size`` (H, W) is the working size: some defaults depend on it (LoE tile scales
    are applied by the caller through ``tile_scale``; positional-encoding levels by the entry).
    """

    width: int = 256
    depth: int = 3
    omega0: float = 30.0
    tile_scale: float = 1.0
    seg_layer: int | None = None
    seg_method: str = "multiotsu"
    seg_classes: int = 4
    out_features: int = 3
    image_size: tuple[int, int] = (512, 768)


def _paper(kind: str) -> Callable[[ModelOptions], ModelConfig]:
    def make(o: ModelOptions) -> ModelConfig:
        return make_model_config(
            kind, width=o.width, depth=o.depth, omega0=o.omega0,
            seg_layer=o.seg_layer if kind == "hs" else None, seg_method=o.seg_method,
            seg_classes=o.seg_classes, tile_scale=o.tile_scale, out_features=o.out_features)
    return make


def _one_phase(_: ModelOptions) -> tuple[Phase, ...]:
    return (Phase(),)


@dataclass(frozen=True)
class ModelEntry:
    key: str
    label: str  # short, for panels, curves and tables
    colour: str  # one colour everywhere the model appears
    summary: str  # one line: --help, tooltips
    citation: str  # who proposed it, shown beside the label in the window
    make_config: Callable[[ModelOptions], ModelConfig]
    make_phases: Callable[[ModelOptions], tuple[Phase, ...]] = _one_phase

    def spec(self, options: ModelOptions = ModelOptions()) -> ModelSpec:
        config = self.make_config(options)
        if config.kind != self.key:
            config = _renamed(config, self.key)
        return ModelSpec(self.key, self.label, config, self.make_phases(options))


def _renamed(config: ModelConfig, key: str) -> ModelConfig:
    from dataclasses import replace

    return replace(config, kind=key)


_ENTRIES = (
    ModelEntry("siren", "SIREN", "#4c78a8", "sine MLP, one weight matrix per layer",
               "Sitzmann et al. 2020", _paper("siren")),
    ModelEntry("ftc", "LoE FtC", "#f58518",
               "Levels-of-Experts, fine-to-coarse tilings A = (128, 8, 4, 2)", "Hao et al. 2022",
               _paper("ftc")),
    ModelEntry("qt", "LoE QT", "#54a24b",
               "Levels-of-Experts, quad-tree tilings A = (2, 4, 8, 128)", "Hao et al. 2022",
               _paper("qt")),
    ModelEntry("hs", "HS-LoE", "#e45756",
               "hard-segmentation LoE: FtC with the last tiling replaced by the Multi-Otsu "
               "luminance classes", "Oh & Bae 2024", _paper("hs")),
)

#: Every model, in display order. Add a model by adding an entry with :func:`register`.
REGISTRY: dict[str, ModelEntry] = {e.key: e for e in _ENTRIES}
#: The comparison of the paper (Oh & Bae 2024, Table 1): the default everywhere.
PAPER_MODELS: tuple[str, ...] = ("siren", "ftc", "qt", "hs")
#: How many models the window compares at once.
MAX_SIDE_BY_SIDE = 6


def register(entry: ModelEntry) -> ModelEntry:
    """Add (or replace) a model; returns it, so modules can declare entries at import."""
    REGISTRY[entry.key] = entry
    return entry


def entry(key: str) -> ModelEntry:
    try:
        return REGISTRY[key]
    except KeyError:
        raise OptionError(f"unknown model {key!r}; use one of {', '.join(REGISTRY)}.") from None


def label(key: str) -> str:
    """The display label of a model key (the key itself for a model this build lacks)."""
    found = REGISTRY.get(key)
    return found.label if found else key


def titled(key: str) -> str:
    """``HS-LoE (Oh & Bae 2024)``: the label with its authors, for panels and legends."""
    found = REGISTRY.get(key)
    return f"{found.label} ({found.citation})" if found else key


def colour(key: str) -> str:
    found = REGISTRY.get(key)
    return found.colour if found else "#777777"


def parse_models(text: str) -> tuple[str, ...]:
    """``"siren,hs"`` → ``("siren", "hs")``, each checked; duplicates dropped, order kept."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise OptionError("no model given; use a comma-separated list of "
                          f"{', '.join(REGISTRY)}.")
    for n in names:
        entry(n)
    return names


def build_specs(keys: tuple[str, ...] | list[str], options: ModelOptions) -> tuple[ModelSpec, ...]:
    return tuple(entry(k).spec(options) for k in keys)
