"""Positional encodings γ(p) of the input coordinates (docs/models.md; Tancik et al. 2020).

Two kinds: NeRF-style frequencies ``(p, sin(2^k·π·p), cos(2^k·π·p))`` for k = 0..L−1, and
Gaussian Fourier features ``(cos 2πBp, sin 2πBp)`` with B (m × 2) ~ N(0, σ²). B is never stored:
it is drawn again from ``pe_seed`` by a private :class:`torch.Generator` (same seed, same B, on
any machine), so a file carries the seed only. Plain differentiable torch ops, so EoREN's
gradient loss can differentiate through them.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import ModelConfig, default_pe_levels  # noqa: F401 (re-exported)


def nerf_frequencies(levels: int) -> torch.Tensor:
    """The angular frequencies 2^k·π, k = 0..L−1 (float32)."""
    return (2.0 ** torch.arange(levels, dtype=torch.float64) * math.pi).float()


def gauss_matrix(features: int, sigma: float, seed: int, in_features: int = 2) -> torch.Tensor:
    """B (m × in) ~ N(0, σ²), drawn from ``seed`` on the CPU (reproducible everywhere)."""
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    return torch.randn(features, in_features, generator=gen, dtype=torch.float64).mul_(sigma).float()


class PositionalEncoding(nn.Module):
    """γ(p) for one :class:`ModelConfig` (``encoding`` ``nerf`` or ``gauss``)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.kind = config.encoding
        if self.kind == "nerf":
            freqs = nerf_frequencies(config.pe_levels)
        elif self.kind == "gauss":
            freqs = gauss_matrix(config.pe_features, config.pe_sigma, config.pe_seed,
                                 config.in_features).mul_(2.0 * math.pi)
        else:
            raise ValueError(f"no positional encoding of kind {self.kind!r}")
        # Not persistent: rebuilt from the configuration, never saved with the weights.
        self.register_buffer("freqs", freqs, persistent=False)
        self.out_features = config.encoded_features

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        if self.kind == "nerf":
            angles = (p.unsqueeze(-1) * self.freqs.to(p.dtype)).flatten(1)  # N × (in·L)
            return torch.cat([p, torch.sin(angles), torch.cos(angles)], dim=1)
        angles = p @ self.freqs.to(p.dtype).t()  # N × m: 2π·Bp
        return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)

    def extra_repr(self) -> str:
        return f"{self.kind}, out={self.out_features}"
