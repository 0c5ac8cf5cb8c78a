"""The Compare tab's split between the image panels (above) and the curves and table (below).

The pictures are the point of the tool, so the panels get every pixel the curves and table do
not need: until the user moves the handle, the split gives the panels the height their best
grid can fill at the tab's width (no empty band under them) and the curves and table the rest,
never less than :data:`LOWER_MIN`. Once the user drags the handle, the lower part keeps the
height they chose (remembered between sessions, ``SettingsStore`` view value
:data:`LOWER_KEY`) and the panels take whatever a resize adds; *View ▸ Fit the panels* goes
back to the automatic split.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget

#: Pixels the curves and table keep at least: five table rows, the save buttons, and a plot
#: that still shows its curves' shape.
LOWER_MIN = 210
#: Pixels the panels keep at least.
UPPER_MIN = 160
LOWER_KEY = "compare_lower_px"  # 0: automatic


class CompareSplit(QSplitter):
    """``fit(width, max_height)`` gives the panels' wanted height (set once the views exist);
    ``remember(px)`` stores the user's lower height (0: automatic)."""

    def __init__(self, upper: QWidget, lower: QWidget, lower_px: int = 0,
                 remember: Callable[[int], None] | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical)
        self.addWidget(upper)
        self.addWidget(lower)
        self.setChildrenCollapsible(False)
        upper.setMinimumHeight(UPPER_MIN)
        lower.setMinimumHeight(LOWER_MIN)
        self.setStretchFactor(0, 1)  # a resize goes to the panels
        self.setStretchFactor(1, 0)
        self.fit: Callable[[int, int], int] | None = None
        self.lower_px = lower_px
        self._remember = remember
        self.splitterMoved.connect(self._moved)

    # --- the user's choice ---
    def _moved(self, _pos: int, _index: int) -> None:
        """A drag of the handle (``setSizes`` emits nothing): keep the lower part's height."""
        self.lower_px = self.sizes()[1]
        if self._remember is not None:
            self._remember(self.lower_px)

    def fit_automatically(self) -> None:
        """Forget the user's height: the panels take what their grid can fill."""
        self.lower_px = 0
        if self._remember is not None:
            self._remember(0)
        self.refit()

    # --- the split ---
    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.refit()

    def refit(self) -> None:
        """Set the split for the current size: the user's lower height, or the automatic one."""
        total = self.height() - self.handleWidth()
        if total <= UPPER_MIN + LOWER_MIN:
            return  # too small to choose: Qt's minimum sizes decide
        if self.lower_px:
            lower = min(max(self.lower_px, LOWER_MIN), total - UPPER_MIN)
        else:
            room = total - LOWER_MIN
            upper = room if self.fit is None else min(room, max(UPPER_MIN,
                                                                self.fit(self.width(), room)))
            lower = total - upper
        if self.sizes() != [total - lower, lower]:
            self.setSizes([total - lower, lower])
