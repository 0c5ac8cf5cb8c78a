"""The coordinate network shared by SIREN, LoE (FtC, QT) and HS-LoE: the tiling is data."""

from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig
from .expert_linear import ExpertLinear
from .routing import Routing


class CoordinateNet(nn.Module):
    """``sin(ω0·(W_i[e]·z + b_i))`` for the hidden layers, a linear output layer (SPEC §2)."""

    def __init__(self, config: ModelConfig, seed: int | None = 0) -> None:
        super().__init__()
        config.validate()
        self.config = config
        gen = None
        if seed is not None:
            gen = torch.Generator().manual_seed(int(seed))
        self.layers = nn.ModuleList(
            ExpertLinear(i, o, t.experts) for t, (o, i) in zip(config.tilings, config.layer_shapes())
        )
        for k, layer in enumerate(self.layers):
            layer.siren_init_(first=k == 0, omega0=config.omega0, generator=gen)

    @property
    def experts(self) -> list[int]:
        return [t.experts for t in self.config.tilings]

    def forward(self, coords: torch.Tensor, routing: Routing) -> torch.Tensor:
        z = coords
        last = len(self.layers) - 1
        for k, (layer, route) in enumerate(zip(self.layers, routing.layers)):
            if route.before is not None:
                z = route.before.apply(z)
            z = layer(z, route.counts)
            if k < last:
                z = torch.sin(self.config.omega0 * z)
        if routing.restore is not None:
            z = routing.restore.apply(z)
        return z

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
