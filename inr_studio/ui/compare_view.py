"""Four panels side by side (SIREN, LoE FtC, LoE QT, HS-LoE): reconstruction or error map, with
linked zoom and pan, and the original image while Space is held (or with the O toggle).

It draws only the newest frame it was given; arrays are never modified after they arrive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QRadioButton, QVBoxLayout, QWidget

from .maps_view import FlexLabel, image_box
from .palette import MODEL_COLORS, MODEL_NAMES, MODEL_ORDER

if TYPE_CHECKING:  # the worker imports torch; the window paints before it loads
    from .worker import PreviewFrame

RECON, ERROR = "recon", "error"
_ERROR_LUT = pg.colormap.get("inferno").getLookupTable(nPts=256)


class CompareView(QWidget):
    modeChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = RECON
        self.original_shown = False
        self.frame: PreviewFrame | None = None
        self.original: np.ndarray | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.recon_btn = QRadioButton("Reconstruction")
        self.error_btn = QRadioButton("Error map")
        self.recon_btn.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.recon_btn)
        group.addButton(self.error_btn)
        self.error_btn.toggled.connect(lambda on: self.set_mode(ERROR if on else RECON))
        self.scale_label = QLabel("")
        self.scale_label.setStyleSheet("color:#555;")
        help_label = QLabel("<b>Space</b> (hold) or <b>O</b>: original · wheel / drag: zoom / pan "
                            "all four")
        help_label.setWordWrap(True)
        help_label.setStyleSheet("color:#555;")
        bar = QHBoxLayout()
        bar.addWidget(self.recon_btn)
        bar.addWidget(self.error_btn)
        bar.addWidget(self.scale_label)
        bar.addStretch(1)
        bar.addWidget(help_label, 2)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setAcceptDrops(False)
        self.canvas.setBackground("w")
        self.boxes: dict[str, pg.ViewBox] = {}
        self.items: dict[str, pg.ImageItem] = {}
        self.titles: dict[str, pg.LabelItem] = {}
        for col, kind in enumerate(MODEL_ORDER):
            self.titles[kind] = FlexLabel(MODEL_NAMES[kind], color=MODEL_COLORS[kind], size="11pt")
            self.canvas.addItem(self.titles[kind], row=0, col=col)
            vb, item = image_box()
            self.canvas.addItem(vb, row=1, col=col)
            self.canvas.ci.layout.setColumnStretchFactor(col, 1)
            self.boxes[kind], self.items[kind] = vb, item
        first = self.boxes[MODEL_ORDER[0]]
        for kind in MODEL_ORDER[1:]:
            self.boxes[kind].setXLink(first)
            self.boxes[kind].setYLink(first)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)

    # --- inputs ---
    def set_original(self, pixels01: np.ndarray | None) -> None:
        """A new working image: forget the old frame; the panels show nothing until trained."""
        self.frame = None
        self.original = None if pixels01 is None else (
            np.clip(pixels01, 0, 1) * 255 + 0.5).astype(np.uint8)
        for kind in MODEL_ORDER:
            self.items[kind].clear()
            self.titles[kind].setText(f"{MODEL_NAMES[kind]} · not trained yet",
                                      color=MODEL_COLORS[kind])
        self._redraw()
        if self.original is not None:
            h, w = self.original.shape[:2]
            self.boxes[MODEL_ORDER[0]].setRange(xRange=(0, w), yRange=(0, h), padding=0)

    def show_frame(self, frame: PreviewFrame) -> None:
        self.frame = frame
        self._redraw()

    def set_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        with _blocked(self.error_btn), _blocked(self.recon_btn):
            self.error_btn.setChecked(mode == ERROR)
            self.recon_btn.setChecked(mode == RECON)
        self._redraw()
        self.modeChanged.emit(mode)

    def set_show_original(self, on: bool) -> None:
        if on != self.original_shown:
            self.original_shown = on
            self._redraw()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.set_show_original(True)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.set_show_original(False)
            return
        super().keyReleaseEvent(event)

    # --- drawing ---
    def _redraw(self) -> None:
        if self.original_shown and self.original is not None:
            for kind in MODEL_ORDER:
                self.items[kind].setImage(self.original, autoLevels=False, levels=(0, 255),
                                          lut=None)
                self.titles[kind].setText(f"{MODEL_NAMES[kind]} · original", color="#222")
            self.scale_label.setText("showing the original")
            return
        frame = self.frame
        if frame is None:
            self.scale_label.setText("")
            return
        for kind in MODEL_ORDER:
            if kind not in frame.recon:
                continue
            item = self.items[kind]
            if self.mode == ERROR:
                item.setImage(frame.error[kind], autoLevels=False,
                              levels=(0.0, frame.error_scale), lut=_ERROR_LUT)
            else:
                item.setImage(frame.recon[kind], autoLevels=False, levels=(0, 255), lut=None)
            self.titles[kind].setText(
                f"{MODEL_NAMES[kind]} · {frame.psnr[kind]:.2f} dB · step {frame.steps[kind]}",
                color=MODEL_COLORS[kind])
        self.scale_label.setText(
            f"|error| colour scale 0 – {frame.error_scale:.3f} (shared)" if self.mode == ERROR
            else "")

    def current_image(self, kind: str) -> np.ndarray | None:
        """What the panel of ``kind`` shows now (tests and exports read it)."""
        return self.items[kind].image


class _blocked:
    def __init__(self, widget: QWidget) -> None:
        self.widget = widget

    def __enter__(self) -> None:
        self.widget.blockSignals(True)

    def __exit__(self, *exc: object) -> None:
        self.widget.blockSignals(False)
