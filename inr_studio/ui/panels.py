"""The image-panel pieces every view shares: a white canvas, a box that shows one image the
right way up with square pixels, and titles that never widen their column."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem


def canvas() -> pg.GraphicsLayoutWidget:
    """A white layout for image panels; drops go to the window, not to the canvas."""
    widget = pg.GraphicsLayoutWidget()
    widget.setAcceptDrops(False)
    widget.setBackground("w")
    return widget


def image_box() -> tuple[pg.ViewBox, pg.ImageItem]:
    """A ViewBox showing one image the right way up, with square pixels."""
    vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
    item = pg.ImageItem(axisOrder="row-major")
    vb.addItem(item)
    return vb, item


class FlexLabel(pg.LabelItem):
    """A label that never widens its layout column, so image columns keep equal widths; text
    longer than its column is cut at the column's edge rather than drawn over its neighbour,
    and shown from its start (the model's name), not centred with both ends cut."""

    def __init__(self, *args, **kwargs) -> None:
        self._justify = kwargs.get("justify", "center")  # LabelItem lays its text out in __init__
        super().__init__(*args, **kwargs)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)

    def resizeEvent(self, ev) -> None:  # noqa: N802 - Qt API
        too_wide = self.itemRect().width() > self.rect().width() > 0
        self.opts["justify"] = "left" if too_wide else self._justify
        super().resizeEvent(ev)

    def updateMin(self) -> None:  # noqa: N802 - pyqtgraph API
        super().updateMin()
        self.setMinimumWidth(0)
        self.setPreferredWidth(10)


def link_views(boxes: list[pg.ViewBox]) -> None:
    """Zoom and pan every box with the first."""
    for vb in boxes[1:]:
        vb.setXLink(boxes[0])
        vb.setYLink(boxes[0])
