"""The window's training commands and what it does with a run's messages: Start (after the
memory guard), Restart, Pause/Resume, Stop; curves, table, panels and the run record.

A mixin of :class:`~inr_studio.ui.main_window.MainWindow`, torch-free at import (the engine is
imported when Start is pressed, after it has loaded in its thread)."""

from __future__ import annotations

import math
from dataclasses import replace

from ..engine.presets import CPU
from ..errors import InrStudioError
from .run_states import IDLE, PAUSED, RUNNING
from .run_record import RunRecord
from .session import LONG_SIDES, rework_needed


def default_cpu_threads() -> int:
    """The CPU preset's threads, every core: OpenMP's short spin before it sleeps
    (``inr_studio/process.py``) gives the GUI thread its turn when it needs one, and on an idle
    2-core machine two threads train ~1.5× faster than one (docs/results.md; the window's
    stalls were measured with them)."""
    return CPU.cpu_threads() or 1


def fitting_long_side(limit: int) -> int:
    """The largest working size of the panel's list within ``limit`` px (``limit`` itself when
    below them all; 0 when under 8 px, too small to train)."""
    sides = [v for v in LONG_SIDES if 0 < v <= limit]
    return max(sides) if sides else (limit if limit >= 8 else 0)


class TrainingActions:
    #: A one-click way out changed the working size: start when its working copy is ready.
    _start_after_rework = False

    def start_training(self) -> None:
        s = self.session
        if not self.engine_ready:
            self.show_error(self.engine_error or "The training engine is still being prepared; "
                            "Start works in a moment.")
            return
        if s.working is None:
            self.show_error("Open an image first (File ▸ Open, a sample, or drop one here).")
            return
        if self.controller.is_active():
            return
        from ..device import describe, pick_device
        from ..engine.memory import MemoryGuardError
        from ..engine.side_by_side import RunRequest

        try:
            specs = s.model_specs()
            train = s.settings.train_config()
            device = pick_device(train.device)
            h, w = s.working.shape[:2]
            self._check_memory(specs, train, str(device))
        except MemoryGuardError as exc:  # the guard's refusal: its ways out as buttons
            self.show_error(str(exc), self._ways_out(exc, max(s.working.shape[:2])))
            return
        except InrStudioError as exc:
            self.show_error(str(exc))
            return
        s.record = RunRecord(settings=s.settings, device=describe(device), height=h, width=w)
        s.trainers = {}
        self.reset_run_views(specs, train)
        pixels = s.working.copy()
        self.messages.clear()
        self.controller.start(lambda gen: RunRequest(gen, pixels, specs, train,
                                                     cpu_threads=self.cpu_threads))

    def _check_memory(self, specs, train, device: str) -> None:
        """The memory guard. If it refuses while the last run's networks are still held (for
        saving), they are let go, since Start replaces them, and it checks again."""
        from ..engine.memory import MemoryGuardError, check_memory

        h, w, c = self.session.working.shape
        try:
            check_memory(specs, h, w, train.batch_pixels, device, c, cuda_graphs=train.fast)
        except MemoryGuardError:
            held = bool(self.session.trainers)
            self.session.trainers = {}
            if not (self.controller.release_finished() or held):
                raise
            check_memory(specs, h, w, train.batch_pixels, device, c, cuda_graphs=train.fast)

    def _ways_out(self, exc, long_side: int) -> list:
        """The memory guard's suggestions (a :class:`MemoryGuardError`) as one-click buttons:
        each applies the setting to the panel and starts again (a new working size first makes
        its working copy)."""
        out = []
        batch = exc.batch_pixels
        if batch:
            out.append((f"Train on {batch:,} random pixels a step",
                        lambda: self._start_with(batch_pixels=int(batch))))
        if exc.scale:
            side = fitting_long_side(math.floor(long_side * exc.scale))
            if side:
                out.append((f"Use a {side} px working size",
                            lambda: self._start_with(long_side=side)))
        return out

    def _start_with(self, **changes) -> None:
        new = replace(self.session.settings, **changes)
        self.panel.show_settings(new)
        rework = rework_needed(self.session.settings, new) is not None
        self._start_after_rework = rework
        self._apply_settings(new)
        if not rework:
            self.start_training()

    def restart_training(self) -> None:
        """Stop the current run and start again on the same image with the panel's settings."""
        self.controller.stop(wait=True)
        self.start_training()

    def toggle_pause(self) -> None:
        if self.controller.state == RUNNING:
            self.controller.pause()
        elif self.controller.state == PAUSED:
            self.controller.resume()

    def stop_training(self) -> None:
        self.controller.stop()

    def _on_progress(self, batch) -> None:
        self.plot.add_points(batch)
        self.table.show_stats(batch.stats)
        if self.session.record is not None:
            self.session.record.add_progress(batch)

    def _on_preview(self, frame) -> None:
        self.compare.show_frame(frame)
        self.table.show_frame(frame)
        self.maps_view.show_latent(frame.grids)
        if self.session.record is not None:
            self.session.record.add_frame(frame)

    def _on_state(self, state: str) -> None:
        self.panel.set_state(state)
        self.panel.start_btn.setEnabled(state == IDLE and self.engine_ready)
        if self.maps_view is not None:
            self.maps_view.set_editable(state == IDLE)
        self.state_label.setText(state)

    def _on_finished(self, stopped: bool) -> None:
        self.session.trainers = self.controller.readable_trainers()
        if not stopped:
            self.messages.show_message("Training finished. Save a model with “Save .sinr…”.",
                                       "info")
