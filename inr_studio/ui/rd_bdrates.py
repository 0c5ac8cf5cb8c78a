"""The rate–distortion tab's BD-rates: each model curve on the plot against each codec drawn
beside it (JPEG, WebP, AVIF), recomputed whenever a curve gains a point."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

Curve = list[tuple[float, float]]  # (bpp, PSNR) points


def _cell(text: str, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(tip)
    return item


class BdRateTable(QTableWidget):
    """One row per model curve: its points, then its BD-rate against each codec."""

    def __init__(self, parent=None) -> None:
        from ..studies.bdrate import MIN_POINTS

        super().__init__(0, 2, parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip("BD-rate: the bits a curve needs beside the codec's for the same PSNR, "
                        "on average over the PSNR range both cover (PCHIP of log bpp against "
                        f"PSNR; at least {MIN_POINTS} points a curve; negative: fewer bits)")
        self.setMaximumHeight(150)
        self._anchors: list[str] = []
        self.set_curves({}, {})

    def set_curves(self, anchors: dict[str, tuple[str, Curve]],
                   curves: dict[object, tuple[str, Curve]]) -> None:
        """``anchors``: format → (name, points); ``curves``: key → (label, points)."""
        from ..studies.bdrate import MIN_POINTS, bd_rate, monotone, overlap

        self._anchors = [name for name, _ in anchors.values()]
        self.setColumnCount(2 + len(anchors))
        self.setHorizontalHeaderLabels(["curve", "points"]
                                       + [f"BD-rate vs {name}" for name in self._anchors])
        self.setRowCount(len(curves))
        for row, (label, pts) in enumerate(curves.values()):
            self.setItem(row, 0, _cell(label))
            self.setItem(row, 1, _cell(str(len(pts))))
            for col, (name, anchor) in enumerate(anchors.values(), start=2):
                value = bd_rate(anchor, pts)
                lo, hi = overlap(anchor, pts)
                if math.isfinite(value):
                    self.setItem(row, col, _cell(f"{100 * value:+.1f} %",
                                                 f"over {lo:.1f}–{hi:.1f} dB against {name}"))
                else:
                    few = min(len(monotone(anchor)), len(monotone(pts))) < MIN_POINTS
                    why = (f"needs {MIN_POINTS} points on each curve, each of a higher PSNR "
                           "than the cheaper ones" if few else f"no PSNR range shared with {name}")
                    self.setItem(row, col, _cell("n/a", why))

    def text_at(self, label: str, column: str) -> str:
        """The cell of curve ``label`` under ``column`` (tests, scripts)."""
        headers = [self.horizontalHeaderItem(c).text() for c in range(self.columnCount())]
        rows = [self.item(r, 0).text() for r in range(self.rowCount())]
        return self.item(rows.index(label), headers.index(column)).text()
