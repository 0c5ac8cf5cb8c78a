"""How the window starts (a mixin of :class:`MainWindow`): it paints first, then builds its
pyqtgraph views once the loader thread has imported pyqtgraph, then swaps in the real run
controller once torch is loaded; meanwhile "preparing the engine…" shows and only Start and
Save .sinr are disabled. Also the status bar, whose labels elide on the right.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar

from ..errors import InrStudioError
from .run_states import IDLE
from .session import RunSettings, defaults_for
from .status_line import ElidedLabel

PREPARING = "preparing the engine…"


class StartupActions:
    """Needs the widgets and state :class:`MainWindow` creates in ``__init__``."""

    def build_views(self) -> None:
        """Create the pyqtgraph views in place of their placeholders (once)."""
        if self.compare is not None:
            return
        from .compare_view import CompareView
        from .maps_view import MapsView
        from .psnr_plot import PsnrPlot

        self.compare, self.maps_view, self.plot = CompareView(), MapsView(), PsnrPlot()
        self._place_views()
        self.ensure_rd_view()
        self.original_action.toggled.connect(self.compare.set_show_original)
        self.error_action.toggled.connect(lambda on: self.compare.toggle_mode("error", on))
        self.edges_action.toggled.connect(lambda on: self.compare.toggle_mode("edges", on))
        self.compare.modeChanged.connect(self._mode_changed)
        self.maps_view.segmentationChanged.connect(self._segmentation_changed)
        opacity = self.maps_view.opacity
        opacity.setValue(self.store.view_value("maps_opacity", opacity.value(), 0, 100))
        opacity.valueChanged.connect(lambda v: self.store.set_view_value("maps_opacity", v))
        s = self.session.settings
        self.maps_view.show_controls(s.seg_method, s.seg_classes, s.effective_seg_layer, s.layers)
        self.maps_view.set_editable(self.controller.state == IDLE)
        self._refresh_image_views()
        if self.session.maps is not None:
            self.maps_view.show_maps(self.session.maps)

    # --- the engine (torch), loaded after the first paint ---
    def _initial_settings(self, devices: list[str]) -> RunSettings:
        base = defaults_for(devices[0])
        settings = RunSettings.from_dict(self.store.run_settings(), base=replace(
            base, device=devices[0]))
        if settings.device not in devices:
            settings = replace(settings, device=devices[0])
        return settings.usable()

    def start_engine(self) -> None:
        """Load torch and the worker in a thread (call once the window has painted)."""
        if not self.engine_ready and not self.engine_loader.running:
            self.engine_loader.start()

    def _on_engine_ready(self, devices: list[str]) -> None:
        from .run_controller import RunController

        if self._fixed_devices is None and devices != self.devices:
            self.devices = list(devices)
            self.panel.device.blockSignals(True)
            self.panel.device.clear()
            for name in devices:
                self.panel.device.addItem(name, name)
            self.panel.device.blockSignals(False)
            self._apply_settings(self._initial_settings(self.devices))
            self._show_settings()
        pending = self.controller
        self.controller = RunController(self)
        self.controller.progressed.connect(self._on_progress)
        self.controller.previewed.connect(self._on_preview)
        self.controller.stateChanged.connect(self._on_state)
        self.controller.failed.connect(self.show_error)
        self.controller.finished.connect(self._on_finished)
        self.controller.finished.connect(lambda _stopped: self.estimate_rd())  # after the above
        pending.deleteLater()
        self.engine_ready = True
        self._set_engine_state(True)

    def _on_engine_failed(self, message: str) -> None:
        self.engine_error = message
        self.show_error(message)
        self.device_label.setText("Device: the training engine is unavailable")

    def _set_engine_state(self, ready: bool) -> None:
        """Before the engine is loaded only Start and Save .sinr are off; all else works."""
        self.panel.start_btn.setEnabled(ready and self.controller.state == IDLE)
        self.panel.start_btn.setText("Start" if ready else "Preparing…")
        self.panel.start_btn.setToolTip(
            "Train SIREN, LoE FtC, LoE QT and HS-LoE side by side" if ready else
            "The training engine (PyTorch) is loading; Start works in a few seconds.")
        for w in self._engine_widgets:
            w.setEnabled(ready)
        self.state_label.setText(self.controller.state if ready else PREPARING)
        self._update_device_label()

    def _build_status(self) -> None:
        """Labels elide on the right: the status bar is never cut at its start."""
        self.load_label = ElidedLabel()
        self.load_progress = QProgressBar()
        self.load_progress.setRange(0, 0)  # busy: a load has no meaningful percentage
        self.load_progress.setMaximumWidth(120)
        self.load_progress.setMaximumHeight(14)
        self.load_progress.setTextVisible(False)
        self.image_label = ElidedLabel()
        self.device_label = ElidedLabel()
        self.state_label = QLabel("idle")
        bar = self.statusBar()
        # All permanent, without stretch: the left keeps room for the short message echo,
        # and a load's progress never draws over it.
        for w in (self.load_progress, self.load_label, self.image_label, self.device_label,
                  self.state_label):
            bar.addPermanentWidget(w)
        self.load_progress.hide()
        self.load_label.hide()

    def _update_device_label(self) -> None:
        if not self.engine_ready:
            self.device_label.setText(f"Device: {PREPARING}")
            return
        from ..device import describe, pick_device

        try:
            device = pick_device(self.session.settings.device)
            # on CPU, the threads a run will train on (torch's own count is set when it starts)
            text = (f"cpu ({self.cpu_threads} thread{'s' * (self.cpu_threads > 1)})"
                    if device.type == "cpu" and self.cpu_threads else describe(device))
        except InrStudioError as exc:
            text = str(exc)
        self.device_label.setText(f"Device: {text}")


def placeholder(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("color:#777;")
    return label
