"""Fixtures and helpers for the window tests (pytest-qt, offscreen).

Import the fixtures into a test module with ``from ui_helpers import *  # noqa: F403``.
Settings go to a temporary folder (``INR_STUDIO_SETTINGS_DIR``): a test never reads or changes
the user's own settings. Every window is shut down at the end and must leave no thread running.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

TINY = (32, 32)  # small enough for tens of steps per second on two cores


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "settings"
    folder.mkdir()
    monkeypatch.setenv("INR_STUDIO_SETTINGS_DIR", str(folder))
    return folder


def write_png(path: Path, pixels01: np.ndarray) -> Path:
    from inr_studio.imaging import save_png

    save_png(path, pixels01)
    return path


@pytest.fixture
def tiny_png(tmp_path: Path, small_image: np.ndarray) -> Path:
    """A real photograph (astronaut) at 32×32, as a PNG file."""
    from inr_studio.imaging import resize_image

    return write_png(tmp_path / "tiny.png", resize_image(small_image, *TINY))


@pytest.fixture
def other_png(tmp_path: Path, small_image: np.ndarray) -> Path:
    """A second, different 32×24 image (a crop), to check that a drop replaced the image."""
    from inr_studio.imaging import resize_image

    return write_png(tmp_path / "other.png", resize_image(small_image[8:40, 10:60], 24, 32))


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


@pytest.fixture
def window(qtbot, tiny_png: Path):
    win = make_window(qtbot, tiny_png)
    yield win
    win.shutdown()
    assert win.controller.threads_alive() == 0
    win.close()


def wait_idle(qtbot, window, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: window.controller.state == "idle", timeout=timeout)


def drop_urls(widget, urls: list, pos=(20, 20)) -> tuple[bool, bool]:
    """A real drag-enter then drop of ``urls`` (QUrl list) on ``widget``, via sendEvent.

    Returns (drag accepted, drop accepted). The QMimeData stays referenced until both events
    are handled (a temporary one crashes, docs/qt.md point 4); QDropEvent takes a QPointF and
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
