"""The life of a training run, on the GUI thread: start, pause, resume, stop, results.

Each run is a :class:`~inr_studio.ui.worker.TrainWorker` job of one background lane
(:mod:`inr_studio.ui.background`), whose generation counter drops whatever an older run still
sends, so a stopped run can never draw into the next one. Previews are coalesced: if several
arrive before the event loop gets to them, only the newest is passed on (drawing each would
fall behind the run).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ..engine.messages import PausedReached, PreviewFrame, ProgressBatch, RunEnded, RunFailed
from .background import Lane
from .worker import TrainWorker

from .run_states import IDLE, PAUSED, RUNNING, STOPPING  # noqa: F401 - re-exported


class RunController(QObject):
    progressed = Signal(object)  # ProgressBatch of the current run
    previewed = Signal(object)  # newest PreviewFrame of the current run
    stateChanged = Signal(str)
    failed = Signal(str)
    finished = Signal(bool)  # the current run ended (True: stopped or failed before the end)

    def __init__(self, parent: QObject | None = None, sync: bool | None = None) -> None:
        super().__init__(parent)
        self.runs = Lane(self._on_message, self._on_error, self._on_run_ended, self, sync=sync)
        self.state = IDLE
        self.worker: TrainWorker | None = None  # the newest run (its models outlive it)
        self._paused_confirmed = False
        self._frame: PreviewFrame | None = None
        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.setInterval(0)
        self._frame_timer.timeout.connect(self._flush_frame)

    @property
    def generation(self) -> int:
        return self.runs.generations.current

    # --- commands ---
    def start(self, make_request) -> int:
        """Stop any run, then start ``make_request(generation) -> RunRequest``."""
        self.stop(wait=True)
        self.worker = TrainWorker(make_request)
        self._paused_confirmed = False
        self._frame = None
        self._set_state(RUNNING)  # first: in sync mode the whole run happens in start()
        return self.runs.start(self.worker)

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
        """Stop and wait for every run's thread (window closing)."""
        self.stop(wait=True)
        self.runs.shutdown()

    def release_finished(self) -> bool:
        """Let go of the last run if it has ended (its networks, and on a GPU their memory),
        before a memory check; True if one was held. The lane's keeper already let go of its
        thread; this drops the controller's own reference."""
        if self.worker is not None and self.worker.isFinished() and not self.is_active():
            self.worker = None
            return True
        return False

    # --- queries ---
    def is_active(self) -> bool:
        return self.worker is not None and not self.worker.isFinished() and self.state != IDLE

    def readable_trainers(self) -> dict:
        """The run's trainers when no step can run concurrently (ended, or paused and idle)."""
        w = self.worker
        if w is None:
            return {}
        if self.state == IDLE and not w.isFinished():
            w.wait(5000)  # it has sent its last message; only the return is left
        if w.isFinished() or (self.state == PAUSED and self._paused_confirmed):
            return dict(w.trainers)
        return {}

    def threads_alive(self) -> int:
        return self.runs.threads_alive()

    # --- the current run's messages (the lane dropped older runs' ones) ---
    def _on_message(self, msg) -> None:
        if isinstance(msg, ProgressBatch):
            self.progressed.emit(msg)
        elif isinstance(msg, PreviewFrame):
            self._on_preview(msg)
        elif isinstance(msg, PausedReached):
            if self.state == PAUSED:
                self._paused_confirmed = True
        elif isinstance(msg, RunFailed):
            self.failed.emit(msg.message)
        elif isinstance(msg, RunEnded):
            self._flush_frame()
            self._finish(msg.stopped)

    def _on_error(self, exc: Exception) -> None:
        self.failed.emit(f"Training failed: {type(exc).__name__}: {exc}")

    def _on_preview(self, frame: PreviewFrame) -> None:
        self._frame = frame
        if frame.final:
            self._flush_frame()
        elif not self._frame_timer.isActive():
            self._frame_timer.start()

    def _flush_frame(self) -> None:
        frame, self._frame = self._frame, None
        if frame is not None:
            self.previewed.emit(frame)

    def _on_run_ended(self) -> None:
        # A run that failed never sends ``RunEnded``; its end still returns us to idle.
        if self.state != IDLE:
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
