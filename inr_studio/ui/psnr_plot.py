"""PSNR against iteration, one curve per model, updated in place (``setData``), never rebuilt;
a star on each curve marks the step whose weights the run keeps (its best).

The axes are set by hand, not auto-ranged: x doubles (up to the run's iterations) and y grows
in whole-dB steps only when a curve leaves them. Auto-range would re-measure every curve and
re-tick both axes on each update, all in Python on the GUI thread, which while a worker holds
the GIL between steps cost tens of milliseconds per update (benchmarks/ui_stall.py).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from ..engine.messages import ProgressBatch
from ..models import registry
from ..models.registry import PAPER_MODELS


class PsnrPlot(pg.PlotWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setAcceptDrops(False)
        self.setLabel("bottom", "iteration")
        self.setLabel("left", "PSNR", units="dB")
        self.showGrid(x=True, y=True, alpha=0.25)
        self.addLegend(offset=(-10, -10), labelTextColor="#222")  # bottom right: curves rise
        self.plotItem.setClipToView(True)
        self.plotItem.setDownsampling(auto=True, mode="peak")
        self.plotItem.disableAutoRange()
        self._y = (10.0, 30.0)
        self._steps: dict[str, list[np.ndarray]] = {}
        self._psnr: dict[str, list[np.ndarray]] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.markers: dict[str, pg.PlotDataItem] = {}
        self.models: tuple[str, ...] = ()
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

    def reset(self, iterations: int = 100) -> None:
        self._steps = {k: [] for k in self.models}
        self._psnr = {k: [] for k in self.models}
        for item in (*self.curves.values(), *self.markers.values()):
            item.setData([], [])
        self._y = (10.0, 30.0)
        self._iterations = max(1, iterations)
        self._x = min(self._iterations, 100)
        self.setXRange(0, self._x, padding=0.02)
        self.setYRange(*self._y, padding=0)

    def _grow_x(self, last_step: int) -> None:
        if last_step > self._x:
            while self._x < last_step:
                self._x *= 2
            self._x = min(self._x, self._iterations)
            self.setXRange(0, self._x, padding=0.02)

    def _grow_y(self, values: np.ndarray) -> None:
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return
        lo, hi = min(self._y[0], float(finite.min())), max(self._y[1], float(finite.max()))
        if (lo, hi) != self._y:
            self._y = (float(np.floor(lo - 1.0)), float(np.ceil(hi + 1.0)))
            self.setYRange(*self._y, padding=0)

    def add_points(self, batch: ProgressBatch) -> None:
        for kind, (steps, psnr) in batch.points.items():
            if kind not in self.curves or len(steps) == 0:
                continue
            self._steps[kind].append(steps)
            self._psnr[kind].append(psnr)
            self._grow_y(psnr)
            self._grow_x(int(steps[-1]))
            if len(self._steps[kind]) > 64:  # keep the number of pieces small
                self._steps[kind] = [np.concatenate(self._steps[kind])]
                self._psnr[kind] = [np.concatenate(self._psnr[kind])]
            self.curves[kind].setData(np.concatenate(self._steps[kind]),
                                      np.concatenate(self._psnr[kind]))
        for kind, st in batch.stats.items():
            if kind in self.markers and st.best_step >= 0 and np.isfinite(st.best_psnr):
                self.markers[kind].setData([st.best_step], [st.best_psnr])

    def best_marker(self, kind: str) -> tuple[float, float] | None:
        """(step, PSNR) of the star on ``kind``'s curve; None before anything is kept."""
        x, y = self.markers[kind].getData()
        return None if x is None or len(x) == 0 else (float(x[0]), float(y[0]))

    def series(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        if not self._steps.get(kind):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(self._steps[kind]), np.concatenate(self._psnr[kind])
