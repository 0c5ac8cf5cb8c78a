"""The coordinate network shared by SIREN, LoE (FtC, QT) and HS-LoE: the tiling is data."""

from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig
from .expert_linear import ExpertLinear
from .routing import Routing


class _Sine(torch.autograd.Function):
    """``sin(ω0·z)`` as one node with in-place work: one new tensor forward, one backward.

    Bit-for-bit what ``torch.sin(ω0 * z)`` and its autograd give (the same operations in the
    same order), with a third of the temporaries; it saves ``z`` instead of ``ω0·z``.
    """

    @staticmethod
    def forward(ctx, z: torch.Tensor, omega0: float) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(z)
        ctx.omega0 = omega0
        return (z * omega0).sin_()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (z,) = ctx.saved_tensors
        return (z * ctx.omega0).cos_().mul_(grad).mul_(ctx.omega0), None


def sine(z: torch.Tensor, omega0: float) -> torch.Tensor:
    """The SIREN activation; plain ops where no gradient is wanted (rendering)."""
    if torch.is_grad_enabled() and z.requires_grad:
        return _Sine.apply(z, omega0)
    return torch.sin(omega0 * z)


class CoordinateNet(nn.Module):
    """``sin(ω0·(W_i[e]·z + b_i))`` for the hidden layers, a linear output layer (SPEC §2)."""

    def __init__(self, config: ModelConfig, seed: int = 0) -> None:
        super().__init__()
        config.validate()
        self.config = config
        gen = torch.Generator().manual_seed(int(seed))  # never torch's global generator
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
                z = sine(z, self.config.omega0)
        if routing.restore is not None:
            z = routing.restore.apply(z)
        return z

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
