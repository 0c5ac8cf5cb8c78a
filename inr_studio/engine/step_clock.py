"""Each model's own training seconds, right on any device.

On a CPU a step runs while it is called, so its wall time is its cost. On CUDA a step only queues
kernels and returns: timing the call measures the queueing, and whichever model happens to wait
for a full queue is charged the others' work. Here each model's turn is bracketed by two CUDA
events on the device's stream, and their difference is read when the engine reads the device
anyway (at each progress report, one sync for everything since the last one).
"""

from __future__ import annotations

import time

import torch


class StepClock:
    """``start()`` before a model's steps, ``stop(key, token)`` after them; ``settle()`` adds
    what is measured so far to :attr:`seconds` (key -> seconds) and returns it."""

    def __init__(self, device: torch.device, keys) -> None:
        self.cuda = device.type == "cuda"
        self.device = device
        self.seconds: dict[str, float] = {k: 0.0 for k in keys}
        self._pending: list[tuple[str, torch.cuda.Event, torch.cuda.Event]] = []

    def start(self):
        if not self.cuda:
            return time.perf_counter()
        event = torch.cuda.Event(enable_timing=True)
        event.record(torch.cuda.current_stream(self.device))
        return event

    def stop(self, key: str, token) -> None:
        if not self.cuda:
            self.seconds[key] += time.perf_counter() - token
            return
        event = torch.cuda.Event(enable_timing=True)
        event.record(torch.cuda.current_stream(self.device))
        self._pending.append((key, token, event))

    def settle(self) -> dict[str, float]:
        """Wait for the last recorded event (the caller is about to read the device anyway)
        and add every bracket's device time."""
        if self._pending:
            self._pending[-1][2].synchronize()
            for key, begin, end in self._pending:
                self.seconds[key] += begin.elapsed_time(end) / 1000.0
            self._pending.clear()
        return self.seconds
