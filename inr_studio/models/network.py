"""The coordinate network shared by every model: the tiling, encoding and activation are data.

SIREN, LoE (FtC, QT) and HS-LoE differ by their tilings; ``pe-relu``/``pe-siren`` add a
positional encoding γ(p) before the first layer (:mod:`.encoding`) and ``pe-relu`` uses ReLU
instead of the sine; EoREN is a SIREN trained on gradients: its loss differentiates the
backward pass again, which the fused sine cannot do, so a ``gradient_fit`` network uses
``torch.sin`` (autograd's own double backward).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from .config import ModelConfig
from .encoding import PositionalEncoding
from .expert_linear import ExpertLinear
from .routing import Routing


class _Sine(torch.autograd.Function):
    """``sin(ω0·z)`` as one node: two new tensors forward (u and its sine), one backward.

    Bit-for-bit what ``torch.sin(ω0 * z)`` and its autograd give (the same operations in the
    same order) with fewer temporaries; it saves ``u = ω0·z`` (freeing ``z``), so the backward
    is three passes over the rows (cos, ×grad, ×ω0) instead of four. ``u`` is not linked to
    ``z`` in the graph, so a second derivative through this node would be silently wrong:
    ``once_differentiable`` makes it an error instead (networks for gradient losses do not use it).
    """

    @staticmethod
    def forward(ctx, z: torch.Tensor, omega0: float) -> torch.Tensor:  # type: ignore[override]
        u = z * omega0
        ctx.save_for_backward(u)
        ctx.omega0 = omega0
        return torch.sin(u)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (u,) = ctx.saved_tensors
        return torch.cos(u).mul_(grad).mul_(ctx.omega0), None


def sine(z: torch.Tensor, omega0: float) -> torch.Tensor:
    """The SIREN activation; plain ops where no gradient is wanted (rendering)."""
    if torch.is_grad_enabled() and z.requires_grad:
        return _Sine.apply(z, omega0)
    return torch.sin(omega0 * z)


def default_init_(layer: ExpertLinear, generator: torch.Generator | None) -> None:
    """PyTorch's ``nn.Linear`` default, U(±1/√n) for weights and bias (what ``kaiming_uniform_``
    with a = √5 gives), seeded: the ReLU networks' init (docs/decisions.md)."""
    b = 1.0 / math.sqrt(layer.in_features)
    with torch.no_grad():
        layer.weight.uniform_(-b, b, generator=generator)
        layer.bias.uniform_(-b, b, generator=generator)


class CoordinateNet(nn.Module):
    """``act(W_i[e]·z + b_i)`` for the hidden layers (act = sin(ω0·) or ReLU), a linear output
    layer, on the coordinates or their encoding γ(p) (docs/models.md)."""

    def __init__(self, config: ModelConfig, seed: int = 0) -> None:
        super().__init__()
        config.validate()
        self.config = config
        gen = torch.Generator().manual_seed(int(seed))  # never torch's global generator
        self.layers = nn.ModuleList(
            ExpertLinear(i, o, t.experts) for t, (o, i) in zip(config.tilings, config.layer_shapes())
        )
        for k, layer in enumerate(self.layers):
            if config.activation == "relu":
                default_init_(layer, gen)
            else:
                layer.siren_init_(first=k == 0, omega0=config.omega0, generator=gen)
        self.encoding = PositionalEncoding(config) if config.encoding != "none" else None
        self._relu = config.activation == "relu"
        self._double_backward = config.gradient_fit

    @property
    def experts(self) -> list[int]:
        return [t.experts for t in self.config.tilings]

    def forward(self, coords: torch.Tensor, routing: Routing) -> torch.Tensor:
        # γ works row by row, so it commutes with any routing's row order.
        z = coords if self.encoding is None else self.encoding(coords)
        last = len(self.layers) - 1
        for k, (layer, route) in enumerate(zip(self.layers, routing.layers)):
            if route.before is not None:
                z = route.before.apply(z)
            z = layer(z, route.counts)
            if k < last:
                if self._relu:
                    z = torch.relu(z)
                elif self._double_backward:
                    z = torch.sin(self.config.omega0 * z)
                else:
                    z = sine(z, self.config.omega0)
        if routing.restore is not None:
            z = routing.restore.apply(z)
        return z

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
