"""The pixels one step sees: every pixel (the paper's full batch) or a seeded random batch.

The expert ids never change for a fixed image, so they are computed once; a full batch also
keeps one :class:`Routing` for the whole run (what a CUDA graph captures).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..device import host_to_device
from ..models.routing import Routing
from ..problem import FitProblem, layer_ids


@dataclass(frozen=True)
class Batch:
    coords: torch.Tensor  # N×2, normalised pixel centres (x, y)
    target: torch.Tensor  # N×C values in [-1, 1] (v = 2u - 1, docs/models.md)
    target01: torch.Tensor  # N×C values in [0, 1]
    routing: Routing
    index: torch.Tensor | None  # N pixel indices into the image (row-major); None: all pixels


class Batcher:
    def __init__(self, problem: FitProblem, batch_pixels: int | None, seed: int,
                 device: torch.device) -> None:
        self.device = device
        coords = problem.coords()
        self._ids = layer_ids(problem.config, coords, problem.class_map)
        self._experts = [t.experts for t in problem.config.tilings]
        self.coords = torch.from_numpy(coords.astype(np.float32)).to(device)
        target = problem.pixels.reshape(-1, problem.pixels.shape[2]).astype(np.float32)
        self.target01 = torch.from_numpy(target).to(device)
        self.target = self.target01 * 2.0 - 1.0
        self.pixels = len(coords)
        self.shape = (problem.height, problem.width)
        self.batch_pixels = batch_pixels
        self.full: Batch | None = None
        if batch_pixels is None or batch_pixels >= self.pixels:
            routing = Routing.build(self._ids, self._experts, device)
            self.full = Batch(self.coords, self.target, self.target01, routing, None)
        self._gen = torch.Generator(device="cpu").manual_seed(seed)

    def stratified(self, stride: int) -> Batch:
        """One random pixel in each ``stride``×``stride`` cell of the image (cells cut by the
        border included), drawn anew at each call: a batch of about 1/stride² of the pixels
        that covers the whole picture evenly and, unlike a fixed subgrid, every expert of a
        fine periodic tiling (the coarse warm-up's batch)."""
        h, w = self.shape
        ys = np.arange(0, h, stride)
        xs = np.arange(0, w, stride)
        dy = torch.randint(0, stride, (len(ys), len(xs)), generator=self._gen).numpy()
        dx = torch.randint(0, stride, (len(ys), len(xs)), generator=self._gen).numpy()
        rows = np.minimum(ys[:, None] + dy, h - 1)
        cols = np.minimum(xs[None, :] + dx, w - 1)
        return self._gather((rows * w + cols).ravel())

    def _gather(self, idx: np.ndarray) -> Batch:
        routing = Routing.build([ids[idx] for ids in self._ids], self._experts, self.device)
        sel = host_to_device(torch.from_numpy(idx), self.device)
        return Batch(self.coords[sel], self.target[sel], self.target01[sel], routing, sel)

    def next(self) -> Batch:
        if self.full is not None:
            return self.full
        idx = torch.randint(0, self.pixels, (self.batch_pixels,), generator=self._gen).numpy()
        return self._gather(idx)

    def chunks(self, size: int | None = None) -> Iterator[Batch]:
        """Every pixel once, in raster order: the full batch, or runs of ``size`` pixels
        (default: the training batch's size, which fits) — a whole-image evaluation."""
        if self.full is not None:
            yield self.full
            return
        size = max(1, size or self.batch_pixels or self.pixels)
        for start in range(0, self.pixels, size):
            yield self._gather(np.arange(start, min(start + size, self.pixels)))
