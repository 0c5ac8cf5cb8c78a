"""Grouping pixels by expert, computed once per image (docs/models.md, "Experts without
per-pixel weights").

For each layer the points are sorted by expert id, so each expert's rows are one contiguous slice
and the layer is one matmul per expert. Activations stay in the previous layer's order; moving
to the next layer's order is a single row permutation (``gather``), and the output is put back
into raster order at the end. A layer with one expert keeps whatever order it receives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..device import host_to_device


class _PermuteRows(torch.autograd.Function):
    """``x[idx]`` for a permutation ``idx``; its gradient is the inverse gather, not a scatter-add."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, idx: torch.Tensor, inv: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(inv)
        return x.index_select(0, idx)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (inv,) = ctx.saved_tensors
        return grad.index_select(0, inv), None, None


@dataclass(frozen=True)
class Permutation:
    idx: torch.Tensor
    inv: torch.Tensor

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        return _PermuteRows.apply(x, self.idx, self.inv)

    @staticmethod
    def from_numpy(idx: np.ndarray, device: torch.device | str) -> "Permutation":
        inv = np.empty_like(idx)
        inv[idx] = np.arange(len(idx), dtype=idx.dtype)
        # built at every step of a random-batch run: copies that do not wait for the device
        return Permutation(host_to_device(torch.from_numpy(idx), device),
                           host_to_device(torch.from_numpy(inv), device))


@dataclass(frozen=True)
class LayerRoute:
    """``before``: permutation applied to the incoming rows (None: keep order); ``counts``:
    rows per expert, in order, after it."""

    before: Permutation | None
    counts: tuple[int, ...]


@dataclass(frozen=True)
class Routing:
    """Per-layer routes for one fixed set of points, plus the permutation back to their order."""

    layers: tuple[LayerRoute, ...]
    restore: Permutation | None
    n: int

    @staticmethod
    def build(ids: list[np.ndarray], experts: list[int], device: torch.device | str = "cpu") -> "Routing":
        n = len(ids[0]) if ids else 0
        current = np.arange(n, dtype=np.int64)  # current[k] = point held by row k
        identity = True
        routes = []
        for layer_ids, n_exp in zip(ids, experts):
            if n_exp == 1:
                routes.append(LayerRoute(None, (n,)))
                continue
            order = np.argsort(layer_ids, kind="stable").astype(np.int64)  # points in expert order
            counts = tuple(int(c) for c in np.bincount(layer_ids, minlength=n_exp)[:n_exp])
            if identity:
                rel = order
            else:
                pos = np.empty(n, dtype=np.int64)
                pos[current] = np.arange(n, dtype=np.int64)
                rel = pos[order]
            is_id = bool(np.array_equal(rel, np.arange(n)))
            routes.append(LayerRoute(None if is_id else Permutation.from_numpy(rel, device), counts))
            current = order
            identity = bool(np.array_equal(current, np.arange(n)))
        restore = None
        if not identity:
            pos = np.empty(n, dtype=np.int64)
            pos[current] = np.arange(n, dtype=np.int64)
            restore = Permutation.from_numpy(pos, device)
        return Routing(tuple(routes), restore, n)
