"""Saving one model as a ``.sinr`` file: options, then the resulting size, bpp and the PSNR after
decoding, all shown before anything is written.

Encoding runs in a background job (:mod:`inr_studio.ui.background`), on a private copy of the
network: the default search and "Compute size" alike, so a large network (SINR on 3×256 takes
~11 s) never freezes the window; a newer request or closing the dialog drops an older one.
``compute()`` is the same encode, synchronous, for scripts and tests. Errors (a bad option, a
failed write) appear in the dialog; nothing is written unless encoding succeeded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDialog, QDoubleSpinBox,
                               QFileDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from ..errors import InrStudioError
from ..metrics import psnr as psnr_of
from ..models import registry
from ..models.quantiser import MAX_BITS
from .background import Job, Lane
from .latent_export import LATENT_NOTE, encode_latent_target, is_latent_target

#: The bit depths the dialog offers, up to the finest quantiser; it opens on the codec options'
#: default.
BITS = tuple(range(8, MAX_BITS + 1, 2))
DEFAULT_QAT_STEPS = 0  # the dialog's choice: no fine-tuning unless asked


@dataclass(frozen=True)
class ExportTarget:
    """A network to save, copied off the trainer so training cannot change it meanwhile."""

    kind: str
    model: object  # CoordinateNet on the CPU
    class_map: np.ndarray | None
    reference: np.ndarray  # the working image, H×W×3 [0, 1]
    source: object = None  # what the file stores for the map (a thumbnail map); None: class_map
    problem: object = None  # the FitProblem and TrainConfig it was trained with (QAT needs them)
    train: object = None
    weights: str = ""  # which of the run's weights these are, in words (the best step's, …)

    @staticmethod
    def from_trainer(kind: str, trainer) -> "ExportTarget":
        from ..codec import class_map_source

        model = copy.deepcopy(trainer.model).cpu().eval()
        problem = trainer.problem
        return ExportTarget(kind, model, problem.class_map, problem.pixels,
                            class_map_source(problem.segmentation), problem, trainer.config,
                            trainer.weights_note())

    @property
    def height(self) -> int:
        return int(self.reference.shape[0])

    @property
    def width(self) -> int:
        return int(self.reference.shape[1])


@dataclass(frozen=True)
class Estimate:
    data: bytes
    bpp: float
    psnr_decoded: float
    psnr_trained: float
    sparse_tensors: int  # weight tensors stored as a sparse code (the rest dense)
    weight_tensors: int
    #: What the file holds, in words, where the sparse-code count does not say it.
    detail: str = ""

    def summary(self) -> str:
        what = self.detail or (f"{self.sparse_tensors} of {self.weight_tensors} weight tensors "
                               "sparse-coded")
        return (f"<b>{len(self.data):,} bytes · {self.bpp:.3f} bpp</b> · PSNR after decoding "
                f"{self.psnr_decoded:.2f} dB (as trained: {self.psnr_trained:.2f} dB) · {what}")


def encode_target(target: ExportTarget, options) -> Estimate:
    """Encode, decode again and measure (:func:`inr_studio.codec.roundtrip`): the figures the
    dialog shows, beside the PSNR of the network as trained."""
    from ..codec import roundtrip
    from ..render import TrainedNetwork

    if is_latent_target(target):
        return latent_estimate(target)
    network = TrainedNetwork(target.model, target.height, target.width, target.class_map)
    rt = roundtrip(network, target.reference, options, class_map=target.source)
    trained = network.render()
    return Estimate(rt.data, rt.bpp, rt.psnr, psnr_of(trained, target.reference),
                    rt.report.sparse_tensors, rt.report.weight_tensors)


def latent_estimate(target: ExportTarget) -> Estimate:
    """A latent-grid network's one file (:mod:`.latent_export`): no options to choose."""
    f = encode_latent_target(target)
    return Estimate(f.data, f.bpp, f.psnr_decoded, f.psnr_trained, 0, 0, detail=f.detail)


def search_default(target: ExportTarget, qat_steps: int = 0,
                   should_stop=lambda: False) -> Estimate:
    """The default file (:mod:`inr_studio.studies.export_default`): the smallest within its
    ``TOLERANCE_DB`` of the trained network, after ``qat_steps`` of QAT if asked. Runs in a
    worker thread; the network is the target's private copy."""
    from ..render import TrainedNetwork
    from ..studies.export_default import qat_smallest_within, smallest_within

    if is_latent_target(target):  # one file: its writer searches its own steps
        return latent_estimate(target)
    network = TrainedNetwork(target.model, target.height, target.width, target.class_map)
    if qat_steps > 0 and target.problem is not None:
        choice = qat_smallest_within(network, target.reference, target.problem, target.train,
                                     qat_steps, class_map=target.source, should_stop=should_stop)
    else:
        choice = smallest_within(network, target.reference, class_map=target.source,
                                 should_stop=should_stop)
    rt = choice.trip
    return Estimate(rt.data, rt.bpp, rt.psnr, choice.psnr_trained, rt.report.sparse_tensors,
                    rt.report.weight_tensors)


class ExportDialog(QDialog):
    def __init__(self, targets: dict[str, ExportTarget], stem: str, kind: str | None = None,
                 parent: QWidget | None = None) -> None:
        from ..codec import CodecOptions
        from ..studies.export_default import TOLERANCE_DB

        super().__init__(parent)
        self.setWindowTitle("Save as .sinr")
        self.tolerance_db = TOLERANCE_DB
        self.codec_defaults = codec = CodecOptions()
        self.targets = targets
        self.stem = stem
        self.estimate: Estimate | None = None
        self.saved_path: Path | None = None
        self.model = QComboBox()
        for k in targets:
            self.model.addItem(registry.titled(k), k)
        if kind in targets:
            self.model.setCurrentIndex(self.model.findData(kind))
        self.auto = QCheckBox(f"Smallest file within {TOLERANCE_DB:g} dB of the trained network "
                              "(searched in the background; recommended)")
        self.auto.setChecked(True)
        self.qat_steps = QSpinBox()
        self.qat_steps.setRange(0, 5000)
        self.qat_steps.setValue(DEFAULT_QAT_STEPS)
        self.qat_steps.setToolTip("quantisation-aware fine-tuning at the chosen bits, then the "
                                  "search again (0: none)")
        self.lane = Lane(self._search_done, self._search_failed, None, self)
        self.plain = QCheckBox("Plain: quantise the weights only (no sparse code, the baseline)")
        self.use_target = QCheckBox("Choose s per tensor for a relative error of at most")
        self.target_error = QDoubleSpinBox()
        self.target_error.setRange(0.001, 1.0)
        self.target_error.setDecimals(3)
        self.target_error.setSingleStep(0.01)
        self.target_error.setValue(codec.target_error)
        self.use_target.setChecked(True)
        self.sparsity = QSpinBox()
        self.sparsity.setRange(1, 65535)
        self.k2 = QSpinBox()
        self.k2.setRange(2, 65536)
        self.bits = QComboBox()
        for b in BITS:
            self.bits.addItem(f"{b} bits", b)
        self.bits.setCurrentIndex(self.bits.findData(codec.bits))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.result = QLabel("Press “Compute size” to see the file size before saving.")
        self.result.setWordWrap(True)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#a61b1b;")
        target_row = QHBoxLayout()
        target_row.addWidget(self.use_target)
        target_row.addWidget(self.target_error)
        self.weights = QLabel("")  # which weights are coded: the run's best step's, …
        self.weights.setWordWrap(True)
        self.weights.setStyleSheet("color:#555;")
        form = QFormLayout()
        form.addRow("Model", self.model)
        form.addRow(self.weights)
        form.addRow(self.auto)
        form.addRow("  QAT fine-tuning steps", self.qat_steps)
        form.addRow(self.plain)
        form.addRow("Non-zeros per vector (s)", self.sparsity)
        form.addRow(target_row)
        form.addRow("Dictionary atoms (k2)", self.k2)
        form.addRow("Value quantisation", self.bits)
        form.addRow("Dictionary seed", self.seed)
        self.compute_btn = QPushButton("Compute size")
        self.save_btn = QPushButton("Save .sinr…")
        close = QPushButton("Close")
        self.compute_btn.clicked.connect(self.compute_in_background)
        self.save_btn.clicked.connect(self._save_clicked)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.compute_btn, self.save_btn, close):
            buttons.addWidget(b)
        note = QLabel("bpp = 8 × file bytes / (H × W) of the working image; every byte counts "
                      "(header, class map, biases, values, indices).")
        note.setWordWrap(True)
        note.setStyleSheet("color:#555; font-size:11px;")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.result)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.model.currentIndexChanged.connect(self._model_changed)
        for w in (self.sparsity, self.k2, self.seed):
            w.valueChanged.connect(self._invalidate)
        self.target_error.valueChanged.connect(self._invalidate)
        for w in (self.plain, self.use_target, self.auto):
            w.toggled.connect(self._invalidate)
        self.qat_steps.valueChanged.connect(self._invalidate)
        self.bits.currentIndexChanged.connect(self._invalidate)
        self._model_changed()

    def kind(self) -> str:
        return str(self.model.currentData())

    def _model_changed(self, *_: object) -> None:
        target = self.targets.get(self.kind())
        self.weights.setText(f"Codes {target.weights}." if target and target.weights else "")
        if target is not None and is_latent_target(target):
            self.weights.setText(" ".join(t for t in (self.weights.text(), LATENT_NOTE) if t))
        elif target is not None:
            k = target.model.config.width
            self.sparsity.setValue(max(1, k // 8))  # 2s < k with room to spare (docs/coding.md)
            self.k2.setValue(self.codec_defaults.k2)
        self._invalidate()

    def _invalidate(self, *_: object) -> None:
        self.estimate = None
        self._cancel_search()
        auto = self.auto.isChecked()
        for w in (self.plain, self.k2, self.bits, self.seed):
            w.setEnabled(not auto)
        self.qat_steps.setEnabled(auto)
        self.use_target.setEnabled(not auto and not self.plain.isChecked())
        self.sparsity.setEnabled(not auto and not self.plain.isChecked()
                                 and not self.use_target.isChecked())
        self.target_error.setEnabled(not auto and self.use_target.isChecked()
                                     and not self.plain.isChecked())
        target = self.targets.get(self.kind()) if hasattr(self, "targets") else None
        if target is not None and is_latent_target(target):  # none of these options apply
            for w in (self.auto, self.qat_steps, self.plain, self.use_target, self.sparsity,
                      self.target_error, self.k2, self.bits, self.seed):
                w.setEnabled(False)
        else:
            self.auto.setEnabled(True)
        self.result.setText("Press “Compute size” to see the file size before saving.")
        if auto and self.isVisible():
            self.compute()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self.auto.isChecked() and self.estimate is None and not self.searching:
            self.compute()  # the default opens on the smallest file, searched in the background

    def done(self, result: int) -> None:  # noqa: D102 - Qt API: closing stops the search
        self._cancel_search()
        super().done(result)

    # --- the background search (the default) ---
    @property
    def searching(self) -> bool:
        return self.lane.busy

    def _cancel_search(self) -> None:
        if hasattr(self, "lane"):  # not yet while __init__ builds the widgets
            self.lane.cancel()  # the search ends at its next round trip
        if hasattr(self, "compute_btn"):
            self.compute_btn.setEnabled(True)

    def _start_search(self) -> None:
        target, steps = self.targets[self.kind()], int(self.qat_steps.value())
        self._in_background(
            "Encoding the latent grids, then decoding the file…" if is_latent_target(target)
            else f"Searching for the smallest file within {self.tolerance_db:g} dB (every "
                 "candidate encoded and decoded)…",
            lambda cancelled: [search_default(target, steps, cancelled.is_set)])

    def compute_in_background(self) -> None:
        """"Compute size": the default search, or one encode with the chosen options, off the
        GUI thread; the size, bpp and PSNR appear when it ends."""
        self.error.setText("")
        if self.auto.isChecked():
            self._start_search()
            return
        try:
            options = self.options()
        except (InrStudioError, ValueError) as exc:
            self.error.setText(f"Cannot encode: {exc}")
            return
        target = self.targets[self.kind()]
        self._in_background("Encoding and decoding with these options…",
                            lambda _cancelled: [encode_target(target, options)])

    def _in_background(self, text: str, work) -> None:
        """Run ``work(cancelled) -> [Estimate]`` as a job; an older one is cancelled."""
        self._cancel_search()
        self.compute_btn.setEnabled(False)
        self.result.setText(text)
        self.lane.start(Job(work))

    def _search_done(self, estimate: "Estimate") -> None:
        self.compute_btn.setEnabled(True)
        self.estimate = estimate
        self.result.setText(estimate.summary())

    def _search_failed(self, exc: Exception) -> None:
        self.compute_btn.setEnabled(True)
        self.error.setText(f"Cannot encode: {exc}")

    def options(self):
        from ..codec import CodecOptions

        by_target = self.use_target.isChecked()
        return CodecOptions(
            sparsity=None if by_target else self.sparsity.value(),
            target_error=float(self.target_error.value()) if by_target else None,
            k2=self.k2.value(), bits=int(self.bits.currentData()),
            plain=self.plain.isChecked(), seed=self.seed.value())

    def compute(self) -> Estimate | None:
        """Encode with the current options and show size, bpp and PSNR; None on error. With
        the default (smallest file within 0.1 dB) this starts the background search and
        returns None; the estimate appears when it ends."""
        self.error.setText("")
        if self.auto.isChecked():
            self._start_search()
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.estimate = encode_target(self.targets[self.kind()], self.options())
        except (InrStudioError, ValueError, RuntimeError) as exc:
            self.estimate = None
            self.error.setText(f"Cannot encode: {exc}")
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self.result.setText(self.estimate.summary())
        return self.estimate

    def save_to(self, path: str | Path) -> bool:
        """Write the file (encoding first if needed); True on success, message otherwise."""
        if self.estimate is None and self.searching:
            self.error.setText("Still searching for the smallest file; save when it is shown.")
            return False
        if self.estimate is None and self.compute() is None:
            return False
        path = Path(path)
        if path.suffix.lower() != ".sinr":
            path = path.with_name(path.name + ".sinr")
        try:
            from ..codec import write_sinr

            write_sinr(path, self.estimate.data)
        except (InrStudioError, OSError) as exc:
            self.error.setText(f"Could not save {path.name}: {exc}")
            return False
        self.saved_path = path
        self.result.setText(f"Saved {path} — {self.estimate.summary()}")
        return True

    def _save_clicked(self) -> None:
        if self.estimate is None:
            if not self.searching:
                self.compute_in_background()
            self.error.setText("Encoding first; save when the size is shown.")
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save .sinr", f"{self.stem}_{self.kind()}.sinr",
                                              "SINR files (*.sinr)")
        if name:
            self.save_to(name)
