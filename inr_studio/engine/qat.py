"""Quantisation-aware fine-tuning (Strümpler et al. 2022, NIF): a phase that trains the
network through the file's quantiser, so the weights settle where rounding costs least.

``Phase("qat", steps=N, lr_scale=…, options=(("bits", b),))`` appended to a spec. While the
phase runs, every weight and bias of the network is read through :class:`FakeQuant`: the
forward sees the tensor exactly on the grid the ``.sinr`` encoder will use
(:mod:`inr_studio.models.quantiser`, per tensor: each expert's weight matrix and each bias, its
own [min, max], 2^bits − 1 steps), the backward passes the gradient straight through to the
float weight (straight-through estimator). ``finish`` leaves the weights *on* the grid, as the
float32 values the decoder rebuilds, so encoding at those bits loses nothing.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from ..errors import OptionError
from ..models.expert_linear import ExpertLinear
from ..models.network import CoordinateNet
from ..models.quantiser import on_grid
from ..problem import FitProblem
from .batch import Batcher
from .config import QatConfig, check_bits
from .objectives import Objective, register_objective

def parse_tensor_bits(text: str) -> tuple[int, ...]:
    """'8,8,6,…' (one per tensor, the file's order: per layer each expert's weight, then the
    bias) → a tuple of bit depths."""
    try:
        return tuple(check_bits(int(t)) for t in str(text).split(",") if t.strip())
    except ValueError:
        raise OptionError(f"per-tensor bits {text!r} are not a comma-separated list of "
                          "whole numbers.") from None


def grid_tensor(t: torch.Tensor, bits: int) -> torch.Tensor:
    """``t`` on its quantisation grid, as the float32 values a decoder rebuilds."""
    arr = t.detach().cpu().double().numpy()
    return torch.from_numpy(on_grid(arr, bits).astype(np.float32)).to(t.device)


class FakeQuant(nn.Module):
    """Parametrisation: the forward value is the grid value exactly (``g + (w − w)``), the
    gradient is the identity (straight-through). A 3-D weight is quantised per expert."""

    def __init__(self, bits: tuple[int, ...]) -> None:
        super().__init__()
        self.bits = bits

    def snapped(self, w: torch.Tensor) -> torch.Tensor:
        if w.dim() == 3:
            return torch.stack([grid_tensor(w[e], b) for e, b in enumerate(self.bits)])
        return grid_tensor(w, self.bits[0])

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return self.snapped(w) + (w - w.detach())


def layer_bits(model: CoordinateNet, bits: int,
               tensor_bits: tuple[int, ...] | None) -> list[tuple[tuple[int, ...], int]]:
    """Per layer: (bits of each expert's weight, bits of the bias), in the file's tensor order."""
    layers = [m for m in model.layers if isinstance(m, ExpertLinear)]
    need = sum(layer.weight.shape[0] + 1 for layer in layers)
    if tensor_bits is not None and len(tensor_bits) != need:
        raise OptionError(f"per-tensor bits name {len(tensor_bits)} tensors; the network has {need}.")
    out, pos = [], 0
    for layer in layers:
        e = layer.weight.shape[0]
        if tensor_bits is None:
            out.append(((bits,) * e, bits))
        else:
            out.append((tuple(tensor_bits[pos:pos + e]), tensor_bits[pos + e]))
        pos += e + 1
    return out


def snap_(model: CoordinateNet, bits: int, tensor_bits: tuple[int, ...] | None = None) -> None:
    """Put every weight and bias on its grid in place (no training)."""
    with torch.no_grad():
        for layer, (wb, bb) in zip(model.layers, layer_bits(model, bits, tensor_bits)):
            layer.weight.copy_(FakeQuant(wb).snapped(layer.weight))
            layer.bias.copy_(FakeQuant((bb,)).snapped(layer.bias))


def unparametrize_(model: CoordinateNet) -> None:
    """Remove any parametrisation, keeping the parametrised values (on the grid)."""
    for layer in model.layers:
        for name in ("weight", "bias"):
            if parametrize.is_parametrized(layer, name):
                parametrize.remove_parametrizations(layer, name, leave_parametrized=True)


@register_objective("qat")
class QuantisationAware(Objective):
    """The pixel MSE of the network read through its quantiser (options: ``bits``, and
    optionally ``tensor_bits`` as '8,6,…' for a bit allocation)."""

    graphable = False  # the grid is computed from the weights on the host at every step
    #: Keep the latent weights whose quantised network had the lowest error seen, whatever the
    #: run's protocol: the first step sees plain quantisation, so the phase never ends worse
    #: than it began (straight-through updates make the quantised loss jump as weights cross
    #: rounding boundaries). The trainer's :class:`~.best.BestKeeper` keeps them (the
    #: optimiser's parameters are the parametrisations' originals).
    always_keeps_best = True

    def __init__(self, problem: FitProblem, batcher: Batcher, bits: int = QatConfig.bits,
                 tensor_bits: str = "") -> None:
        super().__init__(problem, batcher)
        self.bits = check_bits(bits)
        self.tensor_bits = parse_tensor_bits(tensor_bits) if tensor_bits else None

    def prepare(self, model: CoordinateNet) -> None:
        for layer, (wb, bb) in zip(model.layers, layer_bits(model, self.bits, self.tensor_bits)):
            parametrize.register_parametrization(layer, "weight", FakeQuant(wb), unsafe=True)
            parametrize.register_parametrization(layer, "bias", FakeQuant((bb,)), unsafe=True)

    def finish(self, model: CoordinateNet) -> None:
        """Leave the weights on the grid. The trainer has already put back the weights whose
        quantised network had the lowest error seen (:attr:`always_keeps_best`)."""
        unparametrize_(model)
        snap_(model, self.bits, self.tensor_bits)
