"""The window: composes the widgets, owns the :class:`Session` and the :class:`RunController`,
and turns every failure into a message in the window (nothing here may raise into Qt)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..device import available_devices, describe, pick_device
from ..engine.side_by_side import RunRequest
from ..errors import InrStudioError
from ..imaging import SUPPORTED_SUFFIXES, load_image
from .compare_view import CompareView
from .export_actions import ExportActions
from .image_drop import DropFilter
from .maps_view import MapsView
from .message_bar import MessageBar
from .psnr_plot import PsnrPlot
from .rd_view import RdView
from .run_controller import IDLE, PAUSED, RUNNING, RunController
from .samples import default_sample, samples
from .session import RunRecord, RunSettings, Session, defaults_for
from .settings import SettingsStore
from .stats_table import StatsTable
from .train_panel import TrainPanel
from .worker import default_cpu_threads, warm_up

IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in SUPPORTED_SUFFIXES) + ");;All files (*)"


class MainWindow(ExportActions, QMainWindow):
    def __init__(self, store: SettingsStore | None = None,
                 devices: list[str] | None = None) -> None:
        super().__init__()
        warm_up()
        self.setWindowTitle("inr-studio")
        self.store = store or SettingsStore()
        self.devices = devices or available_devices()
        base = defaults_for(self.devices[0])
        settings = RunSettings.from_dict(self.store.run_settings(), base=replace(
            base, device=self.devices[0]))
        if settings.device not in self.devices:
            settings = replace(settings, device=self.devices[0])
        self.session = Session(settings.usable())
        self.controller = RunController(self)
        self.cpu_threads: int | None = default_cpu_threads()

        self.messages = MessageBar()
        self.panel = TrainPanel(self.devices)
        self.maps_view = MapsView()
        self.compare = CompareView()
        self.plot = PsnrPlot()
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
        self.maps_view.segmentationChanged.connect(self._segmentation_changed)
        self.controller.progressed.connect(self._on_progress)
        self.controller.previewed.connect(self._on_preview)
        self.controller.stateChanged.connect(self._on_state)
        self.controller.failed.connect(self.show_error)
        self.controller.finished.connect(self._on_finished)
        self._show_settings()
        self._restore_geometry()

    # --- layout ---
    def _build_layout(self) -> None:
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.panel.sizeHint().width() + 24)
        compare_tab = QSplitter(Qt.Orientation.Vertical)
        compare_tab.addWidget(self.compare)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.plot)
        table_box = QWidget()
        tv = QVBoxLayout(table_box)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addWidget(self.table, 1)
        tv.addLayout(self._export_buttons())
        lower.addWidget(table_box)
        lower.setSizes([580, 620])
        compare_tab.addWidget(lower)
        compare_tab.setSizes([450, 380])
        self.compare_tab = compare_tab
        self.tabs.addTab(compare_tab, "Compare")
        self.tabs.addTab(self.maps_view, "Segmentation and expert maps")
        self.rd_view = RdView()
        self.rd_view.compute_btn.clicked.connect(self.compute_rd)
        self.rd_view.failed.connect(self.show_error)
        self.tabs.addTab(self.rd_view, "Rate–distortion")
        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        split.setSizes([320, 1180])
        central = QWidget()
        v = QVBoxLayout(central)
        v.setContentsMargins(4, 4, 4, 4)
        v.addWidget(self.messages)
        v.addWidget(split, 1)
        self.setCentralWidget(central)

    def _export_buttons(self) -> QGridLayout:
        grid = QGridLayout()
        for i, (text, slot) in enumerate((("Save .sinr…", self.export_sinr_dialog),
                                          ("Save PNGs…", self.export_pngs_dialog),
                                          ("Save run (CSV/JSON)…", self.export_run_dialog),
                                          ("Save view as PNG…", self.export_view_dialog))):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, slot=slot: slot())
            grid.addWidget(b, i // 2, i % 2)
        return grid

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
        file_menu.addSeparator()
        self._add(file_menu, "Save .sinr…", self.export_sinr_dialog, "Ctrl+E")
        self._add(file_menu, "Save reconstructions and error maps (PNG)…", self.export_pngs_dialog)
        self._add(file_menu, "Save run (CSV/JSON)…", self.export_run_dialog)
        self._add(file_menu, "Save view as PNG…", self.export_view_dialog)
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        run_menu = self.menuBar().addMenu("&Run")
        self._add(run_menu, "Start", self.start_training, "Ctrl+Return")
        self._add(run_menu, "Pause / resume", self.toggle_pause, "Ctrl+P")
        self._add(run_menu, "Stop", self.stop_training, "Ctrl+.")
        self._add(run_menu, "Restart with these settings", self.restart_training, "Ctrl+R")
        view_menu = self.menuBar().addMenu("&View")
        self.original_action = self._add(view_menu, "Show original", None, "O", checkable=True)
        self.original_action.toggled.connect(self.compare.set_show_original)
        self.error_action = self._add(view_menu, "Error maps", None, "E", checkable=True)
        self.error_action.toggled.connect(lambda on: self.compare.toggle_mode("error", on))
        self.edges_action = self._add(view_menu, "Edges", None, "G", checkable=True)
        self.edges_action.toggled.connect(lambda on: self.compare.toggle_mode("edges", on))
        self.compare.modeChanged.connect(self._mode_changed)

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

    def _build_status(self) -> None:
        self.device_label = QLabel()
        self.image_label = QLabel()
        self.state_label = QLabel("idle")
        for w in (self.image_label, self.device_label, self.state_label):
            self.statusBar().addPermanentWidget(w)
        self._update_device_label()

    def _update_device_label(self) -> None:
        try:
            device = pick_device(self.session.settings.device)
            text = describe(device)
            if device.type == "cpu" and self.cpu_threads:
                text += f"; training on {self.cpu_threads}, one left for the window"
        except InrStudioError as exc:
            text = str(exc)
        self.device_label.setText(f"Device: {text}")

    # --- images ---
    def open_initial(self, path: str | None) -> None:
        """The image given on the command line, else the first bundled sample."""
        if path:
            if self.open_image(path):
                return
        sample = default_sample()
        if sample is not None:
            self.open_image(str(sample.path), remember=False)
        elif not path:
            self.show_error("No sample image found; open an image with File ▸ Open or drop one.")

    def open_image_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open image", "", IMAGE_FILTER)
        if name:
            self.open_image(name)

    def open_image(self, path: str, remember: bool = True) -> bool:
        """Load ``path``; on failure show why and keep the current image and run."""
        try:
            if Path(path).suffix.lower() == ".sinr":
                return self.open_sinr(path)
            image = load_image(path)
        except InrStudioError as exc:
            self.show_error(str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - a reader crash must not end the window
            self.show_error(f"{Path(path).name} could not be opened: {type(exc).__name__}: {exc}")
            return False
        self.controller.stop(wait=True)
        self.session.set_image(image)
        self.rd_view.stop()
        self.rd_view.clear()
        self.messages.clear()
        for note in image.notes:
            self.messages.show_message(note, "warning")
        if remember:
            self.store.add_recent_file(path)
            self._rebuild_recent()
        self.store.set_last_image(path)
        self.setWindowTitle(f"{self.session.name} — inr-studio")
        self._refresh_image_views()
        return True

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        files = self.store.recent_files()
        for p in files:
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self.open_image(p))
        self.recent_menu.setEnabled(bool(files))

    def _refresh_image_views(self) -> None:
        s = self.session
        if s.image is None or s.working is None:
            return
        h, w = s.working.shape[:2]
        for view in (self.compare, self.plot, self.table):
            view.set_models(s.settings.models)
        self.compare.set_original(s.working)
        self.maps_view.show_maps(s.maps)
        self.plot.reset(self.session.settings.iters)
        try:
            params = {k: c.parameter_count() for k, c in s.model_configs().items()}
        except InrStudioError:
            params = None
        self.table.reset(params)
        full = f"{s.image.width}×{s.image.height}"
        if (h, w) == (s.image.height, s.image.width):
            text = f"Training at the image size, {w}×{h}"
        else:
            text = f"Training at {w}×{h} (image {full})"
        self.panel.show_working_size(text)
        self.image_label.setText(f"{s.name} · {full} · working {w}×{h}")

    # --- settings ---
    def _show_settings(self) -> None:
        s = self.session.settings
        self.panel.show_settings(s)
        self.maps_view.show_controls(s.seg_method, s.seg_classes, s.effective_seg_layer, s.layers)

    def _apply_settings(self, settings: RunSettings) -> None:
        if self.session.set_settings(settings):
            self._refresh_image_views()
        self.store.set_run_settings(settings.to_dict())
        self._update_device_label()

    def _panel_changed(self) -> None:
        old = self.session.settings
        new = self.panel.settings(old)
        if new.depth != old.depth:
            new = replace(new, seg_layer=0 if old.seg_layer in (0, old.layers) else
                          min(old.seg_layer, new.layers))
            self.maps_view.show_controls(new.seg_method, new.seg_classes, new.effective_seg_layer,
                                         new.layers)
        if new.device != old.device:
            self.panel.show_settings(new)  # the hint depends on the device
        self._apply_settings(new)

    def _device_defaults(self) -> None:
        device = self.panel.device_name()
        base = replace(defaults_for(pick_device(device).type), device=device,
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

    # --- training ---
    def start_training(self) -> None:
        s = self.session
        if s.working is None:
            self.show_error("Open an image first (File ▸ Open, a sample, or drop one here).")
            return
        if self.controller.is_active():
            return
        try:
            specs = s.model_specs()
            train = s.settings.train_config()
            device = pick_device(train.device)
        except InrStudioError as exc:
            self.show_error(str(exc))
            return
        h, w = s.working.shape[:2]
        s.record = RunRecord(settings=s.settings, device=describe(device), height=h, width=w)
        s.trainers = {}
        self.plot.reset(max(sp.total_steps(train.iters) for sp in specs))  # phases add steps
        self.table.reset({sp.key: sp.config.parameter_count() for sp in specs})
        pixels = s.working.copy()
        self.messages.clear()
        self.controller.start(lambda gen: RunRequest(gen, pixels, specs, train,
                                                     cpu_threads=self.cpu_threads))

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
                    parameters=st.params)

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
        self.maps_view.set_editable(state == IDLE)
        self.state_label.setText(state)

    def _on_finished(self, stopped: bool) -> None:
        self.session.trainers = self.controller.readable_trainers()
        if not stopped:
            self.messages.show_message("Training finished. Save a model with “Save .sinr…”.",
                                       "info")

    def compute_rd(self) -> bool:
        """The rate–distortion tab's curves for the trained models (in the background)."""
        s = self.session
        if s.working is None:
            self.show_error("Open an image and train the models first.")
            return False
        return self.rd_view.start(s.working, dict(s.trainers), Path(s.name).stem or "image")

    # --- messages, lifetime ---
    def show_error(self, text: str) -> None:
        self.messages.show_message(text, "error")
        self.statusBar().showMessage(text, 8000)

    def _restore_geometry(self) -> None:
        geometry, state = self.store.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1500, 900)
        if state is not None:
            self.restoreState(state)

    def shutdown(self) -> None:
        """Stop every thread and save the window's state (idempotent)."""
        self.controller.shutdown()
        self.rd_view.wait()
        self.store.set_geometry(self.saveGeometry(), self.saveState())
        self.store.set_run_settings(self.session.settings.to_dict())
        self.store.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
