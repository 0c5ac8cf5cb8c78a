"""The luminance histogram, coloured by class, with the thresholds and their values.

Threshold labels are text items placed by hand rather than the lines' own labels: two close
thresholds (0.42 and 0.61 on a 16-bit photo in a narrow plot, or 0.50 and 0.51 anywhere) would
print their values on top of each other. :func:`stagger_levels` puts a label one text line lower
whenever it would touch one already placed, and the labels are placed again whenever the plot
changes size (a pixel is then a different span of luminance).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .palette import hex_of

LABEL_GAP_PX = 4.0  # horizontal room kept between two labels on one line


def stagger_levels(centres: list[float], widths: list[float],
                   gap: float = LABEL_GAP_PX) -> list[int]:
    """Text lines (0 = top) for labels centred at ``centres`` with ``widths`` (pixels): each
    takes the highest line where it keeps ``gap`` from every label already there."""
    levels = [0] * len(centres)
    placed: list[tuple[float, float, int]] = []  # (centre, width, level)
    for i in sorted(range(len(centres)), key=lambda i: centres[i]):
        level = 0
        while any(lv == level and abs(centres[i] - c) < (widths[i] + w) / 2 + gap
                  for c, w, lv in placed):
            level += 1
        levels[i] = level
        placed.append((centres[i], widths[i], level))
    return levels


class ThresholdHistogram:
    """Draws into ``plot`` (a PlotItem): 128 bins per class colour, a line per threshold."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.curves: list[pg.PlotDataItem] = []
        self.lines: list[pg.InfiniteLine] = []
        self.labels: list[pg.TextItem] = []
        plot.setLabel("bottom", "luminance")
        plot.setLabel("left", "pixels")
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.getViewBox().sigResized.connect(self.place_labels)

    def draw(self, seg) -> None:
        for item in self.curves + self.lines + self.labels:
            self.plot.removeItem(item)
        self.curves, self.lines, self.labels = [], [], []
        if seg is None:
            return
        counts, edges = np.histogram(seg.luminance, bins=128, range=(0.0, 1.0))
        centres = 0.5 * (edges[:-1] + edges[1:])
        cls = np.digitize(centres, seg.thresholds)
        for c in range(seg.config.classes):
            y = np.where(cls == c, counts, 0).astype(float)
            curve = pg.PlotDataItem(edges, y, stepMode="center", fillLevel=0,
                                    brush=pg.mkBrush(hex_of(c)), pen=pg.mkPen(hex_of(c)))
            self.plot.addItem(curve)
            self.curves.append(curve)
        for t in seg.thresholds:
            line = pg.InfiniteLine(pos=float(t), angle=90, pen=pg.mkPen("#222", width=2))
            label = pg.TextItem(f"{t:.3f}", color="#222", anchor=(0.5, 0.0),
                                fill=pg.mkBrush(255, 255, 255, 200))
            label.setZValue(20)
            for item in (line, label):
                self.plot.addItem(item)
            self.lines.append(line)
            self.labels.append(label)
        self.plot.setXRange(0, 1, padding=0.02)
        # A few bins (a black background, a white sky) can dwarf the rest: clip them.
        top = max(1.0, float(np.percentile(counts, 97)) * 1.3)
        self.plot.setYRange(0, min(top, float(counts.max())) * 1.05, padding=0)
        self.place_labels()

    def place_labels(self, *_: object) -> None:
        """Each value just under the top of the plot, staggered so none touches another."""
        if not self.labels:
            return
        vb = self.plot.getViewBox()
        px_w, px_h = vb.viewPixelSize()
        if not (px_w > 0 and px_h > 0 and np.isfinite(px_w) and np.isfinite(px_h)):
            return
        sizes = [label.boundingRect() for label in self.labels]  # pixels (ignores the view)
        centres = [line.value() / px_w for line in self.lines]
        levels = stagger_levels(centres, [s.width() for s in sizes])
        top = vb.viewRange()[1][1]
        step = max(s.height() for s in sizes) + 2  # pixels between two lines of labels
        for line, label, level in zip(self.lines, self.labels, levels):
            label.setPos(line.value(), top - (2 + level * step) * px_h)
