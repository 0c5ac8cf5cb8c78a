"""The rate–distortion tab's time estimate (before the ladder starts) and its time left (while
it runs), from units measured on the trained networks (:mod:`inr_studio.studies.ladder_cost`).
Qt-free but for the job it hands the tab's lane."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .background import Job

#: The latent model's key in the plan (its registry key, the ladder's family).
LATENT = "latent"


def estimate_job(snapshots: list, qat_steps: int, families: tuple[str, ...] | None,
                 latent=None, pixels=None) -> Job:
    """A background job that times the ladder's units on each network and yields
    ``{key: (width, UnitCosts)}`` once, then, for a latent plan
    (:class:`~inr_studio.studies.ladder_run.LatentPlan`) on ``pixels``, a :class:`LatentCost`."""
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
        if latent is not None and not cancelled.is_set():
            yield LatentCost(latent.fit_seconds(pixels), tuple(latent.settings()))
    return Job(work)


@dataclass(frozen=True)
class LatentCost:
    """The latent model's λ ladder: the forecast seconds of one training, and its points."""

    fit_s: float
    settings: tuple[str, ...]


class LadderClock:
    """What the ladder will take and has taken. ``units``: key -> (width, UnitCosts)."""

    def __init__(self) -> None:
        self.units: dict = {}
        self.latent: LatentCost | None = None
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
        if self.latent is not None:
            plan.update({(LATENT, name): self.latent.fit_s for name in self.latent.settings})
        return plan

    def total_s(self, qat_steps: int, families) -> float | None:
        """The predicted seconds of the whole ladder (None: not estimated)."""
        if not self.units and self.latent is None:
            return None
        return sum(self._predicted(qat_steps, families).values())

    def describe(self) -> str:
        """The measured units, for the estimate's tooltip."""
        lines = []
        if self.units:
            lines.append("Measured on each trained network, then multiplied out over the rungs "
                         "(the bit allocation's search is assumed to lower each tensor by 4 "
                         "bits):")
        for key, (_, u) in self.units.items():
            lines.append(f"{key}: a file round trip {u.roundtrip_s * 1e3:.0f} ms, a SINR file "
                         f"{u.sinr_roundtrip_s * 1e3:.0f} ms, a fine-tuning step "
                         f"{u.step_s * 1e3:.1f} ms, {u.tensors} tensors")
        if self.latent is not None:
            lines.append(f"{LATENT}: one training per λ, {len(self.latent.settings)} λ, each "
                         f"about {self.latent.fit_s:.1f} s (a few steps timed, times the run's "
                         "steps; encoding and decoding not counted)")
        return "\n".join(lines)

    # --- while the ladder runs ---
    def start(self, snapshots: list, qat_steps: int, families, latent: bool = False) -> None:
        """The ladder starts (``latent``: with the latent model's λ ladder after the rest)."""
        keys = {s.key for s in snapshots} | ({LATENT} if latent else set())
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
