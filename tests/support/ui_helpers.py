"""Helpers of the window tests: open a window, wait for it, drop files on it, check a model.

The fixtures built on them (``window``, ``open_window``, ``tiny_png``, ...) are in
``tests/ui/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TINY = (32, 32)  # small enough for tens of steps per second on two cores


def write_png(path: Path, pixels01: np.ndarray) -> Path:
    from inr_studio.imaging import save_png

    save_png(path, pixels01)
    return path


def make_window(qtbot, open_path: str | Path | None = None, sample: bool = False):
    """A shown MainWindow on CPU with small settings (width 16), optionally on an image."""
    from inr_studio.ui.main_window import MainWindow

    window = MainWindow(devices=["cpu"])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start_engine()  # the app starts it after the first paint (ui/app.py)
    qtbot.waitUntil(lambda: window.engine_ready, timeout=60_000)
    window.panel.width_.setValue(16)
    window.panel.iters.setValue(30)
    if sample:
        window.open_initial(None)
    elif open_path is not None:
        assert window.open_image(str(open_path)), window.messages.text()
    assert window.wait_loaded(), "the image did not load within 30 s"
    if sample or open_path is not None:
        assert window.session.working is not None, window.messages.text()
    return window


#: The panel's fields that shape a run, set by :func:`fix_run` (with a full batch and LoE tiles
#: scaled to the image), so what a run reaches does not follow the device's defaults.
FIXED_RUN = {"width_": 16, "depth": 3, "lr": 3e-3, "warmup": 0, "seed": 0}


def fix_run(panel, iters: int) -> None:
    """Set every field of the training panel that shapes a run, and ``iters`` steps."""
    for name, value in FIXED_RUN.items():
        getattr(panel, name).setValue(value)
    panel.batch.setCurrentIndex(panel.batch.findData(0))  # full batch
    panel.scale_tiles.setChecked(True)
    panel.iters.setValue(iters)


def wait_idle(qtbot, window, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=timeout)


def drop_urls(widget, urls: list, pos=(20, 20)) -> tuple[bool, bool]:
    """A real drag-enter then drop of ``urls`` (QUrl list) on ``widget``, via sendEvent.

    Returns (drag accepted, drop accepted). The QMimeData stays referenced until both events
    are handled (Qt keeps a pointer to it: a temporary one crashes); QDropEvent takes a QPointF and
    QDragEnterEvent a QPoint before Qt 6.12, a QPointF from 6.12 on.
    """
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls(urls)
    action = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    try:
        enter = QDragEnterEvent(QPointF(*pos), action, mime, buttons, mods)
    except TypeError:
        enter = QDragEnterEvent(QPoint(*pos), action, mime, buttons, mods)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(QPointF(*pos), action, mime, buttons, mods)
    QApplication.sendEvent(widget, drop)
    accepted = enter.isAccepted(), drop.isAccepted()
    del enter, drop, mime
    if hasattr(widget, "wait_loaded"):  # images load in a thread (ui/image_loader.py)
        widget.wait_loaded()
    return accepted


def drop_files(widget, paths: list[Path]) -> tuple[bool, bool]:
    from PySide6.QtCore import QUrl

    return drop_urls(widget, [QUrl.fromLocalFile(str(p)) for p in paths])


def check_model(window, key: str, on: bool) -> None:
    """Check or uncheck one model in the window's picker as a click would (its limits apply)."""
    from PySide6.QtCore import Qt

    from inr_studio.ui.model_picker import KEY

    for item in window.panel.picker.items():
        if item.data(KEY) == key and item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def click_tab(window, qtbot, title: str) -> None:
    """A real mouse click on the tab called ``title``."""
    from PySide6.QtCore import Qt

    bar = window.tabs.tabBar()
    index = [window.tabs.tabText(i) for i in range(window.tabs.count())].index(title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert window.tabs.currentIndex() == index


def _screen_spots(plot, item) -> list:
    """Where each point of ``item`` is drawn in ``plot``'s viewport (after the view has fitted
    its range to the curves, as it does before it paints)."""
    plot.getPlotItem().getViewBox().prepareForPaint()
    return [plot.mapFromScene(item.scatter.mapToScene(spot.pos()))
            for spot in item.scatter.points()]


def isolated_point(plot, item) -> int:
    """The index of ``item``'s point farthest on the screen from every other point drawn in
    ``plot`` and not under its legend (a click there reaches that point and nothing else)."""
    others = [q for it in plot.getPlotItem().listDataItems()
              for q in _screen_spots(plot, it)]
    legend = plot.getPlotItem().legend
    covered = (plot.mapFromScene(legend.mapRectToScene(legend.boundingRect())).boundingRect()
               if legend is not None and legend.isVisible() else None)

    def room(p) -> float:
        if covered is not None and covered.adjusted(-8, -8, 8, 8).contains(p):
            return -1.0  # the legend takes the click
        return min(((p - q).manhattanLength() for q in others if q != p), default=1e9)

    spots = _screen_spots(plot, item)
    return max(range(len(spots)), key=lambda i: room(spots[i]))


def click_plot_point(qtbot, plot, item, index: int) -> None:
    """A real mouse click on point ``index`` of ``item`` (a PlotDataItem of the pyqtgraph
    PlotWidget ``plot``), where it is drawn on the screen."""
    from PySide6.QtCore import Qt

    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=_screen_spots(plot, item)[index])
