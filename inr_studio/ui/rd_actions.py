"""The window's rate–distortion tab and its background work (a mixin of :class:`MainWindow`):
the codecs' curves for every picture the window opens, the models' ladder on request (the
latent grids' λ ladder after it), with its time estimated once the tab is looked at after a
run."""

from __future__ import annotations

RD_TAB = "Rate–distortion"


def coded_by_ladder(trainers: dict) -> dict:
    """The trained models the tab's ladder re-codes at many rates: the coordinate networks."""
    from ..models.build import is_grid_model

    return {k: t for k, t in trainers.items() if not is_grid_model(t.problem.config)}


def latent_plan(trainers: dict, lambdas: tuple[float, ...] | None = None):
    """The latent grids' λ ladder when they were trained: one training per λ with the settings
    of the window's run (its steps, seed, schedule...; None: no latent model trained)."""
    from dataclasses import replace

    from ..studies.ladder_run import LatentPlan
    from .rd_estimate import LATENT

    trainer = trainers.get(LATENT)
    if trainer is None:
        return None
    plan = LatentPlan(trainer.config)
    return plan if lambdas is None else replace(plan, lambdas=tuple(lambdas))


class RdActions:
    rd_view = None
    _rd_estimated_for = None  # the trainers the estimate was made for

    def _tab_changed(self, index: int) -> None:
        if self.tabs.tabText(index) == RD_TAB:
            self.ensure_rd_view()
            self.estimate_rd()

    def ensure_rd_view(self):
        """The rate–distortion tab's view (built with the other pyqtgraph views)."""
        if self.rd_view is None:
            from .rd_view import RdView

            self.rd_view = RdView()
            self.rd_view.compute_btn.clicked.connect(self.compute_rd)
            self.rd_view.failed.connect(self.show_error)
            index = [self.tabs.tabText(i) for i in range(self.tabs.count())].index(RD_TAB)
            old = self.tabs.widget(index)
            current = self.tabs.currentIndex()
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, self.rd_view, RD_TAB)
            self.tabs.setCurrentIndex(current)
            old.deleteLater()
            if self.session.working is not None:
                self.rd_view.show_anchors(self.session.working)
        return self.rd_view

    def compute_rd(self) -> bool:
        """The rate–distortion tab's curves for the trained models (in the background)."""
        from pathlib import Path

        s = self.session
        view = self.ensure_rd_view()
        if s.working is None:
            self.show_error("Open an image and train the models first.")
            return False
        return view.start(s.working, coded_by_ladder(s.trainers), Path(s.name).stem or "image",
                          latent_plan(s.trainers, view.lambdas))

    def estimate_rd(self) -> bool:
        """Time the models' ladder, once per finished run, when its tab is shown."""
        trainers = self.session.trainers
        if self.rd_view is None or not trainers or trainers is self._rd_estimated_for \
                or self.tabs.tabText(self.tabs.currentIndex()) != RD_TAB:
            return False
        self._rd_estimated_for = trainers
        return self.rd_view.estimate(coded_by_ladder(trainers),
                                     latent_plan(trainers, self.rd_view.lambdas),
                                     self.session.working)

    def forget_rd(self, pixels=None) -> None:
        """A new image or working size: the tab's curves measured another picture (or size);
        stop any measurement and draw the codecs' curves of ``pixels``."""
        self._rd_estimated_for = None
        if self.rd_view is not None:
            if pixels is None:
                self.rd_view.stop()
                self.rd_view.clear()
            else:
                self.rd_view.show_anchors(pixels)

    def stop_background_work(self) -> None:
        """At shutdown: stop the export dialog's search and the RD measurements, and wait for
        their threads."""
        from shiboken6 import isValid

        dialog = getattr(self, "_export_dialog", None)
        if dialog is not None and isValid(dialog):  # closed dialogs delete themselves
            dialog.done(0)  # stops its background search
        if self.rd_view is not None:
            self.rd_view.wait()
