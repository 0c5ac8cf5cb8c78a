"""Keeping the best weights of a phase on the device, without a host sync per step.

A step offers the criterion of the forward it used (the whole image's, with a full batch)
before its update; the keeper compares device scalars and copies the weights where they
improved (``torch.where``), so nothing waits for the device. The engine reads the kept figures
with the progress it already reads (one sync per batch), and the trainer puts the kept weights
back when the phase ends, stops or fails.
"""

from __future__ import annotations

import torch


class BestKeeper:
    """The weights (``params``, trained in place by an optimiser) with the lowest criterion
    offered so far, the clipped [0, 1] MSE of that forward, and the step it came from."""

    def __init__(self, params: list[torch.Tensor], first_step: int) -> None:
        self.params = params
        device = params[0].device
        with torch.no_grad():
            self.weights = [p.detach().clone() for p in params]
        self.value = torch.full((), float("inf"), device=device)
        self.mse01 = torch.full((), float("nan"), device=device)
        self.step = torch.full((), -1, dtype=torch.int64, device=device)
        #: The step (number of updates) of the weights the next offer is about.
        self.now = torch.full((), first_step, dtype=torch.int64, device=device)
        self.offered = False

    def _state(self) -> list[torch.Tensor]:
        return [self.value, self.mse01, self.step, self.now, *self.weights]

    def snapshot(self) -> list[torch.Tensor]:
        """A copy of the keeper's state (a CUDA graph's warm-up steps are undone with it)."""
        return [t.clone() for t in self._state()]

    def restore_snapshot(self, saved: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for t, v in zip(self._state(), saved):
                t.copy_(v)

    def at(self, step: int) -> None:
        """The next offer is about the weights after ``step`` updates (fill: no sync)."""
        self.now.fill_(step)

    @torch.no_grad()
    def offer(self, criterion: torch.Tensor, mse01: torch.Tensor) -> None:
        """Keep the current weights if ``criterion`` is below the best so far (NaN never is);
        then the clock moves to the next step's weights. All on the device."""
        better = criterion.detach().reshape(()) < self.value
        torch.where(better, criterion.detach().reshape(()), self.value, out=self.value)
        torch.where(better, mse01.detach().reshape(()).to(self.mse01.dtype), self.mse01,
                    out=self.mse01)
        torch.where(better, self.now, self.step, out=self.step)
        for kept, p in zip(self.weights, self.params):
            torch.where(better, p.detach(), kept, out=kept)
        self.now.add_(1)
        self.offered = True

    def figures(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(clipped MSE, step) of the kept weights, still on the device (NaN, -1: none yet)."""
        return self.mse01, self.step

    def has_best(self) -> bool:
        """Whether some offer was kept (a sync: call it at the end, not per step)."""
        return self.offered and int(self.step) >= 0

    @torch.no_grad()
    def swap(self) -> None:
        """Exchange the kept and the current weights (twice: back as before). A paused run
        shows its best, and trains on from where it was when it resumes."""
        for kept, p in zip(self.weights, self.params):
            tmp = p.detach().clone()
            p.copy_(kept)
            kept.copy_(tmp)

    @torch.no_grad()
    def restore(self) -> bool:
        """Put the kept weights into the network for good; False if nothing was kept."""
        if not self.has_best():
            return False
        for kept, p in zip(self.weights, self.params):
            p.copy_(kept)
        return True
