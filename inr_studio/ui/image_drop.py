"""Drag and drop of an image file anywhere on the window.

The filter is installed on the main window, which accepts drops; child views have drops turned
off, so Qt hands every drag to the window. A drop is checked here (one local file, not a folder)
and either announced with ``fileDropped`` or rejected with ``dropRejected`` and a sentence; the
image itself is read by the window, which reports a corrupt file the same way.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, Signal


def dropped_path(mime: QMimeData) -> tuple[Path | None, str | None]:
    """(path, None) for one local file; (None, reason) for anything else."""
    if not mime.hasUrls():
        return None, "Drop an image file (PNG, JPEG, TIFF, WebP, BMP) here."
    urls = mime.urls()
    if len(urls) != 1:
        return None, f"{len(urls)} files were dropped; drop one image at a time."
    url = urls[0]
    if not url.isLocalFile():
        return None, f"{url.toString()} is not a local file; save it to disk first."
    path = Path(url.toLocalFile())
    if path.is_dir():
        return None, f"{path.name or path} is a folder; drop one image file."
    return path, None


class DropFilter(QObject):
    """Event filter: accepts any drag carrying URLs, checks the drop, reports the outcome."""

    fileDropped = Signal(str)
    dropRejected = Signal(str)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if event.mimeData().hasUrls():
                event.acceptProposedAction()
                return True
            return False
        if kind == QEvent.Type.Drop:
            path, reason = dropped_path(event.mimeData())
            event.acceptProposedAction()
            if path is None:
                self.dropRejected.emit(reason or "That drop is not an image file.")
            else:
                self.fileDropped.emit(str(path))
            return True
        return False
