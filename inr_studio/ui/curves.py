"""What the PSNR curves are drawn against (Qt-free): iterations, each model's own training
seconds, or the operations it computed (forward multiply-accumulates,
:mod:`inr_studio.engine.operations`). Two models of different cost per step compare fairly
only on the last two: a wide SIREN takes as many iterations as an LoE of its parameter count,
at four times the multiply-adds."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

ITERATIONS, SECONDS, OPERATIONS = "iterations", "seconds", "operations"
#: axis key -> (menu text, axis label, units for pyqtgraph's SI prefixes)
AXES: dict[str, tuple[str, str, str | None]] = {
    ITERATIONS: ("Iterations", "iteration", None),
    SECONDS: ("Seconds", "training time, the model's own", "s"),
    OPERATIONS: ("Operations", "operations, forward multiply-accumulates", "MAC"),
}

#: steps -> operations spent to reach them, per model
OperationsOf = Callable[[np.ndarray], np.ndarray]


class ComputeClock:
    """Each model's own training seconds at each curve point. A progress batch gives, per
    model, the steps done and the compute speed (steps / own seconds) at its end; the points in
    between are placed by linear interpolation from the previous batch's end."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[float, float]] = {}  # kind -> (steps done, own seconds)

    def seconds(self, kind: str, steps: np.ndarray, done: int, iters_per_s: float) -> np.ndarray:
        prev_done, prev_s = self._last.get(kind, (0.0, 0.0))
        now_s = done / iters_per_s if iters_per_s > 0 else prev_s
        self._last[kind] = (float(done), now_s)
        if done <= prev_done:
            return np.full(len(steps), now_s)
        rate = (now_s - prev_s) / (done - prev_done)
        return np.clip(prev_s + (np.asarray(steps, np.float64) - prev_done) * rate, 0.0, None)


def x_values(axis: str, steps: np.ndarray, seconds: np.ndarray,
             operations: OperationsOf | None) -> np.ndarray:
    """The x of each point on ``axis`` (operations: the steps where no count is known)."""
    if axis == SECONDS:
        return seconds
    if axis == OPERATIONS and operations is not None:
        return operations(steps)
    return np.asarray(steps, dtype=np.float64)


def operations_by_model(specs, train, height: int, width: int) -> Mapping[str, OperationsOf]:
    """Each model's steps → operations, for the run's specs, training and working size."""
    from ..engine.operations import operations

    return {s.key: (lambda steps, s=s: operations(s, train, height, width, steps)) for s in specs}
