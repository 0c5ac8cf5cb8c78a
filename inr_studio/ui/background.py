"""The window's one way to run work in the background: training runs, image loads, the engine's
loading, the rate–distortion measurement and the export dialog's encodes.

A :class:`Job` is a generator (or any iterable) of immutable results, run in a thread of its
own. A :class:`Lane` runs the jobs of one kind, newest first: each job it starts gets the next
number of the lane's :class:`Generations`, a cancelled or replaced job's results are dropped
in :meth:`Lane._on_produced` (the one place stale results are filtered), and only the newest
job's end is reported. Every started job stays referenced by one keeper until its thread has
ended, then is let go. ``Lane(sync=True)``, or any lane inside :func:`force_sync`, runs its jobs
at once on the calling thread and delivers their results through the very same slots (tests,
scripts).

Why these rules (each one a way a Qt window goes wrong):

* A job is a ``QThread`` subclass that is never moved to another thread, and the lane that
  receives its signals is a ``QObject`` of the GUI thread, so its results reach the lane's
  methods queued onto the GUI thread. A lambda or ``functools.partial`` connected to a signal
  of an object living in a worker thread would run in that worker thread instead.
* Stop and cancel go through ``threading.Event`` objects (the job's ``cancelled`` event, the
  engine's ``RunControl``): a thread busy in a loop never runs an event loop, so a queued call
  would never reach it.
* Dropping the last reference to a ``QThread`` that still runs aborts the process, and
  ``deleteLater`` on a thread Python still holds frees it twice: the keeper holds every running
  job and, when its ``finished`` arrives (queued, after all its results), waits for the thread
  to return and drops it. A retired job that is still computing is kept the same way.
* Results are emitted as they are: a job must yield fresh objects it never changes afterwards
  (numpy arrays included), because the receiver gets the very same object.

Not superqt's thread workers: they run on Qt's global thread pool, capped at the number of
cores (a training run and a measurement would hold both threads of a two-core machine and an
image drop would wait for one of them), and each worker swaps ``warnings.showwarning`` inside
``warnings.catch_warnings()``, process-wide state that two overlapping workers restore out of
order, leaving it pointing at a finished worker.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

#: A job's work: given the job's ``cancelled`` event, the results, one by one.
Work = Callable[[threading.Event], Iterable[Any]]

_forced_sync = 0


@contextmanager
def force_sync() -> Iterator[None]:
    """Inside this block every lane whose ``sync`` is unset runs its jobs inline."""
    global _forced_sync
    _forced_sync += 1
    try:
        yield
    finally:
        _forced_sync -= 1


class Generations:
    """Numbers the jobs of one lane: only the newest job's results count, and none once it was
    cancelled."""

    def __init__(self) -> None:
        self.current = 0
        self._open = False

    def next(self) -> int:
        self.current += 1
        self._open = True
        return self.current

    def close(self) -> None:
        """The newest job was cancelled: nothing of it counts any more."""
        self._open = False

    def is_current(self, generation: int) -> bool:
        return self._open and generation == self.current


def drain(generation: int, work: Work, cancelled: threading.Event,
          produce: Callable[[int, Any], None], fail: Callable[[int, Exception], None]) -> None:
    """The loop every job runs: each result to ``produce`` until the work ends or the job is
    cancelled (then the generator is closed at once); an exception to ``fail``."""
    items = None
    try:
        items = work(cancelled)
        for item in items:
            if cancelled.is_set():
                break
            produce(generation, item)
    except Exception as exc:  # noqa: BLE001 - a failure is a result too; the window lives on
        fail(generation, exc)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


class Job(QThread):
    """One piece of background work. Give ``work``, or override :meth:`work` (and
    :meth:`cancel` when the work has its own way to stop)."""

    produced = Signal(int, object)  # generation, one result
    raised = Signal(int, object)  # generation, the exception that ended the work

    def __init__(self, work: Work | None = None) -> None:
        super().__init__()
        self._work = work
        self.generation = 0
        self.cancelled = threading.Event()
        self._ran_inline = False

    def work(self, cancelled: threading.Event) -> Iterable[Any]:
        if self._work is None:
            raise NotImplementedError("give Job a work function or override work()")
        return self._work(cancelled)

    def cancel(self) -> None:
        """End the work at its next result; nothing more of it is delivered."""
        self.cancelled.set()

    def run(self) -> None:  # noqa: D401 - QThread API, in the job's thread
        drain(self.generation, self.work, self.cancelled, self.produced.emit, self.raised.emit)

    def run_inline(self) -> None:
        """Run on the calling thread (sync mode); the signals reach their slots directly."""
        self.run()
        self._ran_inline = True

    def isFinished(self) -> bool:  # noqa: N802 - QThread API
        return self._ran_inline or super().isFinished()


class _Keeper(QObject):
    """Holds every started job until its thread has returned, then lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: set[Job] = set()

    def keep(self, job: Job) -> None:
        self.jobs.add(job)
        job.finished.connect(self._release)

    def _release(self) -> None:
        job = self.sender()
        if job in self.jobs:
            job.wait()  # ``finished`` is emitted just before the thread returns
            self.jobs.discard(job)


_keeper: _Keeper | None = None


def kept() -> set[Job]:
    """The started jobs whose thread has not been let go yet."""
    return set(_keeper.jobs) if _keeper is not None else set()


def _wait(jobs: Iterable[Job], timeout_ms: int | None) -> bool:
    """Wait for each job's thread to return (``None``: as long as it takes)."""
    return all([job.wait() if timeout_ms is None else job.wait(timeout_ms) for job in jobs])


def wait_all(timeout_ms: int | None = None) -> bool:
    """Cancel every job still running and wait for their threads (the window closing)."""
    jobs = kept()
    for job in jobs:
        job.cancel()
    return _wait(jobs, timeout_ms)


class Lane(QObject):
    """The jobs of one kind, newest first: results of the current job go to ``deliver``, its
    exception to ``failed``, its end to ``ended``; results of a replaced or cancelled job are
    dropped. ``sync``: True runs jobs inline, None follows :func:`force_sync`."""

    def __init__(self, deliver: Callable[[Any], None],
                 failed: Callable[[Exception], None] | None = None,
                 ended: Callable[[], None] | None = None, parent: QObject | None = None,
                 sync: bool | None = None) -> None:
        super().__init__(parent)
        self.generations = Generations()
        self.sync = sync
        self._deliver, self._failed, self._ended = deliver, failed, ended
        self._current: Job | None = None
        self._started: weakref.WeakSet[Job] = weakref.WeakSet()

    @property
    def current(self) -> Job | None:
        """The newest job until its end has been handled here (or it was cancelled)."""
        return self._current

    @property
    def busy(self) -> bool:
        return self._current is not None

    def start(self, job: Job) -> int:
        """Run ``job`` as the lane's newest; returns its generation. Older jobs go on unless
        the caller cancelled or stopped them; their results no longer count."""
        global _keeper
        job.generation = self.generations.next()
        self._current = job
        job.produced.connect(self._on_produced)
        job.raised.connect(self._on_raised)
        if self.sync or (self.sync is None and _forced_sync):
            job.run_inline()
            self._job_ended(job)
            return job.generation
        job.finished.connect(self._on_finished)  # before the keeper's: it still holds the job
        if _keeper is None:
            _keeper = _Keeper()
        _keeper.keep(job)
        self._started.add(job)
        job.start()
        return job.generation

    def cancel(self) -> None:
        """Cancel the current job: it ends at its next result, nothing more of it arrives."""
        job, self._current = self._current, None
        self.generations.close()
        if job is not None:
            job.cancel()

    def wait(self, timeout_ms: int | None = None) -> bool:
        """Wait for every thread this lane started (without cancelling them)."""
        return _wait(list(self._started), timeout_ms)

    def shutdown(self, timeout_ms: int | None = None) -> bool:
        """Cancel every job of the lane and wait for their threads."""
        self.cancel()
        for job in list(self._started):
            job.cancel()
        return self.wait(timeout_ms)

    def threads_alive(self) -> int:
        return sum(1 for job in list(self._started) if job.isRunning())

    # --- the jobs' signals, queued onto the GUI thread (direct in sync mode) ---
    def _on_produced(self, generation: int, item: Any) -> None:
        if self.generations.is_current(generation):
            self._deliver(item)

    def _on_raised(self, generation: int, exc: Exception) -> None:
        if self.generations.is_current(generation) and self._failed is not None:
            self._failed(exc)

    def _on_finished(self) -> None:
        self._job_ended(self.sender())

    def _job_ended(self, job: Job | None) -> None:
        if job is not None and job is self._current:
            self._current = None
            if self._ended is not None:
                self._ended()
