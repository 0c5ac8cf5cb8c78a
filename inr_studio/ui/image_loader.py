"""Opening an image off the GUI thread: decode, EXIF rotation, working copy, segmentation, maps.

A 24-MP photo takes seconds to decode, resize and segment; on the GUI thread the window would
stay black meanwhile. Each load runs in a :class:`LoadJob` (a ``QThread`` subclass: its signals
reach GUI-thread slots queued, docs/qt.md point 2) in two stages: the image and its working copy
first (``imageReady``, the user sees the picture), then the segmentation and
expert maps (``mapsReady``). A generation counter orders the jobs: a newer drop (or a settings
change) cancels the older job between stages and anything an older job still emits is dropped,
so a slow load can never overwrite a newer image. Old threads stay referenced until they end
(docs/qt.md, point 4).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from ..errors import InrStudioError
from ..imaging import LoadedImage, load_image
from .session import MapsData, RunSettings, compute_maps, make_working


class Cancelled(Exception):
    """A newer job superseded this one."""


@dataclass(frozen=True)
class ImageStage:
    """First result of a job: the image (new, or the current one) and its working copy."""

    generation: int
    image: LoadedImage
    working: np.ndarray
    path: str | None  # the file opened; None when only the settings changed
    tag: Any = None


@dataclass(frozen=True)
class MapsStage:
    generation: int
    maps: MapsData
    tag: Any = None


@dataclass(frozen=True)
class LoadFailure:
    generation: int
    path: str | None
    message: str
    tag: Any = None


class LoadJob(QThread):
    """One load. ``path`` set: read it; else rework ``image`` (and ``working`` when given)."""

    imageReady = Signal(object)  # ImageStage
    mapsReady = Signal(object)  # MapsStage
    failed = Signal(object)  # LoadFailure
    progressed = Signal(int, str)  # generation, what it is doing

    def __init__(self, generation: int, settings: RunSettings, path: str | None = None,
                 image: LoadedImage | None = None, working: np.ndarray | None = None,
                 tag: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = generation
        self.settings = settings
        self.path = path
        self.image = image
        self.working = working
        self.tag = tag
        self.cancel = threading.Event()

    def _check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled

    def run(self) -> None:  # noqa: D401 - QThread API
        gen = self.generation
        try:
            image, working = self.image, self.working
            if self.path is not None:
                self.progressed.emit(gen, f"Reading {Path(self.path).name}…")
                image = load_image(self.path)
                working = None
            assert image is not None
            self._check()
            if working is None:
                self.progressed.emit(gen, "Resizing to the working size…")
                working = make_working(image, self.settings)
                self._check()
                self.imageReady.emit(ImageStage(gen, image, working, self.path, self.tag))
            self.progressed.emit(gen, "Segmenting, drawing the expert maps…")
            maps = compute_maps(working, self.settings)
            self._check()
            self.mapsReady.emit(MapsStage(gen, maps, self.tag))
        except Cancelled:
            return
        except InrStudioError as exc:
            self.failed.emit(LoadFailure(gen, self.path, str(exc), self.tag))
        except MemoryError:
            name = Path(self.path).name if self.path else "the image"
            self.failed.emit(LoadFailure(gen, self.path, f"{name} is too large to open in the "
                                         "memory this machine has free.", self.tag))
        except Exception as exc:  # noqa: BLE001 - a reader crash must not end the window
            name = Path(self.path).name if self.path else "the image"
            self.failed.emit(LoadFailure(gen, self.path, f"{name} could not be opened: "
                                         f"{type(exc).__name__}: {exc}", self.tag))


class ImageLoader(QObject):
    """Runs one :class:`LoadJob` at a time that counts; passes on only the newest job's results."""

    imageReady = Signal(object)  # ImageStage of the newest job
    mapsReady = Signal(object)  # MapsStage of the newest job
    failed = Signal(object)  # LoadFailure of the newest job
    busyChanged = Signal(bool, str)  # busy, what is being done

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = 0
        self.job: LoadJob | None = None
        self._retired: list[LoadJob] = []
        self._busy = False

    @property
    def busy(self) -> bool:
        """True until the newest job's last signal has been handled here (its ``finished``
        arrives after its results, queued in order)."""
        return self._busy

    def open(self, path: str, settings: RunSettings, tag: Any = None) -> int:
        """Start reading ``path``; an older job is cancelled. Returns the new generation."""
        return self._start(settings, path=path, tag=tag)

    def rework(self, image: LoadedImage, settings: RunSettings,
               working: np.ndarray | None = None) -> int:
        """New working copy (``working`` None) or new maps only, after a settings change."""
        return self._start(settings, image=image, working=working)

    def _start(self, settings: RunSettings, **kw: Any) -> int:
        self.cancel()
        self.generation += 1
        job = LoadJob(self.generation, settings, **kw)
        job.imageReady.connect(self._on_image)
        job.mapsReady.connect(self._on_maps)
        job.failed.connect(self._on_failed)
        job.progressed.connect(self._on_progress)
        job.finished.connect(self._on_finished)
        self._retired = [j for j in self._retired if not j.isFinished()]
        if self.job is not None:
            self._retired.append(self.job)
        self.job = job
        self._busy = True
        job.start()
        self.busyChanged.emit(True, "")
        return self.generation

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()

    def shutdown(self) -> None:
        """Cancel and wait for every job (window closing)."""
        self.cancel()
        for job in self._retired + ([self.job] if self.job else []):
            job.cancel.set()
            job.wait()

    def threads_alive(self) -> int:
        return sum(1 for j in self._retired + ([self.job] if self.job else []) if j.isRunning())

    # --- job signals, queued onto this GUI-thread object ---
    def _on_image(self, stage: ImageStage) -> None:
        if stage.generation == self.generation:
            self.imageReady.emit(stage)

    def _on_maps(self, stage: MapsStage) -> None:
        if stage.generation == self.generation:
            self.mapsReady.emit(stage)

    def _on_failed(self, failure: LoadFailure) -> None:
        if failure.generation == self.generation:
            self.failed.emit(failure)

    def _on_progress(self, generation: int, text: str) -> None:
        if generation == self.generation:
            self.busyChanged.emit(True, text)

    def _on_finished(self) -> None:
        if self.sender() is self.job:
            self._busy = False
            self.busyChanged.emit(False, "")
