"""Saving a run so that it opens again, and opening it (a mixin of :class:`MainWindow`).

*File ▸ Save run…* writes the settings, the working image, each model's network, curves and
last figures as one ``.inrrun`` file (:mod:`.run_file`; ``.json`` and ``.csv`` still write the
numbers alone). *File ▸ Open run…* reads it in a background job (checking every part, building
each model's network and rendering it), then shows it as the run it was: the panels, the
curves, the table, the maps. Restart trains again with its settings on its image; the save
actions and the rate–distortion tab export its networks. A file that is not a run, or a damaged
one, is one message and the window keeps what it had.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog

from ..errors import InrStudioError
from .background import Job, Lane
from .run_file import SUFFIX, RunFileError, SavedRun, read_run, write_run

RUN_FILTER = f"inr-studio runs (*{SUFFIX})"
OPENED = "run"  # the tag of the maps load an opened run starts


@dataclass(frozen=True)
class OpenedRun:
    path: str
    run: SavedRun
    trainers: dict  # kind -> Trainer holding the saved network (never stepped)
    frame: object  # the final PreviewFrame of those networks


def network_state(trainer) -> dict[str, np.ndarray]:
    """The network a saved run keeps of a model: the weights its trainer holds now (a copy, on
    the CPU): once a run has ended or is paused, the ones it returns (its best step's)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in trainer.model.state_dict().items()}


def saved_frame(run: SavedRun, trainers: dict):
    """The panels of the saved networks: each rendered at the working size, as the final
    preview of a run shows them (with a latent-grid model's grids)."""
    from ..engine.messages import PSNR_CAP, PreviewFrame
    from ..metrics import error_magnitude, psnr, shared_error_scale, ssim, to_uint8

    renders = {k: t.reconstruct() for k, t in trainers.items()}
    errors = {k: error_magnitude(r, run.working) for k, r in renders.items()}
    final = {k: run.record.final.get(k, {}) for k in renders}
    kept = frozenset(k for k, f in final.items() if int(f.get("best_step", -1)) >= 0)
    return PreviewFrame(
        0, {k: int(f["best_step"] if k in kept else f.get("step", 0)) for k, f in final.items()},
        {k: to_uint8(r) for k, r in renders.items()}, errors,
        {k: min(psnr(r, run.working), PSNR_CAP) for k, r in renders.items()},
        {k: ssim(r, run.working) for k, r in renders.items()},
        error_scale=shared_error_scale(*errors.values()), final=True, best=kept,
        grids={k: tuple(g) for k, t in trainers.items() if (g := t.latent_grids())})


def open_run_job(path: str) -> Job:
    """Read and check the run, rebuild each model's network, render the final frame."""
    def work(_cancelled):
        import torch

        from ..engine.trainer import Trainer
        from ..problem import FitProblem

        run = read_run(path)
        train = run.record.settings.train_config(device="cpu")
        trainers = {}
        for kind, config in run.configs.items():
            state = {k: torch.from_numpy(v.copy()) for k, v in run.states[kind].items()}
            trainers[kind] = Trainer(FitProblem.create(run.working, config), train, init=state)
        yield OpenedRun(path, run, trainers, saved_frame(run, trainers))
    return Job(work)


class RunActions:
    """Needs the session, the controller, the views, the loader, the store and the messages."""

    _run_lane: Lane | None = None

    # --- saving ---
    def save_run_file(self, path: str | Path) -> Path | None:
        """The whole run as ``.inrrun``: it needs the networks (run paused or ended)."""
        s = self.session
        if s.record is None:
            self.show_error("No run to save yet: press Start first.")
            return None
        trainers = self._trainers()
        if not trainers:
            return None
        try:
            out = write_run(path, s.record, s.name, (s.image.height, s.image.width), s.working,
                            {k: t.problem.config for k, t in trainers.items()},
                            {k: network_state(t) for k, t in trainers.items()})
        except (OSError, InrStudioError) as exc:
            self.show_error(f"Could not save the run: {exc}")
            return None
        self.messages.show_message(f"Saved the run to {out}; File ▸ Open run… opens it again.",
                                   "info")
        return out

    # --- opening ---
    def open_run_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open run", "", RUN_FILTER)
        if name:
            self.open_run(name)

    def open_run(self, path: str | Path) -> bool:
        """Start opening the run saved in ``path``; False if refused at once."""
        if not self.engine_ready:
            self.show_error("The training engine is still being prepared; open the run in a "
                            "moment.")
            return False
        if self._run_lane is None:
            self._run_lane = Lane(self._on_run_opened, self._on_run_failed, None, self)
        self._run_lane.start(open_run_job(str(path)))
        return True

    def wait_run_opened(self, timeout_ms: int = 60_000) -> bool:
        """Process events until the run being opened has arrived (tests, scripts)."""
        from PySide6.QtWidgets import QApplication

        lane = self._run_lane
        if lane is None:
            return True
        lane.wait(timeout_ms)
        for _ in range(3):
            QApplication.processEvents()
        return not lane.busy

    def _on_run_failed(self, exc: Exception) -> None:
        if isinstance(exc, RunFileError | InrStudioError):
            self.show_error(str(exc))
        else:
            self.show_error(f"The run could not be opened: {type(exc).__name__}: {exc}")

    def _on_run_opened(self, opened: OpenedRun) -> None:
        from ..imaging import LoadedImage
        from .session import LoadRequest

        self.controller.stop(wait=True)
        run, s = opened.run, self.session
        s.settings = run.record.settings
        s.adopt_image(LoadedImage(run.working, 8, run.image_name), run.working)
        s.record, s.trainers = run.record, opened.trainers
        self.messages.clear()
        self._show_settings()
        self.setWindowTitle(f"{s.name} (run {Path(opened.path).name}) — inr-studio")
        self._refresh_image_views()
        self.forget_rd(run.working)
        self.loader.start(LoadRequest(s.settings, image=s.image, working=run.working,
                                      tag=OPENED))
        self._show_run(run, opened.frame)
        self.messages.show_message(
            f"Opened the run saved in {Path(opened.path).name}: {', '.join(run.record.models)} "
            "as they were saved. Restart trains again with its settings; the save actions "
            "export its networks.", "info")

    def _show_run(self, run: SavedRun, frame) -> None:
        """The saved curves, figures and panels in the views."""
        from ..engine.messages import ModelStats

        rec = run.record
        for kind in rec.models:
            self.plot.add_series(kind, np.asarray(rec.steps[kind]), np.asarray(rec.psnr[kind]),
                                 np.asarray(rec.seconds[kind]))
        stats = {}
        for kind, f in rec.final.items():
            if "step" in f:
                stats[kind] = ModelStats(
                    kind=kind, step=int(f["step"]), total=int(f.get("total", f["step"])),
                    psnr=float(f.get("psnr_db", float("nan"))),
                    iters_per_s=float(f.get("iters_per_s", 0.0)),
                    elapsed_s=float(f.get("elapsed_s", float("nan"))), eta_s=float("nan"),
                    params=int(f.get("parameters", 0)),
                    best_psnr=float(f.get("best_psnr_db", float("nan"))),
                    best_step=int(f.get("best_step", -1)),
                    last_psnr=float(f.get("last_step_psnr_db", float("nan"))),
                    bpp=float(f.get("bpp", float("nan"))))
                if stats[kind].best_step >= 0:
                    self.plot.set_best(kind, stats[kind].best_step, stats[kind].best_psnr)
        self.table.show_stats(stats)
        self.compare.show_frame(frame)
        self.table.show_frame(frame)
        self.maps_view.show_latent(frame.grids)

    def shutdown_runs(self) -> None:
        if self._run_lane is not None:
            self._run_lane.shutdown(60_000)
