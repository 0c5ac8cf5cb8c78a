"""What a run leaves for the views and files: its curves and each model's last figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .curves import ComputeClock


@dataclass
class RunRecord:
    """The curves and last figures of a run, for the plot, the table, the CSV/JSON export and
    the saved run."""

    settings: Any  # the run's session.RunSettings (not imported: session builds records)
    device: str
    height: int
    width: int
    steps: dict[str, list[int]] = field(default_factory=dict)  # kind -> curve steps
    psnr: dict[str, list[float]] = field(default_factory=dict)
    seconds: dict[str, list[float]] = field(default_factory=dict)  # the model's own, per point
    final: dict[str, dict] = field(default_factory=dict)  # kind -> last stats (as dicts)
    clock: ComputeClock = field(default_factory=ComputeClock, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kind in self.settings.models:
            self.steps.setdefault(kind, [])
            self.psnr.setdefault(kind, [])
            self.seconds.setdefault(kind, [])

    def add_progress(self, batch) -> None:
        """A :class:`~inr_studio.engine.messages.ProgressBatch`: its points and figures."""
        for kind, (steps, psnr) in batch.points.items():
            st = batch.stats.get(kind)
            seconds = self.clock.seconds(kind, steps, st.step, st.iters_per_s) if st else \
                [float("nan")] * len(steps)
            self.steps[kind].extend(int(v) for v in steps)
            self.psnr[kind].extend(float(v) for v in psnr)
            self.seconds[kind].extend(float(v) for v in seconds)
        for kind, st in batch.stats.items():
            self.final.setdefault(kind, {}).update(
                step=st.step, total=st.total, iters_per_s=st.iters_per_s,
                elapsed_s=st.elapsed_s, parameters=st.params, best_psnr_db=st.best_psnr,
                best_step=st.best_step, last_step_psnr_db=st.last_psnr, bpp=st.bpp)

    def add_frame(self, frame) -> None:
        """A :class:`~inr_studio.engine.messages.PreviewFrame`: each model's PSNR and SSIM."""
        for kind in frame.psnr:
            self.final.setdefault(kind, {}).update(
                psnr_db=frame.psnr[kind], ssim=frame.ssim[kind], preview_step=frame.steps[kind])

    @property
    def models(self) -> tuple[str, ...]:
        return self.settings.models
