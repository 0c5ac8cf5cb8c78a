"""Opening images in the window (a mixin of :class:`MainWindow`), off the GUI thread.

``open_image`` only starts a load in the :class:`ImageLoader`'s background lane and returns at
once; the picture shows when its first stage arrives, the maps when the second does (each
stage changes the session through :meth:`Session.apply`, as a script's loads do). A failure
keeps the current image and run. A file given at launch that cannot be read shows its message
in the message bar (which stays until dismissed) and the sample opens behind it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from ..imaging import SUPPORTED_SUFFIXES
from .run_file import SUFFIX as RUN_SUFFIX
from .samples import default_sample
from .session import ImageStage, LoadFailure, MapsStage

IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in SUPPORTED_SUFFIXES) + ");;All files (*)"

#: Tags of a load: what to do when it ends.
USER, LAUNCH, FALLBACK = "user", "launch", "fallback"


class LoadingActions:
    """Needs ``self.loader``, ``self.session``, ``self.controller``, ``self.messages``,
    ``self.store``, ``self.show_error``, ``self._refresh_image_views`` and the status widgets."""

    def open_initial(self, path: str | None) -> None:
        """The image given on the command line, else the first bundled sample. A ``.sinr``
        file opens its viewer over the sample."""
        if path and Path(path).suffix.lower() == ".sinr":
            self._open_sample()
            self.open_sinr(path)
        elif path:
            self.open_image(path, tag=LAUNCH)
        else:
            self._open_sample()

    def _open_sample(self) -> None:
        sample = default_sample()
        if sample is not None:
            self.open_image(str(sample.path), remember=False, tag=FALLBACK)
        else:
            self.show_error("No sample image found; open an image with File ▸ Open or drop one.")

    def open_image_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open image", "", IMAGE_FILTER)
        if name:
            self.open_image(name)

    def open_image(self, path: str, remember: bool = True, tag: str = USER) -> bool:
        """Start loading ``path`` (a newer call supersedes it). False if refused at once."""
        if Path(path).suffix.lower() == ".sinr":
            return self.open_sinr(path)
        if Path(path).suffix.lower() == RUN_SUFFIX:
            return self.open_run(path)
        self._load_remember = remember
        self._start_after_rework = False  # a new image is not started by an old click
        self.loader.open(path, self.session.settings, tag=tag)
        return True

    def wait_loaded(self, timeout_s: float = 30.0) -> bool:
        """Process events until no load is running (tests, benchmarks). True if it finished."""
        import time

        from PySide6.QtWidgets import QApplication

        end = time.monotonic() + timeout_s
        while self.loader.busy or self.loader.threads_alive():
            if time.monotonic() > end:
                return False
            QApplication.processEvents()
            time.sleep(0.002)
        QApplication.processEvents()
        return True

    # --- loader signals ---
    def _on_image_ready(self, stage: ImageStage) -> None:
        self.forget_rd(stage.working)  # the codecs' curves of the new picture, at once
        if stage.path is None:  # a new working size for the same image
            self.session.apply(stage)
            self._refresh_image_views()
            if self._start_after_rework:
                self._start_after_rework = False
                self.start_training()
            return
        self.controller.stop(wait=True)  # before the session forgets the run's models
        self.session.apply(stage)
        if stage.tag != FALLBACK:  # keep a launch error visible above the sample
            self.messages.clear()
        for note in stage.image.notes:
            self.messages.show_message(note, "warning")
        if self._load_remember and stage.tag != FALLBACK:
            self.store.add_recent_file(stage.path)
            self._rebuild_recent()
        if stage.tag != FALLBACK:
            self.store.set_last_image(stage.path)
        self.setWindowTitle(f"{self.session.name} — inr-studio")
        self._refresh_image_views(staged=True)

    def _on_maps_ready(self, stage: MapsStage) -> None:
        self.session.apply(stage)
        if self.maps_view is not None:
            self.maps_view.show_maps(stage.maps)

    def _on_load_failed(self, failure: LoadFailure) -> None:
        self._start_after_rework = False
        self.show_error(failure.message)
        if failure.tag == LAUNCH and self.session.image is None:
            self._open_sample()

    def _on_load_busy(self, busy: bool, text: str) -> None:
        self.load_progress.setVisible(busy)
        if busy and text:
            self.load_label.setText(text)
        self.load_label.setVisible(busy)
