"""EoREN (the edge-oriented INR note, 2021; docs/models.md): fit the image's gradients, then its
colour.

Stage 1 (objective ``gradients``) fits the network's spatial gradient, by autograd w.r.t. the
input coordinates, to the Sobel gradient of the image with the note's "magnitude adjustment"
(normalised by the filter's weight and converted to the units of our [-1, 1] coordinates).
The gradient cannot see a per-channel constant: stage 2 adds it in closed form (the mean of
v − f per channel) to the last layer's bias, so the network alone is the image. An optional
``colour`` phase then fits pixels for a few steps. PSNR is on pixels, like every model.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.ndimage import correlate

from ..edges import SOBEL_X, SOBEL_Y
from ..errors import OptionError
from ..models.network import CoordinateNet
from ..problem import FitProblem, routing_for
from .batch import Batch, Batcher
from .objectives import Objective, clipped_mse01, pixel_loss, register_objective


def gradient_target(pixels01: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Gx, Gy), each H×W×C float32: d v / d x and d v / d y of v = 2u − 1 per channel, in the
    units of the network's input (x, y over [-1, 1]).

    A Sobel response is 8 × the per-pixel derivative (a 2-pixel central difference with
    weights 1 + 2 + 1) and a pixel is 2/W wide, so Gx = (W/16)·Sx and Gy = (H/16)·Sy. Borders
    replicate the edge pixel, so border pixels get about half the true derivative
    (:func:`interior_mask` leaves them out of the loss).
    """
    img = np.asarray(pixels01, dtype=np.float64)
    if img.ndim == 2:
        img = img[:, :, None]
    h, w = img.shape[:2]
    v = 2.0 * img - 1.0
    gx = np.empty_like(v)
    gy = np.empty_like(v)
    for c in range(v.shape[2]):
        # the Sobel kernels, the Edges view's (rows: y, growing downward), as a correlation
        gx[..., c] = correlate(v[..., c], SOBEL_X.astype(np.float64), mode="nearest")
        gy[..., c] = correlate(v[..., c], SOBEL_Y.astype(np.float64), mode="nearest")
    return (gx * (w / 16.0)).astype(np.float32), (gy * (h / 16.0)).astype(np.float32)


def interior_mask(height: int, width: int) -> np.ndarray:
    """H×W bool: True except the first and last row and column (where the Sobel target is
    halved by the edge replication)."""
    mask = np.zeros((height, width), dtype=bool)
    mask[1:-1, 1:-1] = True
    return mask


def coordinate_gradients(model: CoordinateNet, batch: Batch, create_graph: bool = True
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """(f, ∂f/∂(x, y)): the prediction N×C and its gradient N×C×2 w.r.t. the input coordinates,
    one autograd pass per channel (kept for the double backward when ``create_graph``)."""
    coords = batch.coords.detach().requires_grad_(True)
    with torch.enable_grad():
        f = model(coords, batch.routing)
        grads = [torch.autograd.grad(f[:, c].sum(), coords, create_graph=create_graph,
                                     retain_graph=True)[0] for c in range(f.shape[1])]
    return f, torch.stack(grads, dim=1)


def colour_constant(model: CoordinateNet, problem: FitProblem, device: torch.device,
                    chunk: int = 1 << 17) -> torch.Tensor:
    """The per-channel constant the gradient cannot see: mean over all pixels of v − f."""
    coords = problem.coords()
    target = problem.pixels.reshape(-1, problem.pixels.shape[2]).astype(np.float64) * 2.0 - 1.0
    total = torch.zeros(problem.pixels.shape[2], dtype=torch.float64)
    with torch.no_grad():
        for start in range(0, len(coords), chunk):
            part = coords[start:start + chunk]
            routing = routing_for(problem.config, part, problem.class_map, device)
            f = model(torch.from_numpy(part.astype(np.float32)).to(device), routing)
            # to the host first: float64 is the host's sum (MPS has no float64)
            total += (torch.from_numpy(target[start:start + chunk]) - f.cpu().double()).sum(0)
    return (total / len(coords)).float()


@register_objective("gradients")
class GradientObjective(Objective):
    """Stage 1: mean over interior pixels and channels of (∂f/∂x − Gx)² + (∂f/∂y − Gy)², plus
    ``pixel_weight``·α² × the pixel MSE, α = (longest side)/2 (gradients are about that many
    times larger than values; 0 by default: gradients only).

    The prediction returned for PSNR is f plus the batch's per-channel constant (what
    :meth:`finish` folds in). That constant is also moved into the last bias before each
    step, so previews show the image: the gradient loss does not depend on that bias, so
    Adam never changes it.
    """

    graphable = False  # one autograd.grad per channel inside the loss

    def __init__(self, problem: FitProblem, batcher: Batcher, pixel_weight: float = 0.0) -> None:
        super().__init__(problem, batcher)
        cfg = problem.config
        if cfg.activation != "sine" or any(t.experts != 1 for t in cfg.tilings):
            raise OptionError("the gradient objective needs a plain SIREN (LoE layers have no "
                              "double backward).")
        if not cfg.gradient_fit:
            raise OptionError("the gradient objective needs a network built for it "
                              "(gradient_fit, as the eoren model): the fused sine has no "
                              "double backward.")
        if not (pixel_weight >= 0 and np.isfinite(pixel_weight)):
            raise OptionError(f"EoREN's pixel weight must be 0 or more, got {pixel_weight}.")
        h, w = problem.height, problem.width
        gx, gy = gradient_target(problem.pixels)
        target = np.stack([gx, gy], axis=-1).reshape(h * w, -1, 2)  # N × C × 2
        device = batcher.device
        self.target = torch.from_numpy(target).to(device)
        #: 1 inside, 0 on the border: a weight, not a boolean mask (indexing by a mask makes
        #: the host wait for the device to count its rows, at every step)
        self.interior = torch.from_numpy(interior_mask(h, w).ravel()).to(device, torch.float32)
        self.pixel_weight = float(pixel_weight) * (max(h, w) / 2.0) ** 2
        self._pending: torch.Tensor | None = None

    def loss(self, model: CoordinateNet, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        last = model.layers[-1]
        if self._pending is not None:
            with torch.no_grad():
                last.bias += self._pending
            self._pending = None
        f, grad = coordinate_gradients(model, batch)
        if batch.index is None:
            target, inside = self.target, self.interior
        else:
            target, inside = self.target[batch.index], self.interior[batch.index]
        sq = ((grad - target) ** 2).sum(dim=2)  # N × C: x and y terms summed
        # the mean over interior pixels and channels (0 for a batch of border pixels only)
        loss = (sq * inside[:, None]).sum() / (inside.sum() * sq.shape[1]).clamp_min(1.0)
        offset = (batch.target - f.detach()).mean(dim=0)
        pred = f + offset
        if self.pixel_weight > 0:
            loss = loss + self.pixel_weight * torch.mean((pred - batch.target) ** 2)
        self._pending = offset
        return loss, pred

    def criterion(self, loss: torch.Tensor, mse01: torch.Tensor) -> torch.Tensor:
        """Best-keeping minimises this objective's own loss (the gradient fit, plus the pixel
        term when weighted), not the pixels' PSNR: what stage 1 is asked to fit."""
        return loss

    def evaluate(self, model: CoordinateNet) -> tuple[torch.Tensor, torch.Tensor]:
        """(gradient loss, clipped MSE) of the whole image, chunk by chunk, without updating
        anything (the per-channel constant is the whole image's, as :meth:`finish` adds)."""
        device = self.batcher.device
        # float32 on the device: some devices (MPS) have no float64
        sq_sum = torch.zeros((), dtype=torch.float32, device=device)
        inside_n = torch.zeros((), dtype=torch.float32, device=device)
        preds, targets = [], []
        for batch in self.batcher.chunks():
            f, grad = coordinate_gradients(model, batch, create_graph=False)
            target = self.target if batch.index is None else self.target[batch.index]
            inside = self.interior if batch.index is None else self.interior[batch.index]
            sq = ((grad.detach() - target) ** 2).sum(dim=2)
            sq_sum += (sq * inside[:, None]).sum()  # the mask is 0/1 floats
            inside_n += inside.sum() * sq.shape[1]
            preds.append(f.detach())
            targets.append(batch.target)
        f, target = torch.cat(preds), torch.cat(targets)
        pred = f + (target - f).mean(dim=0)
        mse01 = clipped_mse01(pred, (target + 1) * 0.5)
        loss = sq_sum / inside_n.clamp_min(1.0)
        if self.pixel_weight > 0:
            loss = loss + self.pixel_weight * torch.mean((pred - target) ** 2)
        return loss, mse01

    def finish(self, model: CoordinateNet) -> None:
        """Stage 2's closed form: the whole image's per-channel constant into the last bias."""
        self._pending = None
        offset = colour_constant(model, self.problem, self.batcher.device)
        with torch.no_grad():
            model.layers[-1].bias += offset.to(model.layers[-1].bias.device)


@register_objective("colour")
class ColourObjective(Objective):
    """EoREN's optional colour phase: pixel MSE (the low-frequency colour the gradient fit
    left), run with its own steps and a lower learning rate after stage 1."""

    def loss(self, model: CoordinateNet, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        return pixel_loss(model, batch)
