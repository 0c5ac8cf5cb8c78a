"""The latent-grid model's training objective: distortion plus λ times rate.

    loss = MSE(û, u) on [0, 1] + λ · R / (H · W),   R = Σ −log2 P(ŷ) in bits (the ARM's Laplace)

One objective, ``latent``, three ways to stand in for rounding the latents (the ``quantiser``
option of a phase):

- ``noise``: ŷ = y + U(−½, ½) (Ballé et al.'s additive uniform noise);
- ``softround``: ŷ = s(s(y, T) + U(−½, ½), T), the soft-rounding s of Agustsson & Theis with
  its temperature T going linearly from 0.3 to 0.1 over the phase (C3, Cool-chic);
- ``ste``: ŷ = round(y) in the forward pass, the gradient passed straight through.

The registry's spec runs noise (or soft-rounding) for most steps, then straight-through
rounding. With a ``target_psnr``, λ is not fixed: each step of a noise phase moves log λ by
:data:`RATE_CONTROL_GAIN` per dB the step's PSNR lies above the target (below: down), and the
rounding phase keeps the λ reached (kept on the model between phases), so the file lands near
the target without a second training. Each phase sets its own learning rate on the optimiser, a cosine from ``lr`` down to
``lr · lr_floor`` over the phase (C3's schedule), and a ``keep_best`` phase ends on the
parameters of its lowest loss (with rounding the loss is the file's own, deterministic). Both
are this objective's own: the cosine has the engine's shape (to 1 % of the rate), but the rate
is the objective's, and the best is kept by the rate–distortion loss, which the engine's keeper
(whole-image PSNR) does not know.
"""

from __future__ import annotations

import math

import torch

from ..errors import OptionError
from ..models.latent_net import LatentNet
from ..problem import FitProblem
from .batch import Batch, Batcher
from .objectives import Objective, register_objective

QUANTISERS = ("noise", "softround", "ste")
#: The learning rate of the latent model (Cool-chic's and C3's start): its parameters are
#: latent values on an integer grid, on a scale unrelated to a coordinate network's weights.
LATENT_LR = 1e-2
SOFTROUND_T = (0.3, 0.1)
#: Rate control: change of log λ per step and dB away from the target PSNR, and λ's bounds.
RATE_CONTROL_GAIN = 2e-3
LOG_LAMBDA_RANGE = (math.log(1e-6), math.log(1.0))


def softround(x: torch.Tensor, t: float) -> torch.Tensor:
    """Agustsson & Theis' soft rounding: round(x) as t → 0, x as t → ∞."""
    floor = torch.floor(x)
    delta = x - floor - 0.5
    return floor + 0.5 * torch.tanh(delta / t) / math.tanh(0.5 / t) + 0.5


def cosine(step: int, total: int, floor: float) -> float:
    """A factor from 1 at step 0 down to ``floor`` at the last step (half a cosine)."""
    if total <= 1:
        return 1.0
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(step, total - 1) / (total - 1)))


@register_objective("latent")
class RateDistortion(Objective):
    """MSE + λ·R/(H·W) of a :class:`LatentNet` (options: ``lam``, ``quantiser``, ``lr``,
    ``lr_floor``, ``keep_best``, ``seed`` of the noise, ``target_psnr``: 0 for a fixed λ)."""

    graphable = False  # fresh noise every step
    #: Its best is its own (the rounding phase's rate–distortion loss, ``keep_best``), not the
    #: engine's whole-image PSNR: a noise phase must end on its last latents, and the picture's
    #: best PSNR is not the file's best trade-off.
    keeps_best = False

    def __init__(self, problem: FitProblem, batcher: Batcher, lam: float = 1e-3,
                 quantiser: str = "noise", lr: float = LATENT_LR, lr_floor: float = 0.01,
                 keep_best: bool = False, seed: int = 0, target_psnr: float = 0.0) -> None:
        super().__init__(problem, batcher)
        if batcher.full is None:
            raise OptionError("the latent-grid model trains on the whole picture at once; set "
                              "no pixel batch (every pixel, every step).", "batch_pixels")
        if not (0 <= float(lam) < 1e3 and math.isfinite(float(lam))):
            raise OptionError(f"the rate weight λ must be in [0, 1000), got {lam}.")
        if quantiser not in QUANTISERS:
            raise OptionError(f"latent quantiser must be one of {', '.join(QUANTISERS)}, "
                              f"got {quantiser!r}.")
        if not (0 < float(lr) < 1 and 0 < float(lr_floor) <= 1):
            raise OptionError("the latent learning rate must be in (0, 1) and its floor in (0, 1].")
        self.lam = float(lam)
        self.quantiser = str(quantiser)
        self.lr, self.lr_floor = float(lr), float(lr_floor)
        self.keep_best = bool(keep_best)
        if not (0 <= float(target_psnr) < 100):
            raise OptionError(f"the target PSNR must be in (0, 100) dB, got {target_psnr}.")
        self.target = float(target_psnr)
        self._log_lam: torch.Tensor | None = None
        self._gen = torch.Generator(device=batcher.device).manual_seed(int(seed))
        self._pixels = problem.height * problem.width
        self._optimizer: torch.optim.Optimizer | None = None
        self._steps = 1
        self._t = 0
        self._best: list[torch.Tensor] | None = None
        self._best_loss: torch.Tensor | None = None
        #: The rate (bits, on the device) of the last step's latents: what progress reports.
        self.last_bits: torch.Tensor | None = None

    def bind(self, optimizer: torch.optim.Optimizer, steps: int) -> None:
        self._optimizer, self._steps, self._t = optimizer, max(1, int(steps)), 0

    def prepare(self, model: LatentNet) -> None:
        if not isinstance(model, LatentNet):
            raise OptionError("the rate–distortion objective trains latent-grid models only.")
        self._best, self._best_loss = None, None
        if self.target:
            carried = getattr(model, "rate_log_lambda", None)
            start = math.log(min(max(self.lam, 1e-6), 1.0))
            self._log_lam = carried.detach().clone() if carried is not None else torch.tensor(
                start, device=self.batcher.device)

    # --- one step ---
    def quantised(self, model: LatentNet) -> list[torch.Tensor]:
        out = []
        for y in model.scaled():
            if self.quantiser == "ste":
                out.append(y + (torch.round(y) - y).detach())
                continue
            u = torch.rand(y.shape, generator=self._gen, device=y.device, dtype=y.dtype) - 0.5
            if self.quantiser == "noise":
                out.append(y + u)
            else:
                frac = self._t / max(1, self._steps - 1)
                t = SOFTROUND_T[0] + (SOFTROUND_T[1] - SOFTROUND_T[0]) * frac
                out.append(softround(softround(y, t) + u, t))
        return out

    def loss(self, model: LatentNet, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        if self._optimizer is not None:
            lr = self.lr * cosine(self._t, self._steps, self.lr_floor)
            for group in self._optimizer.param_groups:
                group["lr"] = lr
        grids = self.quantised(model)
        pred = model.picture(grids)
        mse01 = torch.mean((pred - batch.target) ** 2) * 0.25  # [-1, 1] → [0, 1] units
        bits = model.rate_bits(grids)
        lam = self.lam if self._log_lam is None else torch.exp(self._log_lam)
        loss = mse01 + lam * bits / self._pixels
        if self._log_lam is not None and self.quantiser != "ste":
            self._control(model, mse01.detach())
        self.last_bits = bits.detach()
        if self.keep_best:
            self._remember(model, loss.detach())
        self._t += 1
        return loss, pred

    def _control(self, model: LatentNet, mse01: torch.Tensor) -> None:
        """One step of rate control, on the device (no host sync)."""
        psnr = -10.0 * torch.log10(mse01.clamp_min(1e-12))
        self._log_lam.add_(RATE_CONTROL_GAIN * (psnr - self.target)).clamp_(*LOG_LAMBDA_RANGE)
        model.rate_log_lambda = self._log_lam

    def _remember(self, model: LatentNet, loss: torch.Tensor) -> None:
        """Copy the parameters (before this step's update) when their loss is the lowest yet,
        on the device: no host sync."""
        params = [p.detach() for p in model.parameters()]
        if self._best is None:
            self._best = [p.clone() for p in params]
            self._best_loss = loss.clone()
            return
        better = loss < self._best_loss
        self._best_loss = torch.where(better, loss, self._best_loss)
        for b, p in zip(self._best, params):
            b.copy_(torch.where(better, p, b))

    def finish(self, model: LatentNet) -> None:
        lam = self.lam if self._log_lam is None else math.exp(float(self._log_lam))
        model.rate_lambda = float(lam)  # the encoder trades the weights' bits at the same λ
        if self.keep_best and self._best is not None:
            with torch.no_grad():
                for p, b in zip(model.parameters(), self._best):
                    p.copy_(b)

    def estimated_bpp(self) -> float:
        """The last step's latent rate in bits per pixel (NaN before the first step)."""
        if self.last_bits is None:
            return float("nan")
        return float(self.last_bits) / self._pixels
