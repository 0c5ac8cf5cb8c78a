"""The rate–distortion tab's time estimate (before the ladder starts) and its time left (while
it runs), from units measured on the trained networks (:mod:`inr_studio.studies.ladder_cost`).
Qt-free but for the job it hands the tab's lane."""

from __future__ import annotations

import time

from .background import Job


def estimate_job(snapshots: list, qat_steps: int, families: tuple[str, ...] | None) -> Job:
    """A background job that times the ladder's units on each network and yields
    ``{key: (width, UnitCosts)}`` once, at the end."""
    def work(cancelled):
        from ..studies import ladder
        from ..studies.ladder_cost import measure_units

        fams = ladder.FAMILIES if families is None else families
        out = {}
        for snap in snapshots:
            if cancelled.is_set():
                return
            out[snap.key] = (snap.model.config.width, measure_units(snap, qat_steps, fams))
        yield out
    return Job(work)


class LadderClock:
    """What the ladder will take and has taken. ``units``: key -> (width, UnitCosts)."""

    def __init__(self) -> None:
        self.units: dict = {}
        self._plan: dict[tuple[str, str], float] = {}
        self._t0: float | None = None
        self._end: float | None = None
        self._done = 0.0
        self._points = self._total_points = 0

    def _predicted(self, qat_steps: int, families) -> dict[tuple[str, str], float]:
        from ..studies import ladder
        from ..studies.ladder_cost import rung_seconds

        fams = ladder.FAMILIES if families is None else families
        plan = {}
        for key, (width, units) in self.units.items():
            rungs = ladder.rungs(width, fams)
            plan.update({(key, r.name): s for r, s in zip(rungs, rung_seconds(rungs, units,
                                                                              qat_steps))})
        return plan

    def total_s(self, qat_steps: int, families) -> float | None:
        """The predicted seconds of the whole ladder (None: not estimated)."""
        return sum(self._predicted(qat_steps, families).values()) if self.units else None

    def describe(self) -> str:
        """The measured units, for the estimate's tooltip."""
        if not self.units:
            return ""
        lines = ["Measured on each trained network, then multiplied out over the rungs "
                 "(the bit allocation's search is assumed to lower each tensor by 4 bits):"]
        for key, (_, u) in self.units.items():
            lines.append(f"{key}: a file round trip {u.roundtrip_s * 1e3:.0f} ms, a SINR file "
                         f"{u.sinr_roundtrip_s * 1e3:.0f} ms, a fine-tuning step "
                         f"{u.step_s * 1e3:.1f} ms, {u.tensors} tensors")
        return "\n".join(lines)

    # --- while the ladder runs ---
    def start(self, snapshots: list, qat_steps: int, families) -> None:
        keys = {s.key for s in snapshots}
        self._plan = {k: v for k, v in self._predicted(qat_steps, families).items()
                      if k[0] in keys}
        self._t0, self._end, self._done = time.perf_counter(), None, 0.0
        self._points, self._total_points = 0, 0

    def planned(self, points: int) -> None:
        """The ladder's own count of its points (the pace's fallback without an estimate)."""
        self._total_points = points

    def point_done(self, key: str, rung: str) -> float | None:
        """Seconds left after this point: the predicted work left, at the pace measured so far
        (None before the first point)."""
        if self._t0 is None:
            return None
        self._points += 1
        self._done += self._plan.get((key, rung), 0.0)
        elapsed = time.perf_counter() - self._t0
        total = sum(self._plan.values())
        if self._done > 0 and total > 0:
            return max(0.0, (total - self._done) * elapsed / self._done)
        if self._total_points > self._points:  # no estimate: every point alike
            return elapsed * (self._total_points - self._points) / self._points
        return None

    def stop(self) -> None:
        if self._t0 is not None and self._end is None:
            self._end = time.perf_counter()

    def elapsed_s(self) -> float:
        if self._t0 is None:
            return 0.0
        return (self._end or time.perf_counter()) - self._t0
