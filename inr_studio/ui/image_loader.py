"""Opening an image off the GUI thread: decode, EXIF rotation, working copy, segmentation, maps.

A 24-MP photo takes seconds to decode, resize and segment; on the GUI thread the window would
stay black meanwhile. Each load is the session's :func:`~inr_studio.ui.session.load_stages`
run as a job of one background lane (:mod:`inr_studio.ui.background`): the image and its working
copy arrive first (``imageReady``, the user sees the picture), then the segmentation and expert
maps (``mapsReady``). A newer drop (or a settings change) cancels the older load between stages,
and the lane drops anything the older one still sends, so a slow load can never overwrite a
newer image.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from .background import Job, Lane
from .session import (ImageStage, LoadProgress, LoadRequest, MapsStage, RunSettings,
                      load_failure, load_stages)


class ImageLoader(QObject):
    """One load at a time that counts; passes on only the newest load's results."""

    imageReady = Signal(object)  # ImageStage of the newest load
    mapsReady = Signal(object)  # MapsStage of the newest load
    failed = Signal(object)  # LoadFailure of the newest load
    busyChanged = Signal(bool, str)  # busy, what is being done

    def __init__(self, parent: QObject | None = None, sync: bool | None = None) -> None:
        super().__init__(parent)
        self.lane = Lane(self._on_stage, self._on_error, self._on_ended, self, sync=sync)
        self._request: LoadRequest | None = None

    @property
    def generation(self) -> int:
        return self.lane.generations.current

    @property
    def busy(self) -> bool:
        """True until the newest load's end has been handled (after all its results)."""
        return self.lane.busy

    def open(self, path: str, settings: RunSettings, tag: Any = None) -> int:
        """Start reading ``path``; an older load is cancelled. Returns the new generation."""
        return self.start(LoadRequest(settings, path=path, tag=tag))

    def start(self, request: LoadRequest) -> int:
        """Start ``request`` (a file, or a new working copy or maps); an older load is
        cancelled."""
        self.lane.cancel()
        self._request = request
        self.busyChanged.emit(True, "")
        return self.lane.start(Job(lambda _cancelled: load_stages(request)))

    def cancel(self) -> None:
        self.lane.cancel()

    def shutdown(self) -> None:
        """Cancel and wait for every load (window closing)."""
        self.lane.shutdown()

    def threads_alive(self) -> int:
        return self.lane.threads_alive()

    # --- the newest load's results (the lane dropped the others) ---
    def _on_stage(self, stage: LoadProgress | ImageStage | MapsStage) -> None:
        if isinstance(stage, LoadProgress):
            self.busyChanged.emit(True, stage.text)
        elif isinstance(stage, ImageStage):
            self.imageReady.emit(stage)
        elif isinstance(stage, MapsStage):
            self.mapsReady.emit(stage)

    def _on_error(self, exc: Exception) -> None:
        assert self._request is not None
        self.failed.emit(load_failure(self._request, exc))

    def _on_ended(self) -> None:
        self.busyChanged.emit(False, "")
