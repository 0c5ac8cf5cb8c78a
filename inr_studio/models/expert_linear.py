"""A linear layer with several experts, chosen per pixel by a routing (LoE, Hao et al. 2022).

The layer owns ``experts`` weight matrices and one shared bias (docs/models.md). Given rows already
grouped by expert, it runs one matmul per expert over contiguous slices: the same MACs as a
plain layer, and no per-pixel weight matrix is ever built.

The grouped product is one autograd node (:class:`_GroupedLinear`): each expert's ``addmm``
writes straight into its slice of one preallocated output, and the backward writes each
expert's input and weight gradients into preallocated tensors likewise. Autograd's generic
``split`` + ``linear`` + ``cat`` would instead copy the activations once more each way and
build a zero-filled full-size weight gradient per expert (``weight[e]``'s backward).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class _GroupedLinear(torch.autograd.Function):
    """``out[rows of e] = z[rows of e] @ weight[e].T + bias`` for contiguous groups of rows."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,  # type: ignore[override]
                counts: tuple[int, ...]) -> torch.Tensor:
        out = z.new_empty(z.shape[0], weight.shape[1])
        start = 0
        for e, c in enumerate(counts):
            if c:
                torch.addmm(bias, z[start:start + c], weight[e].t(), out=out[start:start + c])
            start += c
        ctx.save_for_backward(z, weight)
        ctx.counts = counts
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        z, weight = ctx.saved_tensors
        need_z, need_w, need_b, _ = ctx.needs_input_grad
        grad = grad.contiguous()
        gz = grad.new_empty(z.shape) if need_z else None
        gw = torch.empty_like(weight) if need_w else None
        start = 0
        for e, c in enumerate(ctx.counts):
            g = grad[start:start + c]
            if gz is not None and c:
                torch.mm(g, weight[e], out=gz[start:start + c])
            if gw is not None:
                if c:
                    torch.mm(g.t(), z[start:start + c], out=gw[e])
                else:
                    gw[e].zero_()
            start += c
        gb = grad.sum(0) if need_b else None
        return gz, gw, gb, None


def _autocast_dtype(device_type: str) -> torch.dtype | None:
    """The dtype autocast gives matrix products on this device type now, None when it is off."""
    if not torch.is_autocast_enabled(device_type):
        return None
    return torch.get_autocast_dtype(device_type)


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
        if len(counts) != self.experts or sum(counts) != z.shape[0]:
            raise ValueError(f"counts {counts} do not fit {z.shape[0]} rows and {self.experts} experts")
        weight, bias = self.weight, self.bias
        low = _autocast_dtype(z.device.type)
        if low is not None:  # autocast skips the products written with out=: cast as F.linear is
            z, weight, bias = z.to(low), weight.to(low), bias.to(low)
        return _GroupedLinear.apply(z, weight, bias, tuple(counts))

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, experts={self.experts}"
