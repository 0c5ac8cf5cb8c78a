"""A latent-grid model's latent pyramid, one small grey image per grid (finest first), in the
maps tab where LoE models show their tile maps: what the model stores in its file.

Each grid is drawn on a grey scale symmetric around 0 (0 mid-grey, ±its largest magnitude
black and white), so the sign and the spread of the quantised latents read at a glance; its
title gives its size and that range. The grids come from the last preview of a run
(``PreviewFrame.grids``); the window hands them over with :meth:`LatentGridsView.show_grids`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..models import registry
from .panels import FlexLabel, canvas, image_box


def grey_levels(grid: np.ndarray) -> tuple[float, float]:
    """(−m, m) with m the grid's largest magnitude (at least 1, so an all-zero grid is grey)."""
    m = float(np.max(np.abs(grid))) if grid.size else 0.0
    return -max(m, 1.0), max(m, 1.0)


def grid_title(grid: np.ndarray) -> str:
    """``64×43 · ±5``: the grid's width × height and its largest magnitude."""
    h, w = grid.shape[:2]
    return f"{w}×{h} · ±{int(-grey_levels(grid)[0])}"


class LatentGridsView(QWidget):
    """One row per latent-grid model: its name, then one box per grid."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas()
        self.canvas.setMinimumHeight(140)
        self.canvas.setToolTip("Each model's quantised latent grids (finest first) as the last "
                               "preview left them: mid-grey 0, white and black ± the grid's "
                               "largest value")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self.items: dict[str, list[pg.ImageItem]] = {}
        self.titles: dict[str, list[FlexLabel]] = {}
        self._shape: tuple = ()
        self.hide()

    def show_grids(self, grids: dict[str, tuple[np.ndarray, ...]]) -> None:
        """Draw each model's grids; hidden when there are none."""
        grids = {k: v for k, v in grids.items() if v}
        shape = tuple((k, tuple(g.shape for g in v)) for k, v in grids.items())
        if shape != self._shape:
            self._build(grids)
        for kind, levels in grids.items():
            for item, title, grid in zip(self.items[kind], self.titles[kind], levels):
                item.setImage(np.asarray(grid, dtype=np.float32), autoLevels=False,
                              levels=grey_levels(grid))
                title.setText(grid_title(grid), size="8pt")
        self.setVisible(bool(grids))

    def shown(self, kind: str) -> list[np.ndarray]:
        """The grids drawn for ``kind`` (tests)."""
        return [item.image for item in self.items.get(kind, []) if item.image is not None]

    def title_texts(self, kind: str) -> list[str]:
        return [t.text for t in self.titles.get(kind, [])]

    def _build(self, grids: dict[str, tuple[np.ndarray, ...]]) -> None:
        self.canvas.clear()
        self.items, self.titles = {}, {}
        for r, (kind, levels) in enumerate(grids.items()):
            self.canvas.addLabel(f"<b>{registry.label(kind)}</b><br>finest first",
                                 row=2 * r, col=0, rowspan=2, color=registry.colour(kind))
            items, titles = [], []
            for c in range(len(levels)):
                title = FlexLabel("", color="#444")
                self.canvas.addItem(title, row=2 * r, col=c + 1)
                box, item = image_box()
                self.canvas.addItem(box, row=2 * r + 1, col=c + 1)
                self.canvas.ci.layout.setColumnStretchFactor(c + 1, 1)
                items.append(item)
                titles.append(title)
            self.items[kind], self.titles[kind] = items, titles
        self._shape = tuple((k, tuple(g.shape for g in v)) for k, v in grids.items())
