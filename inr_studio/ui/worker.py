"""The window's training thread: a thin adapter that iterates the core's side-by-side engine
(:mod:`inr_studio.engine.side_by_side`) and emits each message as a Qt signal.

Everything about training (round robin, statistics, ETA, preview budget, out-of-memory
messages) lives in the engine, which the command line and the tests run without Qt. Thread rules
(docs/qt.md): this is a ``QThread`` subclass, so its signals belong to an object of the
GUI thread and reach GUI slots queued; pause/stop go through the engine's ``RunControl``
(``threading.Event``); every message is immutable.
"""

from __future__ import annotations

from PySide6.QtCore import QThread, Signal

from ..engine.control import RunControl
from ..engine.messages import (PausedReached, PreviewFrame, ProgressBatch, RunEnded, RunFailed,
                               RunStarted)
from ..engine.side_by_side import RunRequest, SideBySide


class TrainWorker(QThread):
    progressed = Signal(object)  # ProgressBatch
    previewed = Signal(object)  # PreviewFrame
    pausedReached = Signal(int)  # generation: the worker is now idle, models safe to read
    failed = Signal(int, str)  # generation, message for the user
    ended = Signal(int, bool)  # generation, stopped early

    def __init__(self, request: RunRequest, parent=None) -> None:
        super().__init__(parent)
        self.request = request
        self.control = RunControl()
        self.engine = SideBySide(request, self.control)
        self.device_name = ""

    @property
    def trainers(self) -> dict:
        """key -> Trainer; read it only after the thread finished (or while paused-confirmed)."""
        return self.engine.trainers

    # --- called from the GUI thread ---
    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def request_stop(self) -> None:
        self.control.stop()

    # --- the worker thread ---
    def run(self) -> None:  # noqa: D401 - QThread API
        gen = self.request.generation
        try:
            for msg in self.engine.run():
                if isinstance(msg, ProgressBatch):
                    self.progressed.emit(msg)
                elif isinstance(msg, PreviewFrame):
                    self.previewed.emit(msg)
                elif isinstance(msg, PausedReached):
                    self.pausedReached.emit(gen)
                elif isinstance(msg, RunStarted):
                    self.device_name = msg.device
                elif isinstance(msg, RunEnded):
                    self.ended.emit(gen, msg.stopped)
                elif isinstance(msg, RunFailed):
                    self.failed.emit(gen, msg.message)
        except Exception as exc:  # noqa: BLE001 - a bug still becomes a message; the window lives
            self.failed.emit(gen, f"Training failed: {type(exc).__name__}: {exc}")


def warm_up() -> None:
    """Create one Adam optimiser now, before the first run: its first use imports
    ``torch._dynamo`` (a second or more), which inside the worker would hold the GIL in long
    stretches and freeze the window for hundreds of milliseconds at Start."""
    import torch

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
