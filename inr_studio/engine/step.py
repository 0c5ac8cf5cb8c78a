"""One Adam update of one model, the reference way (the fast step must compute the same)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ..models.network import CoordinateNet
from .batch import Batch, Batcher
from .best import BestKeeper
from .objectives import Objective, clipped_mse01


class PlainStep:
    """``step()`` → (loss, clipped-[0,1] MSE) of the forward it used, both still on the device
    (reading them is a device sync: the engine reads many at once).

    ``last_pred``: that forward's prediction when the step saw every pixel (raster order, on
    the device), else None. It is the whole picture the network drew before its update, so a
    preview can show it instead of rendering the network again.
    """

    notes: tuple[str, ...] = ()
    last_pred: torch.Tensor | None = None

    def __init__(self, model: CoordinateNet, optimizer: torch.optim.Optimizer,
                 objective: Objective, batcher: Batcher, keeper: BestKeeper | None = None
                 ) -> None:
        self.model = model
        self.optimizer = optimizer
        self.objective = objective
        self.batcher = batcher
        self.keeper = keeper

    def step(self) -> tuple[torch.Tensor, torch.Tensor]:
        batch = self.objective.batch()
        self.optimizer.zero_grad(set_to_none=True)
        loss, pred = self.objective.loss(self.model, batch)
        loss.backward()
        mse01 = offer_best(self.keeper, self.objective, batch, loss, pred)
        self.optimizer.step()
        self.last_pred = pred.detach() if batch.index is None else None
        return loss.detach(), mse01


def offer_best(keeper: BestKeeper | None, objective: Objective, batch: Batch,
               loss: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
    """The forward's clipped [0, 1] MSE; offered with the objective's criterion to ``keeper``
    before the update, when the forward saw the whole image (device ops only, no sync)."""
    mse01 = clipped_mse01(pred, batch.target01)
    if keeper is not None and batch.index is None:
        keeper.offer(objective.criterion(loss.detach(), mse01), mse01)
    return mse01


def adam(model: CoordinateNet, lr: float) -> torch.optim.Adam:
    """The paper's Adam. ``foreach``: one multi-tensor update, bit-identical to the per-tensor
    loop on CPU and ~2.7× faster (measured)."""
    return torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), foreach=True)


@contextmanager
def tf32_matmuls(on: bool) -> Iterator[None]:
    """TF32 matrix products on CUDA for the duration of a step only, so no other code (a
    render, another run) sees the switch. The flag means nothing to other devices."""
    if not on:
        yield
        return
    prev = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = prev
