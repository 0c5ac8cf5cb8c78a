"""The knobs every model of one comparison shares, and their defaults: the one home of the
network's width, depth and ω0 (the paper's 256, 3 and 30). Torch-free; it imports nothing of
the package, so the configuration, the registry, the presets and the CLI all read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelOptions:
    """The knobs every model of one comparison shares (the paper's setting by default).

    ``image_size`` (H, W) is the working size: some defaults depend on it (LoE tile scales
    are applied by the caller through ``tile_scale``; positional-encoding levels by the entry).
    Read a default from the class (``ModelOptions.width``) rather than writing the number again.
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
    #: Positional encoding of ``pe-relu``/``pe-siren``: NeRF levels (None: from
    #: ``image_size``, :func:`~inr_studio.models.config.default_pe_levels`), or Gaussian
    #: Fourier features when ``pe_sigma`` is set (m = ``pe_features`` rows, drawn from ``pe_seed``).
    pe_levels: int | None = None
    pe_sigma: float | None = None
    pe_features: int = 256
    pe_seed: int = 0
    #: EoREN: weight α of the pixel term in stage 1 (0: gradients only), and the steps of the
    #: optional colour phase after it (0: the closed-form constant only).
    eoren_pixel_weight: float = 0.0
    eoren_colour_steps: int = 0
    #: The latent-grid model: λ (the rate weight of MSE + λ·R/(H·W), R in bits), its
    #: complexity preset (MACs per pixel: "500", "1000", "2000"), how training stands in for
    #: rounding before the last straight-through steps ("softround": soft-rounding with noise,
    #: a BD-rate of −25 % against "noise" on twelve Kodak images at 256 px, docs/results.md),
    #: the upsampling of its grids, and an ARM context size other than the preset's.
    latent_lambda: float = 2e-3
    latent_preset: str = "1000"
    latent_quantiser: str = "softround"
    latent_upsampling: str = "bilinear"
    latent_context: int | None = None
    #: Instead of a fixed λ: adjust λ during training so the picture reaches this PSNR (dB).
    latent_target_psnr: float | None = None
    #: The learning rate of the last, straight-through rounding phase (a cosine from there).
    #: At 1e-3 that phase raised its own rate–distortion cost; 3e-5 lowered it and saved
    #: 1.3–2.2 % of the bits on kodim01–02 (docs/results.md, the latent-grid model).
    latent_ste_lr: float = 3e-5
