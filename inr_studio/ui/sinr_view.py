"""A decoded ``.sinr`` file, rendered at any chosen resolution (coordinates are continuous)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QApplication, QDialog, QFileDialog, QHBoxLayout, QLabel,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ..errors import InrStudioError
from ..imaging import save_png
from ..metrics import to_uint8
from ..models import registry
from .panels import canvas, image_box

MAX_RENDER_SIDE = 8192


class SinrViewer(QDialog):
    def __init__(self, sinr, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sinr = sinr
        self.path = Path(path)
        self.image: np.ndarray | None = None
        self.setWindowTitle(f"{self.path.name} — decoded")
        size = self.path.stat().st_size if self.path.exists() else 0
        from ..codec import bpp as bits_per_pixel  # the codec (and torch) load on first use

        bpp = bits_per_pixel(size, sinr.height, sinr.width)
        cfg = sinr.model.config
        self.info = QLabel(
            f"<b>{registry.label(cfg.kind)}</b>, width {cfg.width}, {cfg.depth} hidden layers, "
            f"{cfg.parameter_count():,} parameters · encoded at {sinr.width}×{sinr.height} · "
            f"{size:,} bytes = {bpp:.3f} bpp")
        self.info.setWordWrap(True)
        self.h = QSpinBox()
        self.w = QSpinBox()
        for spin, value in ((self.h, sinr.height), (self.w, sinr.width)):
            spin.setRange(1, MAX_RENDER_SIDE)
            spin.setValue(value)
        render_btn = QPushButton("Render")
        save_btn = QPushButton("Save PNG…")
        render_btn.clicked.connect(self.render)
        save_btn.clicked.connect(self._save_clicked)
        self.error = QLabel("")
        self.error.setStyleSheet("color:#a61b1b;")
        row = QHBoxLayout()
        row.addWidget(QLabel("Height"))
        row.addWidget(self.h)
        row.addWidget(QLabel("Width"))
        row.addWidget(self.w)
        row.addWidget(render_btn)
        row.addWidget(save_btn)
        row.addStretch(1)
        self.canvas = canvas()
        self.box, self.item = image_box()
        self.canvas.addItem(self.box)
        layout = QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.canvas, 1)
        self.resize(720, 640)
        self.render()

    def render(self) -> np.ndarray | None:
        self.error.setText("")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.image = self.sinr.render(self.h.value(), self.w.value())
        except (InrStudioError, RuntimeError, MemoryError) as exc:
            self.error.setText(f"Cannot render at {self.w.value()}×{self.h.value()}: {exc}")
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self.item.setImage(to_uint8(self.image),
                           autoLevels=False, levels=(0, 255))
        self.box.autoRange(padding=0)
        return self.image

    def save_to(self, path: str | Path) -> bool:
        if self.image is None:
            return False
        try:
            save_png(Path(path), self.image)
        except OSError as exc:
            self.error.setText(f"Could not save {Path(path).name}: {exc}")
            return False
        return True

    def _save_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save PNG", str(self.path.with_suffix(f".{self.w.value()}x{self.h.value()}.png")),
            "PNG images (*.png)")
        if name:
            self.save_to(name)
