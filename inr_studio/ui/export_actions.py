"""The window's Save and Open-.sinr actions (a mixin of :class:`MainWindow`).

Each action has a programmatic form (``save_pngs(folder)``, ``save_run(path)``, ...) that tests
call, and a ``*_dialog`` form that asks for a path first. Models are read only when no training
step can run at the same time (run ended, or paused and confirmed idle), and copied first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from ..errors import InrStudioError
from ..metrics import error_magnitude, shared_error_scale
from . import exports
from .run_file import SUFFIX as RUN_SUFFIX
from .palette import inferno

if TYPE_CHECKING:  # imported where used: sinr_view imports pyqtgraph, loaded after first paint
    from .export_dialog import ExportDialog, ExportTarget


class ExportActions:
    """Needs ``self.session``, ``self.controller``, ``self.show_error``, ``self.messages``."""

    def _stem(self) -> str:
        return Path(self.session.name).stem or "image"

    def readable_trainers(self) -> dict:
        """The networks that can be read now: the live run's when paused and idle, else the
        last run's (ended, or opened from a file)."""
        if self.controller.is_active() or not self.session.trainers:
            return self.controller.readable_trainers()
        return dict(self.session.trainers)

    def _trainers(self) -> dict:
        trainers = self.readable_trainers()
        if not trainers:
            if self.controller.is_active():
                self.show_error("Pause or stop the run before saving (the models are training).")
            else:
                self.show_error("Nothing to save yet: train the models first (Start).")
        return trainers

    def export_targets(self) -> dict[str, ExportTarget]:
        from .export_dialog import ExportTarget

        return {k: ExportTarget.from_trainer(k, t) for k, t in self._trainers().items()}

    # --- .sinr ---
    def export_sinr_dialog(self, kind: str | None = None,
                           modal: bool = True) -> ExportDialog | None:
        from .export_dialog import ExportDialog

        targets = self.export_targets()
        if not targets:
            return None
        dialog = ExportDialog(targets, self._stem(), kind or "hs", self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # not kept by the window
        self._export_dialog = dialog  # keep it referenced while open
        if modal:
            dialog.exec()
        else:
            dialog.show()
        return dialog

    def open_sinr_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open .sinr", "", "SINR files (*.sinr)")
        if name:
            self.open_sinr(name)

    def open_sinr(self, path: str, modal: bool = False) -> bool:
        try:
            from ..codec import read_sinr
            from .sinr_view import SinrViewer

            sinr = read_sinr(path)
            viewer = SinrViewer(sinr, Path(path), self)
        except (InrStudioError, OSError) as exc:
            self.show_error(f"{Path(path).name}: {exc}")
            return False
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.sinr_viewer = viewer
        viewer.exec() if modal else viewer.show()
        return True

    # --- PNGs, run, view ---
    def save_pngs(self, folder: str | Path) -> list[Path]:
        trainers = self._trainers()
        written: list[Path] = []
        try:
            recons = {k: t.reconstruct() for k, t in trainers.items()}
            ref = self.session.working
            scale = shared_error_scale(*(error_magnitude(r, ref) for r in recons.values()))
            for kind, rec in recons.items():
                written += exports.save_model_pngs(Path(folder), self._stem(), kind, rec, ref,
                                                   inferno(), scale)
        except (OSError, InrStudioError) as exc:
            self.show_error(f"Could not save the PNGs: {exc}")
            return written
        if written:
            self.messages.show_message(f"Saved {len(written)} PNGs to {folder}.", "info")
        return written

    def save_run(self, path: str | Path) -> Path | None:
        """``.csv`` or ``.json``: the curves and figures; anything else: the whole run as
        ``.inrrun``, which *File ▸ Open run…* opens again."""
        record = self.session.record
        if record is None:
            self.show_error("No run to save yet: press Start first.")
            return None
        if Path(path).suffix.lower() not in (".csv", ".json"):
            return self.save_run_file(path)
        try:
            out = exports.save_run(Path(path), record, self.session.image.source)
        except OSError as exc:
            self.show_error(f"Could not save the run: {exc}")
            return None
        self.messages.show_message(f"Saved the run to {out}.", "info")
        return out

    def save_view(self, path: str | Path) -> bool:
        """The Compare tab (panels, PSNR plot and table) as one PNG."""
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")
        ok = self.compare_tab.grab().save(str(path), "PNG")
        if not ok:
            self.show_error(f"Could not save {path}.")
        return ok

    def export_pngs_dialog(self) -> None:
        if not self.readable_trainers():
            self._trainers()
            return
        folder = QFileDialog.getExistingDirectory(self, "Folder for the PNGs")
        if folder:
            self.save_pngs(folder)

    def export_run_dialog(self) -> None:
        if self.session.record is None:
            self.show_error("No run to save yet: press Start first.")
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Save run", f"{self._stem()}{RUN_SUFFIX}",
            f"inr-studio run, opens again (*{RUN_SUFFIX});;curves and figures, JSON (*.json);;"
            "curves, CSV (*.csv)")
        if name:
            self.save_run(name)

    def export_view_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save view", f"{self._stem()}_view.png",
                                              "PNG images (*.png)")
        if name:
            self.save_view(name)
