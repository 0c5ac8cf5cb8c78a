"""The window: composes the widgets, owns the :class:`Session` and the :class:`RunController`,
and turns every failure into a message in the window (nothing here may raise into Qt).

Nothing here imports torch: the window paints first, then :class:`EngineLoader` loads the engine
in a thread ("preparing the engine…", Start and Save .sinr disabled until then), and images load
in another (``window_loading``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QTabWidget

from ..errors import InrStudioError
from .background import wait_all
from .engine_loader import EngineLoader, PendingController
from .export_actions import ExportActions
from .image_drop import DropFilter
from .image_loader import ImageLoader
from .message_bar import Action, MessageBar
from .rd_actions import RdActions
from .run_actions import RunActions
from .samples import samples
from .session import LoadRequest, RunSettings, Session, defaults_for
from .settings import SettingsStore
from .stats_table import StatsTable
from .status_line import short_status
from .train_panel import TrainPanel
from .training_actions import TrainingActions, default_cpu_threads
from .window_layout import LayoutActions
from .window_loading import IMAGE_FILTER, LoadingActions  # noqa: F401 - IMAGE_FILTER re-exported
from .window_startup import PREPARING, StartupActions  # noqa: F401 - PREPARING


class MainWindow(LayoutActions, StartupActions, LoadingActions, TrainingActions, ExportActions,
                 RunActions, RdActions, QMainWindow):
    """``deferred_views``: the pyqtgraph views (Compare panels, maps, PSNR plot) are built once
    pyqtgraph has been imported in the loader thread (the app's quick first paint); tests and
    benchmarks build them at once."""

    def __init__(self, store: SettingsStore | None = None, devices: list[str] | None = None,
                 deferred_views: bool = False) -> None:
        super().__init__()
        self.setWindowTitle("inr-studio")
        self.store = store or SettingsStore()
        #: The devices are known once torch has loaded; until then the CPU (or what was given).
        self._fixed_devices = devices
        self.devices = list(devices or ["cpu"])
        self.session = Session(self._initial_settings(self.devices))
        self.controller = PendingController(self)
        self.engine_ready = False
        self.engine_error: str | None = None
        self.cpu_threads: int | None = default_cpu_threads()
        self.loader = ImageLoader(self)
        self._load_remember = True

        self.messages = MessageBar()
        self.panel = TrainPanel(self.devices)
        self.maps_view = self.compare = self.plot = None  # see build_views
        self.table = StatsTable()
        self.tabs = QTabWidget()
        self._build_layout()
        self._build_menus()
        self._build_status()

        self.drops = DropFilter(self)
        self.setAcceptDrops(True)
        self.installEventFilter(self.drops)
        self.drops.fileDropped.connect(self.open_image)
        self.drops.dropRejected.connect(self.show_error)

        self.panel.changed.connect(self._panel_changed)
        self.panel.defaultsClicked.connect(self._device_defaults)
        self.panel.startClicked.connect(self.start_training)
        self.panel.pauseClicked.connect(self.toggle_pause)
        self.panel.stopClicked.connect(self.stop_training)
        self.loader.imageReady.connect(self._on_image_ready)
        self.loader.mapsReady.connect(self._on_maps_ready)
        self.loader.failed.connect(self._on_load_failed)
        self.loader.busyChanged.connect(self._on_load_busy)
        self._show_settings()
        self._restore_geometry()
        self._set_engine_state(False)
        self.engine_loader = EngineLoader(self)
        self.engine_loader.viewsImportable.connect(self.build_views)
        self.engine_loader.ready.connect(self._on_engine_ready)
        self.engine_loader.failed.connect(self._on_engine_failed)
        if not deferred_views:
            self.build_views()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._add(file_menu, "&Open image…", self.open_image_dialog, QKeySequence.StandardKey.Open)
        self.samples_menu = file_menu.addMenu("Open &sample")
        for sample in samples():
            act = self.samples_menu.addAction(sample.name)
            act.triggered.connect(lambda _=False, p=str(sample.path): self.open_image(p))
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._rebuild_recent()
        self._add(file_menu, "Open .&sinr file…", self.open_sinr_dialog)
        self._add(file_menu, "Open r&un…", self.open_run_dialog, "Ctrl+Shift+O")
        file_menu.addSeparator()
        self._engine_widgets.append(
            self._add(file_menu, "Save .sinr…", self.export_sinr_dialog, "Ctrl+E"))
        self._add(file_menu, "Save reconstructions and error maps (PNG)…", self.export_pngs_dialog)
        self._add(file_menu, "Save run…", self.export_run_dialog, QKeySequence.StandardKey.Save)
        self._add(file_menu, "Save view as PNG…", self.export_view_dialog)
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        run_menu = self.menuBar().addMenu("&Run")
        self._engine_widgets.append(
            self._add(run_menu, "Start", self.start_training, "Ctrl+Return"))
        self._add(run_menu, "Pause / resume", self.toggle_pause, "Ctrl+P")
        self._add(run_menu, "Stop", self.stop_training, "Ctrl+.")
        self._add(run_menu, "Restart with these settings", self.restart_training, "Ctrl+R")
        view_menu = self.menuBar().addMenu("&View")
        self.original_action = self._add(view_menu, "Show original", None, "O", checkable=True)
        self.error_action = self._add(view_menu, "Error maps", None, "E", checkable=True)
        self.edges_action = self._add(view_menu, "Edges", None, "G", checkable=True)
        view_menu.addSeparator()
        self._add(view_menu, "Fit the panels to the window", self.fit_panels, "Ctrl+0")
        help_menu = self.menuBar().addMenu("&Help")
        self._add(help_menu, "&Keyboard shortcuts", self.show_shortcuts,
                  QKeySequence.StandardKey.HelpContents)
        self._add(help_menu, "&About inr-studio", self.show_about)

    def show_shortcuts(self, modal: bool = True):
        from .help_dialogs import shortcuts_dialog

        return self._show_dialog(shortcuts_dialog(self, self.menuBar()), modal)

    def show_about(self, modal: bool = True):
        from .help_dialogs import about_dialog

        device = None
        if self.engine_ready:
            from ..device import describe, pick_device

            try:
                device = describe(pick_device(self.session.settings.device))
            except InrStudioError as exc:
                device = str(exc)
        return self._show_dialog(about_dialog(self, device), modal)

    def _show_dialog(self, dialog, modal: bool):
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._help_dialog = dialog  # referenced while open
        dialog.exec() if modal else dialog.show()
        return dialog

    def _mode_changed(self, mode: str) -> None:
        self.error_action.setChecked(mode == "error")
        self.edges_action.setChecked(mode == "edges")

    def _add(self, menu, text, slot, shortcut=None, checkable=False) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setCheckable(checkable)
        if slot is not None:
            act.triggered.connect(lambda _=False: slot())
        menu.addAction(act)
        return act

    # --- images (opening: window_loading.LoadingActions) ---
    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        files = self.store.recent_files()
        for p in files:
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self.open_image(p))
        self.recent_menu.setEnabled(bool(files))

    def _refresh_image_views(self, staged: bool = False) -> None:
        """Every view for the session's image. ``staged`` (a new image arrived): the picture in
        this event-loop turn, the plot, table and maps in the next, so no turn grows long."""
        s = self.session
        if s.image is None or s.working is None:
            return
        h, w = s.working.shape[:2]
        if self.compare is not None:
            self.compare.set_models(s.settings.models)
            self.compare.set_original(s.working)
        full = f"{s.image.width}×{s.image.height}"
        if (h, w) == (s.image.height, s.image.width):
            text = f"Training at the image size, {w}×{h}"
        else:
            text = f"Training at {w}×{h} (image {full})"
        self.panel.show_working_size(text)
        self.image_label.setText(f"{s.name} · {full} · working {w}×{h}")
        if staged:
            QTimer.singleShot(0, self._refresh_run_views)
        else:
            self._refresh_run_views()

    def _refresh_run_views(self) -> None:
        s = self.session
        if s.working is None:
            return
        if self.compare is not None:
            for view in (self.plot, self.table):
                view.set_models(s.settings.models)
            self.maps_view.show_maps(s.maps)
        try:
            specs = s.model_specs()
        except InrStudioError:
            specs = ()
        self.reset_run_views(specs, s.settings.train_config())

    def reset_run_views(self, specs, train) -> None:
        """Empty curves and table for a run of ``specs`` trained with ``train`` on the working
        image: its length, each model's parameters, MACs per pixel and operations per step."""
        from .curves import operations_by_model

        h, w = self.session.working.shape[:2]
        if self.plot is not None:
            self.plot.reset(max((sp.total_steps(train.iters) for sp in specs), default=train.iters),
                            operations_by_model(specs, train, h, w))
        self.table.reset({sp.key: sp.config.parameter_count() for sp in specs},
                         {sp.key: sp.macs_per_pixel() for sp in specs})
        if self.maps_view is not None:
            self.maps_view.show_latent({})  # the grids of the run to come arrive with its frames

    # --- settings ---
    def _show_settings(self) -> None:
        s = self.session.settings
        self.panel.show_settings(s)
        if self.maps_view is not None:
            self.maps_view.show_controls(s.seg_method, s.seg_classes, s.effective_seg_layer,
                                         s.layers)

    def _apply_settings(self, settings: RunSettings) -> None:
        """New settings, through the session (as a script applies them); what they make stale
        is made again in the loader's background lane."""
        self.session.set_settings(settings, run=self._rework)
        self.store.set_run_settings(settings.to_dict())
        self._update_device_label()

    def _rework(self, request: LoadRequest) -> None:
        """What new settings made stale, made off the GUI thread."""
        self.loader.start(request)
        if request.working is not None:  # new maps only: the picture stays, the models change
            self._refresh_image_views()

    def _panel_changed(self) -> None:
        old = self.session.settings
        try:
            new = self.panel.settings(old)
        except InrStudioError as exc:  # a value the core refuses: its sentence, the old values
            self.show_error(str(exc))
            self._show_settings()
            return
        if new.depth != old.depth:
            new = replace(new, seg_layer=0 if old.seg_layer in (0, old.layers) else
                          min(old.seg_layer, new.layers))
            if self.maps_view is not None:
                self.maps_view.show_controls(new.seg_method, new.seg_classes,
                                             new.effective_seg_layer, new.layers)
        if new.device != old.device:
            self.panel.show_settings(new)  # the hint depends on the device
        self._apply_settings(new)

    def _device_defaults(self) -> None:
        device = self.panel.device_name()
        kind = "cpu" if device == "cpu" else device.split(":")[0]
        if device == "auto" and self.engine_ready:
            from ..device import pick_device

            kind = pick_device(device).type
        base = replace(defaults_for(kind), device=device,
                       models=self.session.settings.models)  # the choice of models stays
        self._apply_settings(base)
        self._show_settings()

    def _segmentation_changed(self, method: str, classes: int, layer: int) -> None:
        s = self.session.settings
        layer_value = 0 if layer == s.layers else layer
        try:
            new = replace(s, seg_method=method, seg_classes=classes, seg_layer=layer_value).usable()
        except InrStudioError as exc:
            self.show_error(str(exc))
            return
        self._apply_settings(new)

    # --- messages, lifetime ---
    def show_error(self, text: str, actions: Sequence[Action] = ()) -> None:
        """In the message bar (stays until closed), with any one-click ways out; the status
        bar gets a short echo."""
        self.messages.show_message(text, "error", actions)
        self.statusBar().showMessage(short_status(text), 8000)

    def shutdown(self) -> None:
        """Stop every thread and save the window's state (idempotent)."""
        self.stop_background_work()
        self.loader.shutdown()
        self.engine_loader.wait()
        self.controller.shutdown()
        self.shutdown_runs()
        wait_all(60_000)  # and any job a closed dialog left to finish
        self.store.set_geometry(self.saveGeometry(), self.saveState())
        self.store.set_run_settings(self.session.settings.to_dict())
        self.store.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.shutdown()
        super().closeEvent(event)
