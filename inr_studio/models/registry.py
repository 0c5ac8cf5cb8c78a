"""The models inr-studio knows: one entry each, so a new model is one entry here.

An entry turns the knobs shared by a comparison (:class:`~.options.ModelOptions`) into a
:class:`~inr_studio.models.spec.ModelSpec`: the network configuration and the training
schedule. Views take names and colours from here; the CLI takes its ``--model`` choices from
here; the engine trains whatever specs it is given. Torch-free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..errors import OptionError
from .config import ModelConfig, default_pe_levels, make_model_config
from .latent_config import DEFAULT_PRESET, LatentConfig, make_latent_config
from .options import ModelOptions
from .spec import ModelSpec, Phase

#: The latent-grid model's default rate weight (a mid-rate point, about 30 dB at 256 px).
LATENT_LAMBDA = ModelOptions.latent_lambda
#: Its last share of the steps trains with rounded latents (straight through), keeping the best.
LATENT_STE_SHARE = 0.15


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
    #: The label of one built network, when it depends on the options (``siren-matched``
    #: shows its width); None: :attr:`label`.
    describe: Callable[[ModelConfig], str] | None = None
    #: Forward multiply-accumulates per pixel of one built network, for a model whose cost
    #: its configuration does not describe; None: :meth:`ModelConfig.macs_per_pixel`.
    count_macs: Callable[[ModelConfig], int] | None = None
    #: The learning-rate schedule of the model's training phases (``constant``, ``cosine``,
    #: ``step``, ``cooldown``), measured per model (docs/results.md, "Training to the best");
    #: None: the engine's default. A phase that names its own keeps it.
    schedule: str | None = None
    #: Offered in the window's model list.
    window: bool = True

    def spec(self, options: ModelOptions = ModelOptions()) -> ModelSpec:
        config = self.make_config(options)
        if config.kind != self.key:
            config = replace(config, kind=self.key)
        text = self.describe(config) if self.describe is not None else self.label
        macs = self.count_macs(config) if self.count_macs is not None else None
        phases = tuple(p if p.schedule else replace(p, schedule=self.schedule)
                       for p in self.make_phases(options))
        return ModelSpec(self.key, text, config, phases, macs)


# ------------------------------------------------------------- models beyond the paper's four

def _encoded(activation: str) -> Callable[[ModelOptions], ModelConfig]:
    """``pe-relu`` / ``pe-siren``: SIREN's shape, γ(p) in front (docs/models.md)."""
    def make(o: ModelOptions) -> ModelConfig:
        base = _paper("siren")(o)
        if o.pe_sigma is not None:
            return replace(base, activation=activation, encoding="gauss",
                           pe_features=o.pe_features, pe_sigma=float(o.pe_sigma),
                           pe_seed=o.pe_seed)
        levels = o.pe_levels if o.pe_levels is not None else default_pe_levels(*o.image_size)
        return replace(base, activation=activation, encoding="nerf", pe_levels=levels)
    return make


def matched_width(target: int, depth: int, out_features: int = 3, in_features: int = 2) -> int:
    """The plain SIREN width whose parameter count is nearest ``target`` (ties: the smaller)."""
    def count(w: int) -> int:
        return (in_features + 1) * w + (depth - 1) * (w * w + w) + (w + 1) * out_features
    a, b = depth - 1, in_features + 1 + (depth - 1) + out_features
    if a == 0:
        guess = max(1, round((target - out_features) / b))
    else:
        guess = max(1, int((-b + (b * b + 4 * a * (target - out_features)) ** 0.5) / (2 * a)))
    best = min(range(max(1, guess - 2), min(4096, guess + 3) + 1),
               key=lambda w: (abs(count(w) - target), w))
    return best


def _matched(o: ModelOptions) -> ModelConfig:
    """``siren-matched``: as many parameters as LoE FtC with the same options (docs/models.md)."""
    target = _paper("ftc")(o).parameter_count()
    return _paper("siren")(replace(o, width=matched_width(target, o.depth, o.out_features)))


def _eoren(o: ModelOptions) -> ModelConfig:
    return replace(_paper("siren")(o), gradient_fit=True)


def _eoren_phases(o: ModelOptions) -> tuple[Phase, ...]:
    """Stage 1 (gradients, the run's steps; its ``finish`` folds the colour constant into the
    last bias), then the optional colour phase (pixels, at a tenth of the learning rate)."""
    phases = [Phase("gradients", options=(("pixel_weight", float(o.eoren_pixel_weight)),))]
    if o.eoren_colour_steps:
        phases.append(Phase("colour", steps=int(o.eoren_colour_steps), lr_scale=0.1))
    return tuple(phases)


def _latent(o: ModelOptions) -> LatentConfig:
    h, w = o.image_size
    return make_latent_config(h, w, o.latent_preset, o.latent_upsampling,
                              arm_context=o.latent_context)


def _latent_phases(o: ModelOptions) -> tuple[Phase, ...]:
    """Noisy (or soft-rounded) latents for most steps, then rounded ones (straight-through
    gradient) from a lower learning rate, keeping the best state (the schedule of Cool-chic
    and C3; each phase a cosine decay)."""
    rate: tuple = (("lam", float(o.latent_lambda)),)
    if o.latent_target_psnr is not None:
        rate += (("target_psnr", float(o.latent_target_psnr)),)
    return (Phase("latent", share=1 - LATENT_STE_SHARE,
                  options=rate + (("quantiser", o.latent_quantiser),)),
            Phase("latent", share=LATENT_STE_SHARE,
                  options=rate + (("quantiser", "ste"), ("lr", float(o.latent_ste_lr)),
                                  ("keep_best", True))))


_ENTRIES = (
    ModelEntry("siren", "SIREN", "#4c78a8", "sine MLP, one weight matrix per layer",
               "Sitzmann et al. 2020", _paper("siren")),
    ModelEntry("ftc", "LoE FtC", "#f58518",
               "Levels-of-Experts, fine-to-coarse tilings A = (128, 8, 4, 2)", "Hao et al. 2022",
               _paper("ftc")),
    ModelEntry("qt", "LoE QT", "#54a24b",
               "Levels-of-Experts, quad-tree tilings A = (2, 4, 8, 128)", "Hao et al. 2022",
               _paper("qt"), schedule="cooldown"),
    ModelEntry("hs", "HS-LoE", "#e45756",
               "hard-segmentation LoE: FtC with the last tiling replaced by the Multi-Otsu "
               "luminance classes", "Oh & Bae 2024", _paper("hs")),
    ModelEntry("eoren", "EoREN", "#b279a2",
               "edge-oriented SIREN: fits the image's Sobel gradients, then its colour constant",
               "edge-oriented INR note 2021", _eoren, _eoren_phases, schedule="cosine"),
    ModelEntry("pe-relu", "PE ReLU", "#9d755d",
               "ReLU MLP on a positional encoding γ(p) (NeRF frequencies, or Gaussian Fourier "
               "features)", "Tancik et al. 2020", _encoded("relu")),
    ModelEntry("pe-siren", "PE SIREN", "#72b7b2",
               "SIREN whose first layer takes a positional encoding γ(p)", "Tancik et al. 2020",
               _encoded("sine")),
    ModelEntry("siren-matched", "SIREN (matched)", "#bab0ac",
               "plain SIREN widened to LoE FtC's parameter count at the same depth",
               "Sitzmann et al. 2020", _matched,
               describe=lambda c: f"SIREN (matched, w={c.width})"),
    ModelEntry("latent", "Latent grids", "#17becf",
               "Cool-chic / C3 latent-grid codec: quantised latent pyramid, tiny synthesis, "
               "auto-regressive Laplace probability model; trained for MSE + λ·rate",
               "Ladune et al. 2023; Kim et al. 2024", _latent, _latent_phases,
               describe=lambda c: f"Latent grids ({c.grids} grids)"),
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
