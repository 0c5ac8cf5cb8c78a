"""Status-bar text that is never cut at its start.

A QLabel asks for its whole text's width; in a crowded status bar Qt then clipped the labels,
and a long error would show only its end. :class:`ElidedLabel` asks for little
width and draws its text elided on the right ("kodim23.png · 768×5…"), with the whole text
as its tooltip; :func:`short_status` keeps an error's echo in the status bar to one sentence
(the full message is in the message bar at the top).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

STATUS_CHARS = 90


def short_status(text: str, limit: int = STATUS_CHARS) -> str:
    """The first sentence of ``text``, at most ``limit`` characters (cut at the end, never the
    start)."""
    first = text.strip().split("\n", 1)[0]
    for end in (". ", "; "):
        if end in first:
            first = first.split(end, 1)[0] + end.strip()
            break
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


class ElidedLabel(QLabel):
    """A one-line label that shrinks by eliding its text on the right."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText(text)
        # Preferred: its whole text when there is room, down to minimumSizeHint when not.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        super().setText(text)
        self.setToolTip(text)
        self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(self.fontMetrics().horizontalAdvance(self.text()) + 8,
                     super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(40, super().minimumSizeHint().height())

    def visible_text(self) -> str:
        """What is drawn at the current width."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             max(0, self.contentsRect().width()))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        rect = self.contentsRect()
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         self.visible_text())
        painter.end()
