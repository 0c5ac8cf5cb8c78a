"""The window's training commands and what it does with a run's messages: Start (after the
memory guard), Restart, Pause/Resume, Stop; curves, table, panels and the run record.

A mixin of :class:`~inr_studio.ui.main_window.MainWindow`, torch-free at import (the engine is
imported when Start is pressed, after it has loaded in its thread)."""

from __future__ import annotations

import math
import os
from dataclasses import replace

from ..errors import InrStudioError
from .run_states import IDLE, PAUSED, RUNNING
from .session import LONG_SIDES, RunRecord, rework_needed


def default_cpu_threads() -> int:
    """Every core: OpenMP's passive wait (``inr_studio/__init__``) gives the GUI thread its turn
    when it needs one, and on an idle 2-core machine two threads train ~1.5× faster than one
    (docs/results.md, issue 10.8; the window's stalls were measured with them)."""
    return max(1, os.cpu_count() or 1)


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
        from ..engine.memory import MemoryGuardError, check_memory
        from ..engine.side_by_side import RunRequest

        try:
            specs = s.model_specs()
            train = s.settings.train_config()
            device = pick_device(train.device)
            h, w = s.working.shape[:2]
            check_memory(specs, h, w, train.batch_pixels, str(device), s.working.shape[2])
        except MemoryGuardError as exc:  # the guard's refusal: its ways out as buttons
            self.show_error(str(exc), self._ways_out(exc, max(s.working.shape[:2])))
            return
        except InrStudioError as exc:
            self.show_error(str(exc))
            return
        s.record = RunRecord(settings=s.settings, device=describe(device), height=h, width=w)
        s.trainers = {}
        self.plot.reset(max(sp.total_steps(train.iters) for sp in specs))  # phases add steps
        self.table.reset({sp.key: sp.config.parameter_count() for sp in specs})
        pixels = s.working.copy()
        self.messages.clear()
        self.controller.start(lambda gen: RunRequest(gen, pixels, specs, train,
                                                     cpu_threads=self.cpu_threads))

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
        self._start_after_rework = rework_needed(self.session.settings, new) is not None
        self._apply_settings(new)
        if not self._start_after_rework:
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
        rec = self.session.record
        if rec is not None:
            for kind, (steps, psnr) in batch.points.items():
                rec.steps[kind].extend(int(v) for v in steps)
                rec.psnr[kind].extend(float(v) for v in psnr)
            for kind, st in batch.stats.items():
                rec.final.setdefault(kind, {}).update(
                    step=st.step, iters_per_s=st.iters_per_s, elapsed_s=st.elapsed_s,
                    parameters=st.params, best_psnr_db=st.best_psnr, best_step=st.best_step,
                    last_step_psnr_db=st.last_psnr)

    def _on_preview(self, frame) -> None:
        self.compare.show_frame(frame)
        self.table.show_frame(frame)
        rec = self.session.record
        if rec is not None:
            for kind in frame.psnr:
                rec.final.setdefault(kind, {}).update(
                    psnr_db=frame.psnr[kind], ssim=frame.ssim[kind], preview_step=frame.steps[kind])

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
