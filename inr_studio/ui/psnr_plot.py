"""PSNR against iterations, each model's own training seconds, or the operations it computed
(:mod:`.curves`), one curve per model, updated in place (``setData``), never rebuilt; a star on
each curve marks the step whose weights the run keeps (its best).

The axes are set by hand, not auto-ranged: x doubles (up to the run's end where it is known)
and y grows in whole-dB steps only when a curve leaves them. Auto-range would re-measure every
curve and re-tick both axes on each update, all in Python on the GUI thread, which while a
worker holds the GIL between steps cost tens of milliseconds per update (benchmarks/ui_stall.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from ..engine.messages import ProgressBatch
from ..models import registry
from ..models.registry import PAPER_MODELS
from .curves import AXES, ITERATIONS, SECONDS, ComputeClock, OperationsOf, x_values


class PsnrPlot(pg.PlotWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setAcceptDrops(False)
        self.setLabel("left", "PSNR", units="dB")
        self.showGrid(x=True, y=True, alpha=0.25)
        legend = self.addLegend(offset=(-10, -10), labelTextColor="#222")  # bottom right:
        legend.setColumnCount(2)  # curves rise; two columns keep it low under the panels
        self.plotItem.setClipToView(True)
        self.plotItem.setDownsampling(auto=True, mode="peak")
        self.plotItem.disableAutoRange()
        self.axis = ITERATIONS
        self._y = (10.0, 30.0)
        self._steps: dict[str, list[np.ndarray]] = {}
        self._psnr: dict[str, list[np.ndarray]] = {}
        self._seconds: dict[str, list[np.ndarray]] = {}
        self._operations: Mapping[str, OperationsOf] = {}
        self._clock = ComputeClock()
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.markers: dict[str, pg.PlotDataItem] = {}
        self._best: dict[str, tuple[int, float]] = {}
        self.models: tuple[str, ...] = ()
        self._label_axis()
        self.set_models(PAPER_MODELS)

    def set_models(self, models: tuple[str, ...]) -> None:
        """One curve (and legend entry) per chosen model, in their order; clears the curves."""
        models = tuple(models)
        if models != self.models:
            for item in (*self.curves.values(), *self.markers.values()):
                self.removeItem(item)  # a curve also drops its legend entry
            self.models = models
            self.curves = {k: self.plot([], [], name=registry.titled(k),
                                        pen=pg.mkPen(registry.colour(k), width=2))
                           for k in models}
            self.markers = {k: self.plot([], [], pen=None, symbol="star", symbolSize=14,
                                         symbolBrush=registry.colour(k), symbolPen="#222")
                            for k in models}
        self.reset()

    def reset(self, iterations: int = 100,
              operations: Mapping[str, OperationsOf] | None = None) -> None:
        """Empty curves for a run of ``iterations`` steps; ``operations``: each model's steps →
        operations (without it the operations axis shows iterations)."""
        self._steps = {k: [] for k in self.models}
        self._psnr = {k: [] for k in self.models}
        self._seconds = {k: [] for k in self.models}
        self._operations = dict(operations or {})
        self._clock = ComputeClock()
        self._best = {}
        for item in (*self.curves.values(), *self.markers.values()):
            item.setData([], [])
        self._y = (10.0, 30.0)
        self._iterations = max(1, iterations)
        self._fit_x()
        self.setYRange(*self._y, padding=0)

    # --- the x axis ---
    def set_axis(self, axis: str) -> None:
        """Draw the curves against ``axis`` (a key of :data:`AXES`)."""
        if axis not in AXES:
            raise ValueError(f"unknown axis {axis!r}")
        if axis != self.axis:
            self.axis = axis
            self._label_axis()
            for kind in self.models:
                self._redraw(kind)
            self._fit_x()

    def _label_axis(self) -> None:
        _, label, units = AXES[self.axis]
        self.setLabel("bottom", label, units=units)

    def _x_end(self) -> float | None:
        """Where the run ends on this axis (None: not known before it ends, as seconds)."""
        steps = np.array([self._iterations])
        ends = [float(x_values(self.axis, steps, steps, self._operations.get(k))[0])
                for k in self.models]
        return None if self.axis == SECONDS or not ends else max(ends)

    def _fit_x(self) -> None:
        """The x range: the first hundred steps' worth, doubled until the data fits."""
        end = self._x_end()
        if self.axis == SECONDS:
            start = 1.0
        else:
            first = np.array([min(self._iterations, 100)])
            start = max(float(x_values(self.axis, first, first, self._operations.get(k))[0])
                        for k in self.models) if self.models else 100.0
        self._x = max(start, 1e-12)
        if end is not None:
            self._x = min(self._x, end)
        self._x_cap = end
        most = max((float(c.xData[-1]) for c in self.curves.values()
                    if c.xData is not None and len(c.xData)), default=0.0)
        self._grow_x(most, force=True)

    def _grow_x(self, last_x: float, force: bool = False) -> None:
        if last_x > self._x:
            while self._x < last_x:
                self._x *= 2
            if self._x_cap is not None:
                self._x = min(self._x, self._x_cap)
        elif not force:
            return
        self.setXRange(0, self._x, padding=0.02)

    def _grow_y(self, values: np.ndarray) -> None:
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return
        lo, hi = min(self._y[0], float(finite.min())), max(self._y[1], float(finite.max()))
        if (lo, hi) != self._y:
            self._y = (float(np.floor(lo - 1.0)), float(np.ceil(hi + 1.0)))
            self.setYRange(*self._y, padding=0)

    # --- data ---
    def add_points(self, batch: ProgressBatch) -> None:
        for kind, (steps, psnr) in batch.points.items():
            if kind not in self.curves or len(steps) == 0:
                continue
            stats = batch.stats.get(kind)
            seconds = self._clock.seconds(kind, steps, stats.step, stats.iters_per_s) \
                if stats is not None else np.full(len(steps), np.nan)
            self.add_series(kind, steps, psnr, seconds)
        for kind, st in batch.stats.items():
            if kind in self.markers and st.best_step >= 0 and np.isfinite(st.best_psnr):
                self.set_best(kind, st.best_step, st.best_psnr)

    def add_series(self, kind: str, steps: np.ndarray, psnr: np.ndarray,
                   seconds: np.ndarray) -> None:
        """Points of one model: step, PSNR and the model's own seconds at each (a reopened
        run's curves come this way)."""
        if kind not in self.curves or len(steps) == 0:
            return
        self._steps[kind].append(np.asarray(steps))
        self._psnr[kind].append(np.asarray(psnr, dtype=np.float64))
        self._seconds[kind].append(np.asarray(seconds, dtype=np.float64))
        self._grow_y(np.asarray(psnr, dtype=np.float64))
        if len(self._steps[kind]) > 64:  # keep the number of pieces small
            for parts in (self._steps, self._psnr, self._seconds):
                parts[kind] = [np.concatenate(parts[kind])]
        x = self._redraw(kind)
        self._grow_x(float(x[-1]))

    def set_best(self, kind: str, step: int, psnr: float) -> None:
        """Put ``kind``'s star at the kept step (drawn on the curve's x axis)."""
        self._best[kind] = (int(step), float(psnr))
        self._place_star(kind)

    def best_marker(self, kind: str) -> tuple[float, float] | None:
        """(step, PSNR) of the star on ``kind``'s curve; None before anything is kept."""
        return self._best.get(kind)

    def _redraw(self, kind: str) -> np.ndarray:
        steps, psnr = self.series(kind)
        x = x_values(self.axis, steps, self.seconds(kind), self._operations.get(kind))
        self.curves[kind].setData(x, psnr)
        self._place_star(kind)
        return x

    def _place_star(self, kind: str) -> None:
        best = self._best.get(kind)
        steps, _ = self.series(kind)
        curve_x = self.curves[kind].xData
        if best is None or len(steps) == 0 or curve_x is None or len(curve_x) != len(steps):
            return
        x = float(np.interp(best[0], steps, curve_x))  # the kept step is one of the points
        self.markers[kind].setData([x], [best[1]])

    def series(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        if not self._steps.get(kind):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(self._steps[kind]), np.concatenate(self._psnr[kind])

    def seconds(self, kind: str) -> np.ndarray:
        """The model's own training seconds at each of its points."""
        if not self._seconds.get(kind):
            return np.zeros(0)
        return np.concatenate(self._seconds[kind])
