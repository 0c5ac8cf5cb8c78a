"""Where each expert works: the luminance segmentation (classes coloured, thresholds on the
histogram) and the expert-id map of every layer of each chosen model that has experts (LoE FtC,
LoE QT, HS-LoE, ...), laid over the picture with an opacity the user sets; beneath them, the
latent grids of a latent-grid model (:mod:`.latent_grids`), which has no tiles.

Its own controls (classes, method, segmentation layer) only emit ``segmentationChanged``; the
window recomputes :class:`MapsData` and calls :meth:`show_maps`, so what is drawn always comes
from the session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QSlider, QSpinBox, QSplitter,
                               QVBoxLayout, QWidget)

from ..models import registry
from .histogram import ThresholdHistogram
from .latent_grids import LatentGridsView
from .map_cells import cell_view, edge_segments, grid_edges
from .palette import colour_ids
from .panels import FlexLabel, canvas, image_box
from .session import MAX_OTSU_CLASSES, MapsData

METHODS = (("Multi-Otsu", "multiotsu"), ("Equal bins", "equal"))
DEFAULT_OPACITY = 60  # percent: the classes readable, the picture recognisable beneath


def overlay_box() -> tuple[pg.ViewBox, pg.ImageItem, pg.ImageItem]:
    """An image box with the picture under the map: (box, picture item, map item)."""
    vb, picture = image_box()
    item = pg.ImageItem(axisOrder="row-major")
    vb.addItem(item)
    return vb, picture, item


@dataclass
class LayerPanel:
    """One layer's map in the grid, with what makes it legible: cell borders over it, or a
    note in its place when its cells are too small to draw (:mod:`.map_cells`)."""

    box: pg.ViewBox
    picture: pg.ImageItem
    item: pg.ImageItem
    borders: pg.PlotCurveItem
    note: pg.TextItem
    cell: tuple[float, float] | None = None  # image pixels; None: not a grid
    drawn: bool = True  # the map is drawn (its cells are large enough on screen)

    @staticmethod
    def build() -> "LayerPanel":
        vb, picture, item = overlay_box()
        item.setAutoDownsample(False)  # nearest neighbour: averaging would blend the ids
        borders = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen((20, 20, 20, 120), width=1))
        vb.addItem(borders, ignoreBounds=True)
        note = pg.TextItem(anchor=(0.5, 0.5), fill=pg.mkBrush(255, 255, 255, 215))
        vb.addItem(note, ignoreBounds=True)
        note.hide()
        return LayerPanel(vb, picture, item, borders, note)

    def show_layer(self, ids: np.ndarray, cell: tuple[float, float] | None) -> None:
        self.item.setImage(colour_ids(ids), autoLevels=False, levels=(0, 255))
        self.cell = cell
        if cell is None:
            self.borders.setData([], [])
        else:
            h, w = ids.shape
            self.borders.setData(*edge_segments(*grid_edges(ids), h, w))

    def update(self) -> None:
        """Draw the map, its borders or the note, for the box's zoom now."""
        dx, dy = self.box.viewPixelSize()
        if not (dx > 0 and dy > 0) or self.item.image is None:
            return
        view = cell_view(self.cell, (1.0 / dx, 1.0 / dy))
        self.drawn = view.draw
        self.item.setVisible(view.draw)
        self.borders.setVisible(view.borders)
        self.note.setVisible(not view.draw)
        if not view.draw:
            self.note.setHtml(f"<div style='color:#333; font-size:7pt' align='center'>"
                              f"{view.note}</div>")
            (x0, x1), (y0, y1) = self.box.viewRange()
            self.note.setPos((x0 + x1) / 2, (y0 + y1) / 2)


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
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(DEFAULT_OPACITY)
        self.opacity.setMaximumWidth(160)
        self.opacity.setToolTip("How strongly the class and expert maps cover the picture: "
                                "100 % shows the maps alone, 0 % the picture alone")
        self.opacity_label = QLabel("")
        self.opacity.valueChanged.connect(self._apply_opacity)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Classes"))
        bar.addWidget(self.classes)
        bar.addWidget(QLabel("Method"))
        bar.addWidget(self.method)
        bar.addWidget(QLabel("HS-LoE layer"))
        bar.addWidget(self.layer)
        bar.addStretch(1)
        over = QHBoxLayout()
        over.addWidget(QLabel("Maps over the picture, opacity"))
        over.addWidget(self.opacity)
        over.addWidget(self.opacity_label)
        over.addStretch(1)

        left = canvas()
        left.addLabel("Luminance classes (HS-LoE experts)", row=0, col=0, color="#222")
        self.seg_box, seg_picture, self.seg_item = overlay_box()
        left.addItem(self.seg_box, row=1, col=0)
        self.hist = left.addPlot(row=2, col=0, title="Luminance histogram and thresholds")
        self.histogram = ThresholdHistogram(self.hist)
        left.ci.layout.setRowStretchFactor(1, 3)
        left.ci.layout.setRowStretchFactor(2, 2)

        self.grid = canvas()
        self.layer_items: dict[str, list[pg.ImageItem]] = {}
        self.panels: dict[str, list[LayerPanel]] = {}
        self._legible_timer = QTimer(self)
        self._legible_timer.setSingleShot(True)
        self._legible_timer.setInterval(0)
        self._legible_timer.timeout.connect(self._update_legibility)
        self._titles: dict[str, list[FlexLabel]] = {}
        self._grid_shape: tuple[tuple[str, int], ...] = ()
        self.picture: np.ndarray | None = None
        self.pictures: list[pg.ImageItem] = [seg_picture]  # under every map
        self.map_items: list[pg.ImageItem] = [self.seg_item]

        self.latent = LatentGridsView()
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.grid)
        right.addWidget(self.latent)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(over)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        self._apply_opacity()
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
    @property
    def threshold_lines(self) -> list[pg.InfiniteLine]:
        return self.histogram.lines

    def _apply_opacity(self, *_: object) -> None:
        value = self.opacity.value() / 100.0
        self.opacity_label.setText(f"{self.opacity.value()} %")
        for item in self.map_items:
            item.setOpacity(value)
        drawn = {id(p.picture): p.drawn for panels in self.panels.values() for p in panels}
        for picture in self.pictures:  # the picture alone where a map is not drawn
            picture.setVisible(self.picture is not None
                               and (value < 1.0 or not drawn.get(id(picture), True)))

    def _update_legibility(self) -> None:
        for panels in self.panels.values():
            for panel in panels:
                panel.update()
        self._apply_opacity()

    def notes(self, kind: str) -> list[str]:
        """The note shown in place of each layer's map ("" where the map is drawn)."""
        return [("" if p.drawn else p.note.toPlainText()) for p in self.panels.get(kind, [])]

    def show_latent(self, grids: dict[str, tuple[np.ndarray, ...]]) -> None:
        """The latent grids of the run's latent-grid models (``PreviewFrame.grids``)."""
        self.latent.show_grids(grids)

    def show_maps(self, maps: MapsData | None) -> None:
        notes = [t for t in ((maps.error if maps else None), (maps.warning if maps else None)) if t]
        self.note.setText("\n".join(notes))
        self.note.setVisible(bool(notes))
        self.picture = maps.picture if maps else None
        if maps is None or maps.segmentation is None:
            self.seg_item.clear()
            self.histogram.draw(None)
            self._apply_opacity()
            return
        seg = maps.segmentation
        self.seg_item.setImage(colour_ids(seg.class_map), autoLevels=False, levels=(0, 255))
        self.seg_box.autoRange(padding=0)
        self.histogram.draw(seg)
        self._draw_layers(maps)
        for picture in self.pictures:
            if self.picture is not None:
                picture.setImage(self.picture, autoLevels=False, levels=(0, 255))
        self._apply_opacity()

    def _draw_layers(self, maps: MapsData) -> None:
        shape = tuple((k, len(v)) for k, v in maps.layers.items())
        if shape != self._grid_shape:
            self._build_grid(maps)
        for kind, layers in maps.layers.items():
            cells = maps.cells.get(kind) or [None] * len(layers)
            for panel, (label, ids), cell in zip(self.panels.get(kind, []), layers, cells):
                panel.show_layer(ids, cell)
                panel.item.setToolTip(label)
            for (label, _), title in zip(layers, self._titles.get(kind, [])):
                text = label.split(" ", 1)[1] if " " in label else label
                title.setText(text.replace(", ", "<br>"), size="8pt")
        self._update_legibility()

    def _build_grid(self, maps: MapsData) -> None:
        self.grid.clear()
        self.layer_items, self._titles, self.panels = {}, {}, {}
        self.pictures, self.map_items = self.pictures[:1], self.map_items[:1]
        n = max((len(v) for v in maps.layers.values()), default=0)
        for c in range(n):
            self.grid.addLabel(f"<b>L{c + 1}</b>", row=0, col=c + 1, color="#222")
            self.grid.ci.layout.setColumnStretchFactor(c + 1, 1)
        for r, (kind, layers) in enumerate(maps.layers.items()):
            self.grid.addLabel(f"<b>{registry.label(kind)}</b>", row=2 * r + 1, col=0,
                               rowspan=2, angle=-90, color=registry.colour(kind))
            panels, titles = [], []
            for c in range(len(layers)):
                title = FlexLabel("", color="#444")
                self.grid.addItem(title, row=2 * r + 1, col=c + 1)
                titles.append(title)
                panel = LayerPanel.build()
                self.grid.addItem(panel.box, row=2 * r + 2, col=c + 1)
                panel.box.sigRangeChanged.connect(self._legible_timer.start)
                panel.box.sigResized.connect(self._legible_timer.start)
                panels.append(panel)
                self.pictures.append(panel.picture)
                self.map_items.append(panel.item)
            self.panels[kind] = panels
            self.layer_items[kind] = [p.item for p in panels]
            self._titles[kind] = titles
        self._grid_shape = tuple((k, len(v)) for k, v in maps.layers.items())
