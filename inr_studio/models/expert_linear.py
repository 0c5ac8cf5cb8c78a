"""A linear layer with several experts, chosen per pixel by a routing (LoE, Hao et al. 2022).

The layer owns ``experts`` weight matrices and one shared bias (SPEC §2). Given rows already
grouped by expert, it runs one matmul per expert over contiguous slices: the same MACs as a
plain layer, and no per-pixel weight matrix is ever built.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class ExpertLinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, experts: int = 1) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.experts = experts
        self.weight = nn.Parameter(torch.empty(experts, out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features))

    def siren_init_(self, first: bool, omega0: float, generator: torch.Generator | None) -> None:
        """SIREN init (Sitzmann 2020): U(±1/n) for the first layer, U(±√(6/n)/ω0) after it;
        every expert alike; the bias keeps PyTorch's default U(±1/√n)."""
        n = self.in_features
        bound = 1.0 / n if first else math.sqrt(6.0 / n) / omega0
        with torch.no_grad():
            self.weight.uniform_(-bound, bound, generator=generator)
            b = 1.0 / math.sqrt(n)
            self.bias.uniform_(-b, b, generator=generator)

    def forward(self, z: torch.Tensor, counts: tuple[int, ...]) -> torch.Tensor:
        if self.experts == 1:
            return F.linear(z, self.weight[0], self.bias)
        parts = torch.split(z, list(counts), dim=0)
        outs = [F.linear(p, self.weight[e], self.bias) for e, p in enumerate(parts)]
        return torch.cat(outs, dim=0)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, experts={self.experts}"
