"""How fast a run is going now, for its ETA: work per second over the last seconds.

A whole-run average carries the start's one-time costs and a phase that has ended (the coarse
warm-up, whose previews render and whose steps cost more than their weight says) into the
rest of the run: it read 06:10 where about 4 minutes were left (docs/results.md, 10.8). Over
a recent window, the pace is the phase now running.
"""

from __future__ import annotations

from collections import deque

#: Seconds of the run the pace is measured over once that much has passed.
WINDOW_S = 10.0


class RecentPace:
    """Samples of (elapsed seconds, work done), kept for ``window_s``; :meth:`rate` is the work
    per second across them, or over the whole run while it is shorter than the window."""

    def __init__(self, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()

    def add(self, elapsed_s: float, work: float) -> None:
        self._samples.append((elapsed_s, work))
        # Keep one sample at or before the window's start, so the rate spans the whole window.
        while len(self._samples) > 2 and self._samples[1][0] <= elapsed_s - self.window_s:
            self._samples.popleft()

    def rate(self) -> float:
        """Work per second (0 before any progress)."""
        if not self._samples:
            return 0.0
        t1, w1 = self._samples[-1]
        t0, w0 = self._samples[0]
        if t1 < self.window_s or t1 <= t0:  # not a window yet: since the start
            return w1 / t1 if t1 > 0 else 0.0
        return (w1 - w0) / (t1 - t0)

    def eta_s(self, work_left: float) -> float:
        """Seconds left at this pace (nan while there is no pace yet)."""
        rate = self.rate()
        return work_left / rate if rate > 0 else float("nan")
