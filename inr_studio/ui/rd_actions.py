"""The window's rate–distortion tab and its background work (a mixin of :class:`MainWindow`):
the tab is built on first use, so pyqtgraph still loads in the background at start-up."""

from __future__ import annotations

RD_TAB = "Rate–distortion"


class RdActions:
    rd_view = None

    def _tab_changed(self, index: int) -> None:
        if self.tabs.tabText(index) == RD_TAB:
            self.ensure_rd_view()

    def ensure_rd_view(self):
        """The rate–distortion tab's view, built on first use."""
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
        return self.rd_view

    def compute_rd(self) -> bool:
        """The rate–distortion tab's curves for the trained models (in the background)."""
        from pathlib import Path

        s = self.session
        view = self.ensure_rd_view()
        if s.working is None:
            self.show_error("Open an image and train the models first.")
            return False
        return view.start(s.working, dict(s.trainers), Path(s.name).stem or "image")

    def forget_rd(self) -> None:
        """A new image or working size: the tab's curves measured another picture (or size);
        stop any measurement and clear them."""
        if self.rd_view is not None:
            self.rd_view.stop()
            self.rd_view.clear()
            self.rd_view.status.setText("New picture: train the models, then compute the "
                                        "curves again.")

    def stop_background_work(self) -> None:
        """At shutdown: stop the export dialog's search and the RD measurement, and wait for
        the measurement's thread."""
        dialog = getattr(self, "_export_dialog", None)
        if dialog is not None:
            dialog.done(0)  # stops its background search
        if self.rd_view is not None:
            self.rd_view.wait()
