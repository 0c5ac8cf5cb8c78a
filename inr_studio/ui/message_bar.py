"""A message strip inside the window: errors never open a blocking dialog, nothing is lost."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

#: A button under a message: its text and what a click does (the bar closes first).
Action = tuple[str, Callable[[], None]]

_STYLES = {
    "error": "background:#fdecea; color:#611a15; border:1px solid #f5c2c0;",
    "warning": "background:#fff4e5; color:#663c00; border:1px solid #ffd8a8;",
    "info": "background:#e8f4fd; color:#0d3c61; border:1px solid #b6dcfb;",
}


class MessageBar(QWidget):
    """Shows one message at a time; errors stay until closed, info fades after a few seconds.
    A message may carry action buttons (the one-click way out of an error)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level = ""
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.clear)
        self.buttons: list[QPushButton] = []
        self._buttons = QHBoxLayout()
        self._buttons.setContentsMargins(0, 0, 0, 0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addLayout(self._buttons)
        layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.hide()

    def show_message(self, text: str, level: str = "error",
                     actions: Sequence[Action] = ()) -> None:
        self.level = level
        self.label.setText(text)
        self._set_actions(actions)
        self.setStyleSheet(f"MessageBar {{{_STYLES.get(level, _STYLES['info'])}}}")
        self._timer.stop()
        if level == "info":
            self._timer.start(6000)
        self.show()

    def text(self) -> str:
        return self.label.text()

    def clear(self) -> None:
        self.label.setText("")
        self.level = ""
        self._set_actions(())
        self.hide()

    def _set_actions(self, actions: Sequence[Action]) -> None:
        for button in self.buttons:
            self._buttons.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        for text, run in actions:
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, run=run: self._trigger(run))
            self._buttons.addWidget(button)
            self.buttons.append(button)

    def _trigger(self, run: Callable[[], None]) -> None:
        self.clear()
        run()
