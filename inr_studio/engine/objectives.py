"""What a training phase minimises. A phase names its objective; this module resolves it.

An objective is bound to one image and device when its phase starts. ``loss`` returns the
loss and the network's pixel prediction in [-1, 1] for the batch (the engine reports PSNR on
pixels for every model, whatever it minimises); ``finish`` runs once after the phase's last
step (closed-form steps such as EoREN's colour constant). New ways of training are new
objectives registered here, not new loops.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..errors import OptionError
from ..models.network import CoordinateNet
from ..problem import FitProblem
from .batch import Batch, Batcher


def clipped_mse01(pred: torch.Tensor, target01: torch.Tensor) -> torch.Tensor:
    """MSE on [0, 1] values of a [-1, 1] prediction clipped to [0, 1] (docs/models.md's PSNR)."""
    with torch.no_grad():
        return torch.mean((torch.clamp((pred.detach() + 1) * 0.5, 0, 1) - target01) ** 2)


def pixel_loss(model: CoordinateNet, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """MSE on [-1, 1] values (the paper's loss) and the prediction it came from."""
    pred = model(batch.coords, batch.routing)
    return torch.mean((pred - batch.target) ** 2), pred


class Objective:
    """Base class: the paper's pixel MSE. Subclasses override :meth:`loss` and/or :meth:`finish`."""

    #: Whether a CUDA graph may capture this objective's full-batch step.
    graphable = True
    #: Whether a phase of this objective keeps its best weights when the run does
    #: (``TrainConfig.keep_best``); :attr:`always_keeps_best`: whatever the run says.
    keeps_best = True
    always_keeps_best = False

    def __init__(self, problem: FitProblem, batcher: Batcher, **options: object) -> None:
        if options:
            raise OptionError(f"objective {type(self).__name__} takes no options "
                              f"({', '.join(options)} given).")
        self.problem = problem
        self.batcher = batcher

    def batch(self) -> Batch:
        """The pixels of the next step (default: the run's batcher)."""
        return self.batcher.next()

    @classmethod
    def relative_cost(cls, **options: object) -> float:
        """A step's cost against a step of the run's own batch (what an ETA weighs by)."""
        return 1.0

    @property
    def fixed_batch(self) -> Batch | None:
        """The batch every step sees, if it never changes (what a CUDA graph may capture)."""
        return self.batcher.full

    def loss(self, model: CoordinateNet, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        return pixel_loss(model, batch)

    def criterion(self, loss: torch.Tensor, mse01: torch.Tensor) -> torch.Tensor:
        """What best-keeping minimises, from a step's (loss, clipped MSE): the clipped [0, 1]
        MSE of the pixels, i.e. the PSNR curve (both on the device)."""
        return mse01

    def evaluate(self, model: CoordinateNet) -> tuple[torch.Tensor, torch.Tensor]:
        """(criterion, clipped [0, 1] MSE) of the whole image with the weights as they are,
        on the device, no update: the phase's last weights, and random-batch runs' checks."""
        # float32 on the device: some devices (MPS) have no float64
        total = torch.zeros((), dtype=torch.float32, device=self.batcher.device)
        count = 0
        with torch.no_grad():
            for batch in self.batcher.chunks():
                _, pred = self.loss(model, batch)
                total += clipped_mse01(pred, batch.target01).float() * batch.target01.numel()
                count += batch.target01.numel()
        mse01 = total / count
        return self.criterion(mse01, mse01), mse01

    def prepare(self, model: CoordinateNet) -> None:
        """When the phase starts, before its optimiser is built (e.g. to reparametrise the
        weights, as quantisation-aware training does)."""

    def finish(self, model: CoordinateNet) -> None:
        """After the phase's last step (or when a run stops inside the phase)."""

    def bind(self, optimizer: torch.optim.Optimizer, steps: int) -> None:
        """When the phase's optimiser is built: the objective may drive its learning rate over
        the phase's ``steps`` (the latent model's own cosine)."""

    def estimated_bpp(self) -> float:
        """The rate this objective trains, in bits per pixel, as of the last step (NaN: none)."""
        return float("nan")


class CoarseWarmUp(Objective):
    """The pixel MSE on one random pixel of each ``stride``×``stride`` cell, drawn anew each
    step (:meth:`.Batcher.stratified`). A step costs about 1/stride² of a full-batch one, so
    the network learns the picture's coarse content quickly before the full grid refines it
    (the window's CPU warm-up; measured in docs/results.md)."""

    graphable = False  # a new batch every step
    #: A warm-up step's forward sees a quarter of the pixels: not a whole-image loss, so its
    #: steps are no candidates for the best weights (docs/decisions.md).
    keeps_best = False

    def __init__(self, problem: FitProblem, batcher: Batcher, stride: int = 2) -> None:
        super().__init__(problem, batcher)
        if int(stride) < 2 or int(stride) != stride:
            raise OptionError(f"the warm-up's stride must be an integer ≥ 2, got {stride}.")
        self.stride = int(stride)

    def batch(self) -> Batch:
        return self.batcher.stratified(self.stride)

    @classmethod
    def relative_cost(cls, stride: int = 2, **options: object) -> float:
        return 1.0 / (int(stride) ** 2)  # one pixel of each stride² (0.27–0.29 measured at 2)

    @property
    def fixed_batch(self) -> None:
        return None


OBJECTIVES: dict[str, type[Objective]] = {"pixels": Objective, "coarse": CoarseWarmUp}


def register_objective(name: str) -> Callable[[type[Objective]], type[Objective]]:
    def add(cls: type[Objective]) -> type[Objective]:
        OBJECTIVES[name] = cls
        return cls
    return add


def phase_cost(objective: str, options: dict) -> float:
    """What one step of a phase costs against a full step (1 for an unknown objective)."""
    cls = OBJECTIVES.get(objective)
    return 1.0 if cls is None else float(cls.relative_cost(**options))


def make_objective(name: str, problem: FitProblem, batcher: Batcher,
                   options: dict) -> Objective:
    try:
        cls = OBJECTIVES[name]
    except KeyError:
        raise OptionError(f"unknown training objective {name!r}; known: "
                          f"{', '.join(OBJECTIVES)}.") from None
    return cls(problem, batcher, **options)
