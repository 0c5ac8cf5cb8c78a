"""The life of a training run, on the GUI thread: start, pause, resume, stop, results.

A generation counter guards against stale results: every run gets a new number, its worker
stamps each signal with it, and anything from an older run is dropped here, so a stopped run
can never draw into the next one. Previews are coalesced: if several arrive before the event
loop gets to them, only the newest is passed on (docs/qt.md, point 5).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ..engine.messages import PreviewFrame, ProgressBatch
from ..engine.side_by_side import RunRequest
from .worker import TrainWorker

from .run_states import IDLE, PAUSED, RUNNING, STOPPING  # noqa: F401 - re-exported


class RunController(QObject):
    progressed = Signal(object)  # ProgressBatch of the current run
    previewed = Signal(object)  # newest PreviewFrame of the current run
    stateChanged = Signal(str)
    failed = Signal(str)
    finished = Signal(bool)  # the current run ended (True: stopped or failed before the end)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = 0
        self.state = IDLE
        self.worker: TrainWorker | None = None
        self._retired: list[TrainWorker] = []  # kept referenced until they have finished
        self._paused_confirmed = False
        self._frame: PreviewFrame | None = None
        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.setInterval(0)
        self._frame_timer.timeout.connect(self._flush_frame)

    # --- commands ---
    def start(self, make_request) -> int:
        """Stop any run, then start ``make_request(generation) -> RunRequest``."""
        self.stop(wait=True)
        self.generation += 1
        request: RunRequest = make_request(self.generation)
        worker = TrainWorker(request)
        worker.progressed.connect(self._on_progress)
        worker.previewed.connect(self._on_preview)
        worker.pausedReached.connect(self._on_paused)
        worker.failed.connect(self._on_failed)
        worker.ended.connect(self._on_ended)
        worker.finished.connect(self._on_thread_finished)
        self._retired = [w for w in self._retired if not w.isFinished()]
        if self.worker is not None and not self.worker.isFinished():  # a finished one: let go
            self._retired.append(self.worker)
        self.worker = worker
        self._paused_confirmed = False
        self._frame = None
        worker.start()
        self._set_state(RUNNING)
        return self.generation

    def pause(self) -> None:
        if self.worker is not None and self.state == RUNNING:
            self.worker.pause()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.worker is not None and self.state == PAUSED:
            self._paused_confirmed = False
            self.worker.resume()
            self._set_state(RUNNING)

    def stop(self, wait: bool = False, timeout_ms: int = 30_000) -> None:
        """Ask the run to stop (it ends after its current step); optionally wait for it."""
        w = self.worker
        if w is None or w.isFinished():
            return
        w.request_stop()
        if self.state != IDLE:
            self._set_state(STOPPING)
        if wait:
            w.wait(timeout_ms)
            self._finish(stopped=True)

    def shutdown(self) -> None:
        """Stop and wait for every thread (window closing)."""
        self.stop(wait=True)
        for w in self._retired:
            w.request_stop()
            w.wait()

    def release_finished(self) -> bool:
        """Let go of finished runs (their networks, and on a GPU their memory), before a
        memory check; True if one was held."""
        finished = [w for w in self._retired + [self.worker] if w is not None and w.isFinished()]
        self._retired = [w for w in self._retired if not w.isFinished()]
        if self.worker is not None and self.worker.isFinished():
            self.worker = None
        return bool(finished)

    # --- queries ---
    def is_active(self) -> bool:
        return self.worker is not None and not self.worker.isFinished() and self.state != IDLE

    def readable_trainers(self) -> dict:
        """The run's trainers when no step can run concurrently (ended, or paused and idle)."""
        w = self.worker
        if w is None:
            return {}
        if self.state == IDLE and not w.isFinished():
            w.wait(5000)  # it has emitted its last signal; only the return is left
        if w.isFinished() or (self.state == PAUSED and self._paused_confirmed):
            return dict(w.trainers)
        return {}

    def threads_alive(self) -> int:
        workers = self._retired + ([self.worker] if self.worker else [])
        return sum(1 for w in workers if w.isRunning())

    # --- worker signals (queued onto this GUI-thread object) ---
    def _on_progress(self, batch: ProgressBatch) -> None:
        if batch.generation == self.generation:
            self.progressed.emit(batch)

    def _on_preview(self, frame: PreviewFrame) -> None:
        if frame.generation != self.generation:
            return
        self._frame = frame
        if frame.final:
            self._flush_frame()
        elif not self._frame_timer.isActive():
            self._frame_timer.start()

    def _flush_frame(self) -> None:
        frame, self._frame = self._frame, None
        if frame is not None and frame.generation == self.generation:
            self.previewed.emit(frame)

    def _on_paused(self, generation: int) -> None:
        if generation == self.generation and self.state == PAUSED:
            self._paused_confirmed = True

    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.failed.emit(message)

    def _on_ended(self, generation: int, stopped: bool) -> None:
        if generation == self.generation:
            self._flush_frame()
            self._finish(stopped)

    def _on_thread_finished(self) -> None:
        # A run that failed never emits ``ended``; its thread's end still returns us to idle.
        if self.worker is not None and self.worker.isFinished() and self.state != IDLE:
            self._finish(stopped=True)

    def _finish(self, stopped: bool) -> None:
        if self.state == IDLE:
            return
        self._set_state(IDLE)
        self.finished.emit(stopped)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)
