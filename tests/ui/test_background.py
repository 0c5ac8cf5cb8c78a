"""The window's one background mechanism (``ui/background.py``): a newer generation drops an
older job's results, cancel ends a job at its next result, sync mode runs inline and delivers
the same results, jobs are let go once they end, and the thread count comes back after runs and
loads. Waits poll with ``qtbot.waitUntil`` on GUI-thread state, never on a job's own signals."""

from __future__ import annotations

import gc
import os
import threading
import weakref
from pathlib import Path

import numpy as np
import pytest


from ui_helpers import *  # noqa: E402,F403
from ui_helpers import wait_idle  # noqa: E402


class Recorder:
    """What a lane hands over, and on which thread."""

    def __init__(self) -> None:
        self.items: list = []
        self.errors: list = []
        self.ends = 0
        self.threads: set[int] = set()

    def deliver(self, item) -> None:
        self.threads.add(threading.get_ident())
        self.items.append(item)

    def failed(self, exc: Exception) -> None:
        self.threads.add(threading.get_ident())
        self.errors.append(str(exc))

    def ended(self) -> None:
        self.ends += 1


def gated(gate: threading.Event, values, closed: list | None = None):
    """A job's work: waits for ``gate``, then yields ``values`` (recording whether the
    generator was closed)."""

    def work(_cancelled):
        try:
            gate.wait(10)
            yield from values
        finally:
            if closed is not None:
                closed.append(True)

    return work


def lane_for(rec: Recorder, sync=None):
    from inr_studio.ui.background import Lane

    return Lane(rec.deliver, rec.failed, rec.ended, sync=sync)


def test_a_newer_generation_drops_the_older_jobs_results(qtbot) -> None:
    from inr_studio.ui.background import Job

    rec = Recorder()
    lane = lane_for(rec)
    old_gate, new_gate = threading.Event(), threading.Event()
    old = Job(gated(old_gate, ["old 1", "old 2"]))
    new = Job(gated(new_gate, ["new 1", "new 2"]))
    assert lane.start(old) == 1
    assert lane.start(new) == 2 and lane.current is new  # the older one goes on, uncounted
    old_gate.set()
    qtbot.waitUntil(old.isFinished, timeout=10_000)
    new_gate.set()
    qtbot.waitUntil(lambda: not lane.busy, timeout=10_000)
    assert rec.items == ["new 1", "new 2"] and rec.ends == 1
    assert rec.threads == {threading.get_ident()}  # delivered on the GUI thread
    lane._on_produced(1, "late")  # as if still queued from the replaced job
    lane._on_raised(1, RuntimeError("late"))
    assert rec.items == ["new 1", "new 2"] and rec.errors == []


def test_cancel_ends_the_job_at_its_next_result_and_drops_the_rest(qtbot) -> None:
    from inr_studio.ui.background import Job

    rec = Recorder()
    lane = lane_for(rec)
    gate, closed = threading.Event(), []
    job = Job(gated(gate, range(1000), closed=closed))
    lane.start(job)
    lane.cancel()
    assert not lane.busy and job.cancelled.is_set()
    gate.set()
    qtbot.waitUntil(lambda: bool(closed) and job.isFinished(), timeout=10_000)
    qtbot.wait(50)  # anything still queued is handled (and dropped)
    assert rec.items == [] and rec.ends == 0  # a cancelled job's end is not reported either


def test_a_failure_reaches_the_failed_handler(qtbot) -> None:
    from inr_studio.ui.background import Job

    def work(_cancelled):
        yield "first"
        raise ValueError("bad input")

    rec = Recorder()
    lane = lane_for(rec)
    lane.start(Job(work))
    qtbot.waitUntil(lambda: not lane.busy, timeout=10_000)
    assert rec.items == ["first"] and rec.errors == ["bad input"] and rec.ends == 1


def two_then_failure(threads: set):
    """A job's work that records its thread, yields two results, then fails."""

    def work(_cancelled):
        threads.add(threading.get_ident())
        yield from ("a", "b")
        raise ValueError("c")

    return work


@pytest.mark.parametrize("how", ["lane", "force_sync"])
def test_sync_mode_runs_inline_and_delivers_the_same_results(qtbot, how: str) -> None:
    from inr_studio.ui.background import Job, force_sync

    threaded, worker_threads = Recorder(), set()
    lane = lane_for(threaded)
    lane.start(Job(two_then_failure(worker_threads)))
    qtbot.waitUntil(lambda: not lane.busy, timeout=10_000)
    assert worker_threads and threading.get_ident() not in worker_threads

    inline, inline_threads = Recorder(), set()
    sync_lane = lane_for(inline, sync=True if how == "lane" else None)
    job = Job(two_then_failure(inline_threads))
    if how == "lane":
        sync_lane.start(job)
    else:
        with force_sync():
            sync_lane.start(job)
    # everything happened before start() returned, on this very thread
    assert inline_threads == {threading.get_ident()} == inline.threads
    assert (inline.items, inline.errors, inline.ends) == (["a", "b"], ["c"], 1)
    assert (threaded.items, threaded.errors, threaded.ends) == (["a", "b"], ["c"], 1)
    assert job.isFinished() and not sync_lane.busy and sync_lane.threads_alive() == 0


def test_jobs_are_let_go_once_they_end(qtbot) -> None:
    from inr_studio.ui.background import Job, kept

    rec = Recorder()
    lane = lane_for(rec)
    gate = threading.Event()
    job = Job(gated(gate, [np.zeros(3)]))
    ref = weakref.ref(job)
    lane.start(job)
    lane.cancel()  # retired: the lane forgets it, its thread still runs
    del job
    gc.collect()
    assert ref() is not None and ref() in kept() and lane.threads_alive() == 1
    gate.set()
    qtbot.waitUntil(lambda: not kept(), timeout=10_000)
    gc.collect()
    assert ref() is None and lane.threads_alive() == 0 and rec.items == []


def test_session_settings_take_the_windows_path(window, qtbot, small_image) -> None:
    """Under ``force_sync`` the window makes new maps inline, through the same stages as a bare
    :class:`Session`, and gets the same maps."""
    from dataclasses import replace

    from inr_studio.ui.background import force_sync
    from inr_studio.ui.session import Session

    session = window.session
    new = replace(session.settings, depth=session.settings.depth + 1)
    bare = Session(session.settings)
    bare.set_image(session.image)
    assert bare.set_settings(new)
    with force_sync():
        window.panel.depth.setValue(new.depth)  # the panel's change, applied at once
    assert not window.loader.busy and window.loader.threads_alive() == 0
    assert session.settings.depth == new.depth
    assert set(session.maps.layers) == set(bare.maps.layers)
    for kind, layers in bare.maps.layers.items():
        assert len(layers) == new.layers
        for (label, ids), (got_label, got) in zip(layers, session.maps.layers[kind]):
            assert label == got_label and np.array_equal(ids, got)
    assert np.array_equal(session.working, bare.working)


def _os_threads() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_thread_count_returns_to_baseline_after_runs_and_loads(window, qtbot,
                                                               tiny_png: Path) -> None:
    from inr_studio.ui.background import kept

    ctl = window.controller
    window.panel.iters.setValue(5)
    window.start_training()  # the first run starts torch's own lasting threads
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: not kept(), timeout=10_000)
    qtbot.wait(200)
    baseline = _os_threads()
    first = weakref.ref(ctl.worker)
    for _ in range(3):
        window.start_training()
        wait_idle(qtbot, window)
        assert window.open_image(str(tiny_png)) and window.wait_loaded()
    qtbot.waitUntil(lambda: not kept(), timeout=10_000)
    qtbot.waitUntil(lambda: _os_threads() <= baseline, timeout=10_000)
    gc.collect()
    assert first() is None  # a finished run is not kept once a newer one has ended
    assert ctl.threads_alive() == 0 and window.loader.threads_alive() == 0
