"""Where each expert works: the luminance segmentation (classes coloured, thresholds on the
histogram) and the expert-id map of every layer of LoE FtC, LoE QT and HS-LoE.

Its own controls (classes, method, segmentation layer) only emit ``segmentationChanged``; the
window recomputes :class:`MapsData` and calls :meth:`show_maps`, so what is drawn always comes
from the session.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QSpinBox, QSplitter, QVBoxLayout,
                               QWidget)

from .palette import MODEL_NAMES, colour_ids, hex_of
from .session import MAX_OTSU_CLASSES, MapsData

METHODS = (("Multi-Otsu", "multiotsu"), ("Equal bins", "equal"))
MAP_ROWS = ("ftc", "qt", "hs")


def image_box(title: str | None = None) -> tuple[pg.ViewBox, pg.ImageItem]:
    """A ViewBox showing one image the right way up, with square pixels."""
    vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
    item = pg.ImageItem(axisOrder="row-major")
    vb.addItem(item)
    return vb, item


class FlexLabel(pg.LabelItem):
    """A label that never widens its layout column, so image columns keep equal widths."""

    def updateMin(self) -> None:  # noqa: N802 - pyqtgraph API
        super().updateMin()
        self.setMinimumWidth(0)
        self.setPreferredWidth(10)


class MapsView(QWidget):
    segmentationChanged = Signal(str, int, int)  # method, classes, 1-based layer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.classes = QSpinBox()
        self.classes.setRange(2, 8)
        self.method = QComboBox()
        for label, key in METHODS:
            self.method.addItem(label, key)
        self.method.setToolTip("Multi-Otsu thresholds (the paper) or luminance quantiles giving "
                               "classes of about equal size (its Table 3 ablation)")
        self.layer = QComboBox()
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color:#8a4b00;")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Classes"))
        bar.addWidget(self.classes)
        bar.addWidget(QLabel("Method"))
        bar.addWidget(self.method)
        bar.addWidget(QLabel("HS-LoE layer"))
        bar.addWidget(self.layer)
        bar.addStretch(1)

        left = pg.GraphicsLayoutWidget()
        left.setAcceptDrops(False)
        left.setBackground("w")
        left.addLabel("Luminance classes (HS-LoE experts)", row=0, col=0, color="#222")
        self.seg_box, self.seg_item = image_box()
        left.addItem(self.seg_box, row=1, col=0)
        self.hist = left.addPlot(row=2, col=0, title="Luminance histogram and thresholds")
        self.hist.setLabel("bottom", "luminance")
        self.hist.setLabel("left", "pixels")
        self.hist.setMouseEnabled(x=False, y=False)
        self.hist.hideButtons()
        left.ci.layout.setRowStretchFactor(1, 3)
        left.ci.layout.setRowStretchFactor(2, 2)
        self.hist_curves: list[pg.PlotDataItem] = []
        self.threshold_lines: list[pg.InfiniteLine] = []

        self.grid = pg.GraphicsLayoutWidget()
        self.grid.setAcceptDrops(False)
        self.grid.setBackground("w")
        self.layer_items: dict[str, list[pg.ImageItem]] = {}
        self._grid_shape: tuple[int, ...] = ()

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.grid)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        self.classes.valueChanged.connect(self._emit)
        self.method.currentIndexChanged.connect(self._emit)
        self.layer.currentIndexChanged.connect(self._emit)

    # --- controls ---
    def show_controls(self, method: str, classes: int, layer: int, layers: int) -> None:
        self._loading = True
        try:
            self.method.setCurrentIndex(max(0, self.method.findData(method)))
            self._limit_classes()
            self.classes.setValue(classes)
            self.layer.clear()
            for i in range(1, layers + 1):
                self.layer.addItem(f"L{i}" + (" (paper)" if i == layers else ""), i)
            self.layer.setCurrentIndex(max(0, self.layer.findData(layer)))
        finally:
            self._loading = False

    def set_editable(self, editable: bool) -> None:
        """Locked while a run trains HS-LoE on the current segmentation."""
        for w in (self.classes, self.method, self.layer):
            w.setEnabled(editable)

    def _limit_classes(self) -> None:
        otsu = self.method.currentData() == "multiotsu"
        self.classes.setMaximum(MAX_OTSU_CLASSES if otsu else 8)
        self.classes.setToolTip(
            f"Multi-Otsu: 2..{MAX_OTSU_CLASSES} classes (its exhaustive search takes seconds "
            "to minutes beyond); equal bins: up to 8." )

    def _emit(self, *_: object) -> None:
        if not self._loading:
            self._loading = True
            self._limit_classes()  # may lower the class count: one signal for both changes
            self._loading = False
        if not self._loading and self.layer.count():
            self.segmentationChanged.emit(str(self.method.currentData()), self.classes.value(),
                                          int(self.layer.currentData()))

    # --- drawing ---
    def show_maps(self, maps: MapsData | None) -> None:
        notes = [t for t in ((maps.error if maps else None), (maps.warning if maps else None)) if t]
        self.note.setText("\n".join(notes))
        self.note.setVisible(bool(notes))
        if maps is None or maps.segmentation is None:
            self.seg_item.clear()
            self._draw_histogram(None)
            return
        seg = maps.segmentation
        self.seg_item.setImage(colour_ids(seg.class_map), autoLevels=False, levels=(0, 255))
        self.seg_box.autoRange(padding=0)
        self._draw_histogram(seg)
        self._draw_layers(maps)

    def _draw_histogram(self, seg) -> None:
        for item in self.hist_curves + self.threshold_lines:
            self.hist.removeItem(item)
        self.hist_curves, self.threshold_lines = [], []
        if seg is None:
            return
        counts, edges = np.histogram(seg.luminance, bins=128, range=(0.0, 1.0))
        centres = 0.5 * (edges[:-1] + edges[1:])
        cls = np.digitize(centres, seg.thresholds)
        for c in range(seg.config.classes):
            y = np.where(cls == c, counts, 0).astype(float)
            curve = pg.PlotDataItem(edges, y, stepMode="center", fillLevel=0,
                                    brush=pg.mkBrush(hex_of(c)), pen=pg.mkPen(hex_of(c)))
            self.hist.addItem(curve)
            self.hist_curves.append(curve)
        for t in seg.thresholds:
            line = pg.InfiniteLine(pos=float(t), angle=90, pen=pg.mkPen("#222", width=2),
                                   label=f"{t:.3f}", labelOpts={"position": 0.9, "color": "#222"})
            self.hist.addItem(line)
            self.threshold_lines.append(line)
        self.hist.setXRange(0, 1, padding=0.02)
        # A few bins (a black background, a white sky) can dwarf the rest: clip them.
        top = max(1.0, float(np.percentile(counts, 97)) * 1.3)
        self.hist.setYRange(0, min(top, float(counts.max())) * 1.05, padding=0)

    def _draw_layers(self, maps: MapsData) -> None:
        shape = tuple(len(maps.layers.get(k, [])) for k in MAP_ROWS)
        if shape != self._grid_shape:
            self._build_grid(maps)
        for kind in MAP_ROWS:
            layers = maps.layers.get(kind, [])
            for item, (label, ids) in zip(self.layer_items.get(kind, []), layers):
                item.setImage(colour_ids(ids), autoLevels=False, levels=(0, 255))
                item.setToolTip(label)
            for (label, _), title in zip(maps.layers.get(kind, []), self._titles.get(kind, [])):
                text = label.split(" ", 1)[1] if " " in label else label
                title.setText(text.replace(", ", "<br>"), size="8pt")

    def _build_grid(self, maps: MapsData) -> None:
        self.grid.clear()
        self.layer_items, self._titles = {}, {}
        n = max((len(v) for v in maps.layers.values()), default=0)
        for c in range(n):
            self.grid.addLabel(f"<b>L{c + 1}</b>", row=0, col=c + 1, color="#222")
            self.grid.ci.layout.setColumnStretchFactor(c + 1, 1)
        for r, kind in enumerate(MAP_ROWS):
            self.grid.addLabel(f"<b>{MODEL_NAMES[kind]}</b>", row=2 * r + 1, col=0, rowspan=2,
                               angle=-90, color="#222")
            items, titles = [], []
            for c in range(len(maps.layers.get(kind, []))):
                title = FlexLabel("", color="#444")
                self.grid.addItem(title, row=2 * r + 1, col=c + 1)
                titles.append(title)
                vb, item = image_box()
                item.setAutoDownsample(True)  # cells finer than the screen blend, not moiré
                self.grid.addItem(vb, row=2 * r + 2, col=c + 1)
                items.append(item)
            self.layer_items[kind] = items
            self._titles[kind] = titles
        self._grid_shape = tuple(len(maps.layers.get(k, [])) for k in MAP_ROWS)
