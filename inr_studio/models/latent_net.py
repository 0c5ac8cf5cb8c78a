"""The latent-grid network (Cool-chic / C3): latent pyramid, upsampling, synthesis, ARM.

- **Latents:** G one-channel grids, initialised to 0 (the model starts as the synthesis'
  constant picture and a rate of almost nothing); the trained parameters are the latents
  divided by Cool-chic's encoder gain of 16.
- **Upsampling:** every grid resized to the output size (bilinear, or bicubic) and stacked as
  G channels; the same call draws any size, which is how a file decodes at another size.
- **Synthesis:** 1×1 layers G → width (ReLU) → 3 (linear), then two 3×3 residual
  convolutions 3 → 3 (ReLU after the first; replicate padding; zero-initialised, so each
  starts as the identity), in [0, 1] terms; ``picture`` hands the engine v = 2u − 1.
- **ARM:** μ and log b of each quantised latent from its C causal neighbours in the same grid
  (zero outside it), an MLP of ``arm_hidden`` residual ReLU layers of width C plus a linear
  branch; b = exp(clamp(out − 4, −5, 5)) (Cool-chic's). One ARM for every grid.

This module is the float model the engine trains; the file's decoder runs the same ARM in
integers (:mod:`inr_studio.codec.latent_arm`), so encoder and decoder agree bit for bit.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .latent_config import CONTEXT_REACH, LatentConfig, context_offsets

LOG_SCALE_SHIFT = 4.0
LOG_SCALE_MIN, LOG_SCALE_MAX = -5.0, 5.0
#: The trained parameter is the latent divided by this gain (Cool-chic's encoder gain): Adam's
#: steps of ~lr on the parameter move the latent ~16·lr, fast enough for integer latents.
LATENT_GAIN = 16.0
#: No latent costs more than 16 bits in the rate term (a probability floor of 2^-16).
MIN_PROBABILITY = 2.0 ** -16


def laplace_bits(y: torch.Tensor, mu: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """−log2 P(y) for integers (or noisy values) y under a Laplace(μ, b) quantised to unit bins,
    P(y) = F(y + ½) − F(y − ½), computed on |y − μ| so that neither tail cancels."""
    a = (y - mu).abs()
    upper = 0.5 * torch.exp(-(a + 0.5) / scale)  # 1 − F(a + ½)
    lower_far = 0.5 * torch.exp(-(a - 0.5).clamp_min(0) / scale)  # 1 − F(a − ½), a ≥ ½
    lower_near = 1.0 - 0.5 * torch.exp(-(0.5 - a).clamp_min(0) / scale)  # a < ½
    lower = torch.where(a >= 0.5, lower_far, lower_near)
    return -torch.log2((lower - upper).clamp_min(MIN_PROBABILITY))


class Arm(nn.Module):
    """(N, C) contexts → (N, 2) raw (μ, log b + 4): residual ReLU trunk plus a linear branch."""

    def __init__(self, context: int, hidden: int, generator: torch.Generator) -> None:
        super().__init__()
        self.hidden = nn.ModuleList(nn.Linear(context, context) for _ in range(hidden))
        self.out = nn.Linear(context, 2)
        self.linear = nn.Linear(context, 2)
        with torch.no_grad():  # Cool-chic's init: residual layers zero (the identity), the
            for layer in self.hidden:  # output ~N(0, 1/out⁴), every bias zero
                layer.weight.zero_()
                layer.bias.zero_()
            for layer in (self.out, self.linear):
                layer.weight.normal_(0.0, 0.25, generator=generator)
                layer.bias.zero_()

    def forward(self, ctx: torch.Tensor) -> torch.Tensor:
        z = ctx
        for layer in self.hidden:
            z = torch.relu(layer(z) + z)
        return self.out(z) + self.linear(ctx)


def mu_scale(raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mu = raw[:, 0]
    scale = torch.exp(torch.clamp(raw[:, 1] - LOG_SCALE_SHIFT, LOG_SCALE_MIN, LOG_SCALE_MAX))
    return mu, scale


class Synthesis(nn.Module):
    """(1, G, H, W) upsampled latents → (1, 3, H, W) picture in [0, 1] terms (the ReLU after
    the first residual layer keeps it non-negative, as a pixel is)."""

    def __init__(self, grids: int, width: int, out: int, generator: torch.Generator) -> None:
        super().__init__()
        self.expand = nn.Conv2d(grids, width, 1)
        self.project = nn.Conv2d(width, out, 1)
        self.refine = nn.ModuleList(nn.Conv2d(out, out, 3, padding=1, padding_mode="replicate")
                                    for _ in range(2))
        with torch.no_grad():
            for layer in (self.expand, self.project):
                bound = 1.0 / np.sqrt(layer.in_channels)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
            for layer in self.refine:
                layer.weight.zero_()
                layer.bias.zero_()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.project(torch.relu(self.expand(z)))
        x = torch.relu(x + self.refine[0](x))
        return x + self.refine[1](x)


def context_index(shape: tuple[int, int], offsets: tuple[tuple[int, int], ...]) -> np.ndarray:
    """(h·w, C) positions in the grid padded by :data:`CONTEXT_REACH` (zeros) on every side,
    flattened row-major, of each value's context, in raster order of the values."""
    h, w = shape
    r = CONTEXT_REACH
    pw = w + 2 * r
    ys, xs = np.divmod(np.arange(h * w, dtype=np.int64), w)
    off = np.array([dy * pw + dx for dy, dx in offsets], dtype=np.int64)
    return ((ys + r) * pw + (xs + r))[:, None] + off[None, :]


def pad_flat(grid: torch.Tensor) -> torch.Tensor:
    """A (h, w) grid padded by :data:`CONTEXT_REACH` zeros on every side, flattened."""
    r = CONTEXT_REACH
    return F.pad(grid, (r, r, r, r)).reshape(-1)


class LatentNet(nn.Module):
    """Latent grids + synthesis + ARM for one image. ``forward`` is not a coordinate network's:
    the engine's latent objective calls :meth:`picture` and :meth:`rate_bits`."""

    def __init__(self, config: LatentConfig, seed: int = 0) -> None:
        super().__init__()
        config.validate()
        self.config = config
        gen = torch.Generator().manual_seed(int(seed))  # never torch's global generator
        self.latents = nn.ParameterList(nn.Parameter(torch.zeros(h, w))
                                        for h, w in config.grid_shapes())
        self.synthesis = Synthesis(config.grids, config.synthesis_width, config.out_features, gen)
        self.arm = Arm(config.arm_context, config.arm_hidden, gen)
        self._offsets = context_offsets(config.arm_context)
        self._index: dict[tuple, torch.Tensor] = {}

    # --- the picture ---
    def upsampled(self, grids: list[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        """(1, G, H', W'): every grid resized to ``size`` (a grid already that size unchanged)."""
        mode = self.config.upsampling
        layers = []
        for g in grids:
            x = g[None, None]
            if tuple(g.shape) != tuple(size):
                x = F.interpolate(x, size=size, mode=mode, align_corners=False)
            layers.append(x)
        return torch.cat(layers, dim=1)

    def picture(self, grids: list[torch.Tensor], size: tuple[int, int] | None = None
                ) -> torch.Tensor:
        """(H'·W', 3) prediction in [−1, 1] terms, raster order, from the given (quantised)
        grids; ``size`` (H', W'): another output size (default the image's)."""
        size = (self.config.height, self.config.width) if size is None else size
        u = self.synthesis(self.upsampled(grids, size))  # [0, 1] terms, as Cool-chic's
        return (2.0 * u[0] - 1.0).permute(1, 2, 0).reshape(-1, self.config.out_features)

    # --- the rate ---
    def contexts(self, grids: list[torch.Tensor]) -> torch.Tensor:
        """(N, C): every latent's causal neighbours, all grids one after the other."""
        out = []
        for g in grids:
            key = (tuple(g.shape), g.device)
            idx = self._index.get(key)
            if idx is None:
                idx = torch.from_numpy(context_index(tuple(g.shape), self._offsets)).to(g.device)
                self._index[key] = idx
            out.append(pad_flat(g)[idx])
        return torch.cat(out)

    def rate_bits(self, grids: list[torch.Tensor]) -> torch.Tensor:
        """R = Σ −log2 P(ŷ) over every latent, in bits, under the ARM's Laplace."""
        mu, scale = mu_scale(self.arm(self.contexts(grids)))
        flat = torch.cat([g.reshape(-1) for g in grids])
        return laplace_bits(flat, mu, scale).sum()

    # --- the latents ---
    def scaled(self) -> list[torch.Tensor]:
        """The latents before quantisation: the parameters times :data:`LATENT_GAIN`."""
        return [p * LATENT_GAIN for p in self.latents]

    def rounded(self) -> list[torch.Tensor]:
        """The quantised latents (integers, as float tensors): what a file stores."""
        return [torch.round(p.detach() * LATENT_GAIN) for p in self.latents]

    @torch.no_grad()
    def set_latents(self, grids: list[np.ndarray]) -> None:
        """Load integer latents (a decoded file's) into the parameters."""
        for p, g in zip(self.latents, grids):
            p.copy_(torch.from_numpy(np.asarray(g, dtype=np.float32) / LATENT_GAIN))

    @torch.no_grad()
    def draw(self, height: int, width: int) -> np.ndarray:
        """H×W×3 in [−1, 1] terms from the rounded latents (what a file would hold)."""
        return self.picture(self.rounded(), (height, width)).float().cpu().numpy().reshape(
            height, width, -1)

    def latent_grids(self) -> list[np.ndarray]:
        """The rounded latent grids, finest first, as integer arrays (the maps a view shows)."""
        return [g.cpu().numpy().astype(np.int32) for g in self.rounded()]

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
