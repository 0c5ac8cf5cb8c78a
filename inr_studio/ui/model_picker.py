"""Which models train side by side: a checkable list of every registry entry (1 to 6 of them).

It holds no state beyond its check marks: ``models()`` reads them in the registry's display
order, ``set_models`` writes them. The limits are kept by the list itself: the last checked
model cannot be unchecked, and once six are checked the others wait.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ..models import registry
from ..models.registry import MAX_SIDE_BY_SIDE, PAPER_MODELS

KEY = Qt.ItemDataRole.UserRole


def swatch(colour: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class ModelPicker(QWidget):
    changed = Signal()  # the user checked or unchecked a model

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.list = QListWidget()
        self.list.setObjectName("modelList")
        self.hint = QLabel("")
        self.hint.setStyleSheet("color:#555; font-size:11px;")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addWidget(self.hint)
        self.list.itemChanged.connect(self._item_changed)
        self.refresh()

    def refresh(self) -> None:
        """One row per registry entry the window offers (models registered later appear on the
        next call)."""
        chosen = self.models() if self.list.count() else PAPER_MODELS
        self._loading = True
        try:
            self.list.clear()
            for key, entry in registry.REGISTRY.items():
                if not entry.window:  # trains from the command line only, for now
                    continue
                item = QListWidgetItem(swatch(entry.colour), registry.titled(key))
                item.setData(KEY, key)
                item.setToolTip(entry.summary)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.list.addItem(item)
        finally:
            self._loading = False
        self.set_models(chosen)
        rows = self.list.count()
        self.list.setFixedHeight(self.list.sizeHintForRow(0) * rows + 2 * self.list.frameWidth()
                                 if rows else 0)

    def items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())]

    def models(self) -> tuple[str, ...]:
        return tuple(str(it.data(KEY)) for it in self.items()
                     if it.checkState() == Qt.CheckState.Checked)

    def set_models(self, models: tuple[str, ...]) -> None:
        if any(k not in registry.REGISTRY for k in models):
            self.refresh()  # a model registered since the list was built
        self._loading = True
        try:
            for it in self.items():
                on = it.data(KEY) in models
                it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        finally:
            self._loading = False
        self._limit()

    def _item_changed(self, _item: QListWidgetItem) -> None:
        if self._loading:
            return
        self._limit()
        self.changed.emit()

    def _limit(self) -> None:
        """The last checked model stays checked; no seventh model can be checked."""
        chosen = self.models()
        full = len(chosen) >= MAX_SIDE_BY_SIDE
        self._loading = True
        try:
            for it in self.items():
                on = it.checkState() == Qt.CheckState.Checked
                locked = (on and len(chosen) == 1) or (not on and full)
                flags = Qt.ItemFlag.ItemIsEnabled
                if not locked:
                    flags |= Qt.ItemFlag.ItemIsUserCheckable
                it.setFlags(flags)
        finally:
            self._loading = False
        self.hint.setText(f"{len(chosen)} of at most {MAX_SIDE_BY_SIDE} side by side"
                          + (" (the paper's four)" if chosen == PAPER_MODELS else ""))
