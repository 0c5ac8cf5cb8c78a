"""Run settings, the models to compare and the Start / Pause / Resume / Stop buttons. It holds
no state of its own: ``settings(base)`` reads the fields into a :class:`RunSettings`,
``show_settings`` writes them."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ..engine.presets import CPU, GPU
from .model_picker import ModelPicker
from .run_states import IDLE, PAUSED, RUNNING, STOPPING
from .session import BATCHES, LONG_SIDES, RunSettings

CPU_HINT = (f"On CPU the defaults are small on purpose ({CPU.long_side} px, width {CPU.width}, "
            f"lr {CPU.train.lr:g}, {CPU.train.warmup:g} of the steps on one pixel per 2×2 cell): "
            f"an image within seconds. The paper's setting ({GPU.long_side} px, width "
            f"{GPU.width}, {GPU.train.iters} steps, lr {GPU.train.lr:g}) needs a GPU.")
GPU_HINT = (f"GPU: the paper's setting is width {GPU.width}, {GPU.train.iters} full-batch "
            f"iterations at up to {GPU.long_side} px; lower the working size for a quicker look.")


class TrainPanel(QWidget):
    changed = Signal()  # any field edited by the user
    startClicked = Signal()
    pauseClicked = Signal()  # pause or resume, depending on the state
    stopClicked = Signal()
    defaultsClicked = Signal()

    def __init__(self, devices: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.device = QComboBox()
        for name in devices:
            self.device.addItem(name, name)
        self.iters = _spin(1, 1_000_000, 100)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 0.1)
        self.lr.setSingleStep(1e-4)
        self.width_ = _spin(4, 1024, 8)
        self.depth = _spin(1, 8, 1)
        self.seed = _spin(0, 2**31 - 1, 1)
        self.long_side = QComboBox()
        for side in LONG_SIDES:
            self.long_side.addItem("image size" if side == 0 else f"{side} px (longest side)", side)
        self.warmup = _spin(0, 90, 5)
        self.warmup.setSuffix(" % of the steps")
        self.warmup.setToolTip("Coarse warm-up: these first steps fit one random pixel of each "
                               "2×2 cell (about 4× cheaper each), then every step sees the "
                               "chosen pixels. 0 % is the paper's schedule. Full batch only.")
        self.batch = QComboBox()
        for n in BATCHES:
            self.batch.addItem("all pixels (full batch)" if n == 0 else f"{n:,} random pixels", n)
        self.scale_tiles = QCheckBox("Scale LoE tiles with the working size")
        self.scale_tiles.setToolTip("Keeps the paper's cell sizes in pixels (3×2 px for A=128 on "
                                    "768×512); unscaled, the finest cells alias on small images.")
        self.size_label = QLabel("—")
        self.size_label.setWordWrap(True)
        self.size_label.setObjectName("workingSize")
        self.hint = QLabel(CPU_HINT)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:#555; font-size:11px;")

        form = QFormLayout()
        form.addRow("Device", self.device)
        form.addRow("Iterations", self.iters)
        form.addRow("Learning rate", self.lr)
        form.addRow("Width", self.width_)
        form.addRow("Hidden layers", self.depth)
        form.addRow("Seed", self.seed)
        form.addRow("Working size", self.long_side)
        form.addRow("", self.size_label)
        form.addRow("Pixels per step", self.batch)
        form.addRow("Coarse warm-up", self.warmup)
        form.addRow(self.scale_tiles)
        box = QGroupBox("Training")
        self.settings_box = box
        inner = QVBoxLayout(box)
        inner.addLayout(form)
        defaults = QPushButton("Defaults for this device")
        defaults.clicked.connect(self.defaultsClicked)
        inner.addWidget(defaults)
        inner.addWidget(self.hint)

        self.start_btn = QPushButton("Start")
        self.pause_btn = QPushButton("Pause")
        self.stop_btn = QPushButton("Stop")
        self.start_btn.setToolTip("Train the chosen models side by side")
        self.start_btn.clicked.connect(self.startClicked)
        self.pause_btn.clicked.connect(self.pauseClicked)
        self.stop_btn.clicked.connect(self.stopClicked)
        buttons = QHBoxLayout()
        for b in (self.start_btn, self.pause_btn, self.stop_btn):
            buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.picker = ModelPicker()
        self.models_box = QGroupBox("Models side by side")
        QVBoxLayout(self.models_box).addWidget(self.picker)
        layout.addLayout(buttons)
        layout.addWidget(self.models_box)
        layout.addWidget(box)
        layout.addStretch(1)
        for w in (self.iters, self.width_, self.depth, self.seed, self.warmup):
            w.valueChanged.connect(self._emit_changed)
        self.lr.valueChanged.connect(self._emit_changed)
        for c in (self.device, self.long_side, self.batch):
            c.currentIndexChanged.connect(self._emit_changed)
        self.scale_tiles.toggled.connect(self._emit_changed)
        self.picker.changed.connect(self._emit_changed)
        self.set_state(IDLE)

    def _emit_changed(self, *_: object) -> None:
        if not self._loading:
            self.changed.emit()

    def show_settings(self, s: RunSettings) -> None:
        self._loading = True
        try:
            idx = self.device.findData(s.device)
            self.device.setCurrentIndex(max(idx, 0))
            self.iters.setValue(s.iters)
            self.lr.setValue(s.lr)
            self.width_.setValue(s.width)
            self.depth.setValue(s.depth)
            self.seed.setValue(s.seed)
            _select(self.long_side, s.long_side)
            _select(self.batch, s.batch_pixels)
            self.warmup.setValue(round(100 * s.warmup))
            self.scale_tiles.setChecked(s.scale_tiles)
            self.picker.set_models(s.models)
            self.hint.setText(CPU_HINT if self.device_name() == "cpu" else GPU_HINT)
        finally:
            self._loading = False

    def device_name(self) -> str:
        return str(self.device.currentData() or "cpu")

    def settings(self, base: RunSettings) -> RunSettings:
        return replace(base, device=self.device_name(), iters=self.iters.value(),
                       lr=float(self.lr.value()), width=self.width_.value(),
                       depth=self.depth.value(), seed=self.seed.value(),
                       long_side=int(self.long_side.currentData()),
                       batch_pixels=int(self.batch.currentData()),
                       warmup=self.warmup.value() / 100,
                       scale_tiles=self.scale_tiles.isChecked(), models=self.picker.models())

    def show_working_size(self, text: str) -> None:
        self.size_label.setText(text)

    def set_state(self, state: str) -> None:
        """Buttons follow the run; settings are locked while a run uses them."""
        self.settings_box.setEnabled(state == IDLE)
        self.models_box.setEnabled(state == IDLE)
        self.start_btn.setEnabled(state == IDLE)
        self.pause_btn.setEnabled(state in (RUNNING, PAUSED))
        self.pause_btn.setText("Resume" if state == PAUSED else "Pause")
        self.stop_btn.setEnabled(state in (RUNNING, PAUSED))
        if state == STOPPING:
            self.stop_btn.setText("Stopping…")
        else:
            self.stop_btn.setText("Stop")


def _spin(lo: int, hi: int, step: int) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    return s


def _select(combo: QComboBox, value: int) -> None:
    idx = combo.findData(value)
    if idx < 0:
        combo.addItem(str(value), value)
        idx = combo.count() - 1
    combo.setCurrentIndex(idx)
