"""The window's training job: the core's side-by-side engine
(:mod:`inr_studio.engine.side_by_side`) run as a background job, its immutable messages
delivered to the :class:`~inr_studio.ui.run_controller.RunController` on the GUI thread.

Everything about training (round robin, statistics, ETA, preview budget, out-of-memory
messages) lives in the engine, which the command line and the tests run without Qt. Pause and
stop go through the engine's ``RunControl`` (``threading.Event`` objects: the job's thread runs
no event loop, so a queued call would never reach it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from ..engine.control import RunControl
from ..engine.messages import Message
from ..engine.side_by_side import RunRequest, SideBySide
from .background import Job


class TrainWorker(Job):
    """One run. ``make_request(generation)`` builds its request when it starts."""

    def __init__(self, make_request: Callable[[int], RunRequest]) -> None:
        super().__init__()
        self.control = RunControl()
        self._make_request = make_request
        self.engine: SideBySide | None = None

    @property
    def trainers(self) -> dict:
        """key -> Trainer; read it only after the run ended (or while paused-confirmed)."""
        return self.engine.trainers if self.engine is not None else {}

    def work(self, cancelled: threading.Event) -> Iterator[Message]:
        self.engine = SideBySide(self._make_request(self.generation), self.control)
        return self.engine.run()

    # --- called from the GUI thread ---
    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def request_stop(self) -> None:
        """End the run after its current step; its last messages still arrive."""
        self.control.stop()

    def cancel(self) -> None:
        self.control.stop()
        super().cancel()


def warm_up() -> None:
    """Create one Adam optimiser now, before the first run: its first use imports
    ``torch._dynamo`` (a second or more), which inside the worker would hold the GIL in long
    stretches and freeze the window for hundreds of milliseconds at Start."""
    import torch

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
