"""The rate–distortion tab: for the open image at the working size, JPEG, WebP and AVIF curves
(Pillow), drawn as soon as the image opens, and each trained model's files at the ladder of
settings (plain, QAT, SINR, SINR fine-tuned, bit allocation) — for the latent-grid model, whose
rate is trained in, one training per λ — computed on request after an estimate of how long
they will take, with each curve's BD-rates against the codecs; clicking a point saves that
very file.

Three background jobs (:mod:`inr_studio.ui.background`), each in its own lane: the codecs'
points (:func:`inr_studio.studies.ladder_run.anchor_points`, milliseconds to a second each),
the estimate (:mod:`inr_studio.studies.ladder_cost`: a few units measured on the trained
networks; a latent training forecast as a run's is) and the models' ladder
(:func:`~inr_studio.studies.ladder_run.window_ladder`). Each point is drawn as it arrives, the
progress bar counts them and says the time left, *Stop* ends the ladder at its next point (a
latent training at its next step). A lane drops the points of a job that was replaced (a new
image, a new computation) before they reach the plot.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine.config import QatConfig
from ..errors import InrStudioError
from .background import Job, Lane
from .rd_bdrates import BdRateTable
from .rd_estimate import LATENT, LadderClock, LatentCost, estimate_job

FAMILY_COLOURS = {"plain": "#1f77b4", "qat": "#d62728", "sinr": "#2ca02c", "sinr-ft": "#9467bd",
                  "alloc": "#ff7f0e", "qat-alloc": "#8c564b", LATENT: "#17becf"}
FAMILY_NAMES = {LATENT: "λ ladder"}  # a curve's name after its model's, where not the family
ANCHOR_COLOURS = {"JPEG": "#000000", "WEBP": "#7f7f7f", "AVIF": "#bcbd22"}
ANCHOR_NAMES = {"JPEG": "JPEG", "WEBP": "WebP", "AVIF": "AVIF"}
MODEL_SYMBOLS = ("o", "t", "s", "d", "+", "x")


class RdView(QWidget):
    saved = Signal(str)  # path of a file saved from a clicked point
    failed = Signal(str)  # a message for the window's message bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setBackground("w")
        self.plot.setLogMode(x=True, y=False)
        self.plot.setLabel("bottom", "bits per pixel (log scale); every byte of each file")
        self.plot.setLabel("left", "PSNR (dB)")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.legend = self.plot.addLegend(offset=(-10, -10))  # bottom right: the curves rise
        self.compute_btn = QPushButton("Compute the models' curves")
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        self.qat_steps = QSpinBox()
        self.qat_steps.setRange(0, 5000)
        self.qat_steps.setValue(QatConfig.steps)
        self.qat_steps.setToolTip("quantisation-aware fine-tuning steps for each QAT and SINR "
                                  "fine-tuned point")
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m points")
        self.progress.hide()  # shown while the models' ladder runs
        self.estimate_label = QLabel("")
        self.estimate_label.setStyleSheet("color:#555;")
        self.status = QLabel("Open an image: JPEG, WebP and AVIF appear here at once; train the "
                             "models, then compute their curves. Click a point to save its file.")
        self.status.setWordWrap(True)
        self.bd_rates = BdRateTable()
        top = QHBoxLayout()
        top.addWidget(self.compute_btn)
        top.addWidget(self.stop_btn)
        top.addWidget(QLabel("QAT steps"))
        top.addWidget(self.qat_steps)
        top.addWidget(self.estimate_label)
        top.addWidget(self.progress, 4)
        top.addStretch(1)  # the buttons keep their size while the bar is hidden
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.bd_rates)
        layout.addWidget(self.status)
        self.stop_btn.clicked.connect(self.stop)
        self.lane = Lane(self._on_message, self._on_error, self._on_finished, self)
        self.anchor_lane = Lane(self._on_anchor, self._on_error, self._on_anchors_done, self)
        self.estimate_lane = Lane(self._on_estimate, self._on_error, None, self)
        self.clock = LadderClock()
        self.qat_steps.valueChanged.connect(self._show_estimate)
        self.anchor_size: tuple[int, int] | None = None  # (h, w) the codecs' points are of
        self._anchors: dict[str, list] = {}
        self._rungs: dict[tuple[str, str], list] = {}
        self._items: dict[tuple, pg.PlotDataItem] = {}
        self._models: list[str] = []
        self.save_folder = Path.home()
        self.stem = "image"
        self.families: tuple[str, ...] | None = None  # None: the whole ladder
        self.lambdas: tuple[float, ...] | None = None  # the latent model's; None: the default

    # --- the codecs' points, at once ---
    def show_anchors(self, pixels) -> None:
        """A new picture (or working size): forget every point and measure JPEG, WebP and AVIF
        of ``pixels`` in the background."""
        from ..studies.ladder_run import anchor_points

        self.stop()
        self.anchor_lane.cancel()
        self.estimate_lane.cancel()
        self.clock = LadderClock()
        self.clear()
        self._show_estimate()
        self.progress.hide()
        self.anchor_size = pixels.shape[:2]
        h, w = self.anchor_size
        self.status.setText(f"JPEG, WebP and AVIF of this picture at its working size, {w}×{h} "
                            "(Pillow)… Train the models, then compute their curves.")
        self.anchor_lane.start(Job(lambda _cancelled: anchor_points(pixels)))

    @property
    def anchors_running(self) -> bool:
        return self.anchor_lane.busy

    def _on_anchor(self, msg) -> None:
        self._anchors.setdefault(msg.point.fmt, []).append(msg.point)
        self._draw_anchor(msg.point.fmt)

    def _on_anchors_done(self) -> None:
        from ..studies.anchors import available

        if self.anchor_size is None or self.running:
            return
        h, w = self.anchor_size
        notes = " ".join(available()[1])
        self.status.setText(f"JPEG, WebP and AVIF at the working size, {w}×{h} (Pillow). Train "
                            "the models, then compute their curves; click a model's point to "
                            "save that file." + (f" {notes}" if notes else ""))

    # --- the estimate ---
    def estimate(self, trainers: dict, latent=None, pixels=None) -> bool:
        """Time a few units of the ladder on ``trainers`` (and a few training steps of a
        ``latent`` plan on ``pixels``) in the background; the estimate shows beside the button
        (and follows the QAT steps)."""
        from ..studies.ladder_run import Snapshot

        if (not trainers and latent is None) or self.running:
            return False
        snaps = [Snapshot.of(k, t) for k, t in trainers.items()]
        self.clock = LadderClock()
        self.estimate_label.setText("estimating the time…")
        self.estimate_lane.start(estimate_job(snaps, int(self.qat_steps.value()), self.families,
                                              latent, pixels))
        return True

    def _on_estimate(self, found) -> None:
        if isinstance(found, LatentCost):
            self.clock.latent = found
        else:
            self.clock.units = found
        self._show_estimate()

    def _show_estimate(self, *_: object) -> None:
        seconds = self.clock.total_s(int(self.qat_steps.value()), self.families)
        self.estimate_label.setText("" if seconds is None else f"about {_duration(seconds)}")
        self.estimate_label.setToolTip(self.clock.describe())

    # --- the models' ladder ---
    @property
    def running(self) -> bool:
        return self.lane.busy

    def start(self, pixels, trainers: dict, stem: str = "image", latent=None) -> bool:
        """Measure ``trainers`` (key → finished Trainer) on ``pixels`` in a background job, then
        the ``latent`` plan's λ ladder (:class:`~inr_studio.studies.ladder_run.LatentPlan`)."""
        from ..studies.ladder_run import Snapshot, window_ladder

        if not trainers and latent is None:
            self.failed.emit("Nothing to measure yet: train the models first.")
            return False
        self.stop()
        self.clear_models()
        if self.anchor_size != pixels.shape[:2] and not self.anchors_running:
            self.show_anchors(pixels)  # the codecs' points of this very picture
        self.stem = stem
        snaps = [Snapshot.of(k, t) for k, t in trainers.items()]  # copied on the GUI thread
        self._models = [s.key for s in snaps] + ([LATENT] if latent is not None else [])
        kw = {} if self.families is None else {"families": self.families}
        steps = int(self.qat_steps.value())
        self.estimate_lane.cancel()  # too late for an estimate: the pace says the time left
        self.clock.start(snaps, steps, self.families, latent is not None)
        self.progress.setRange(0, 0)  # busy until the ladder says how many points
        self.progress.show()
        self.compute_btn.setEnabled(False)
        self.stop_btn.setEnabled(True)
        self.status.setText("Measuring… (each model point is a real file: encoded, decoded and "
                            "rendered" + ("; the latent grids train once per λ" if latent
                                          else "") + ")")
        self.lane.start(Job(lambda cancelled: window_ladder(
            pixels, snaps, steps, should_stop=cancelled.is_set, with_anchors=False,
            latent=latent, **kw)))
        return True

    def stop(self) -> None:
        """End the measurement at its next point; nothing more of it is drawn."""
        self.lane.cancel()
        self.compute_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)

    def wait(self, timeout_ms: int = 60000) -> None:
        """For shutdown: stop, and let the thread end at its next point."""
        self.stop()
        self.lane.shutdown(timeout_ms)
        self.anchor_lane.shutdown(timeout_ms)
        self.estimate_lane.shutdown(timeout_ms)

    def _on_message(self, msg) -> None:
        from ..studies.ladder_run import AnchorDone, LatentDone, Planned, RungDone

        if isinstance(msg, Planned):
            self.clock.planned(msg.total)
            self.progress.setRange(0, msg.total)
            self.progress.setValue(0)
            self.progress.show()
            return
        self.progress.setValue(self.progress.value() + 1)
        if isinstance(msg, AnchorDone):
            self._on_anchor(msg)
        elif isinstance(msg, (RungDone, LatentDone)):
            key, family = ((msg.key, msg.point.rung.family) if isinstance(msg, RungDone)
                           else (LATENT, LATENT))
            self._rungs.setdefault((key, family), []).append(msg.point)
            self._draw_rungs(key, family)
            left = self.clock.point_done(key, msg.point.setting)
            if left is not None:
                self.estimate_label.setText(f"about {_duration(left)} left")

    def _on_error(self, exc: Exception) -> None:
        self.failed.emit(f"Rate–distortion measurement failed: {exc}")

    def _on_finished(self) -> None:
        from ..studies.anchors import available

        self.compute_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)
        notes = " ".join(available()[1])  # e.g. AVIF missing from this Pillow build
        self.clock.stop()
        self.estimate_label.setText(f"took {_duration(self.clock.elapsed_s())}")
        self.status.setText(f"{self.progress.value()} points measured. Click a model's point "
                            "to save that file." + (f" {notes}" if notes else ""))

    # --- drawing ---
    def clear(self) -> None:
        self.plot.clear()
        self.legend.clear()
        self._anchors, self._rungs, self._items = {}, {}, {}
        self.progress.setValue(0)
        self._show_bd_rates()

    def clear_models(self) -> None:
        """Forget the models' points; the codecs' stay."""
        for key in [k for k in self._items if k[0] != "anchor"]:
            item = self._items.pop(key)
            self.plot.removeItem(item)  # its legend entry goes with it
        self._rungs = {}
        self.progress.setValue(0)
        self._show_bd_rates()

    def _item(self, key: tuple, name: str, colour: str, symbol: str) -> pg.PlotDataItem:
        item = self._items.get(key)
        if item is None:
            item = self.plot.plot([], [], pen=pg.mkPen(colour, width=2), symbol=symbol,
                                  symbolBrush=colour, symbolPen=colour, symbolSize=8, name=name)
            self._items[key] = item
        return item

    def _draw_anchor(self, fmt: str) -> None:
        pts = sorted(self._anchors[fmt], key=lambda p: p.bpp)
        self._item(("anchor", fmt), f"{ANCHOR_NAMES.get(fmt, fmt)} (Pillow)",
                   ANCHOR_COLOURS.get(fmt, "#444444"), "s").setData(
            [p.bpp for p in pts], [p.psnr for p in pts])
        self._show_bd_rates()

    def _draw_rungs(self, key: str, family: str) -> None:
        pts = sorted((p for p in self._rungs[(key, family)] if math.isfinite(p.psnr)),
                     key=lambda p: p.bpp)
        symbol = MODEL_SYMBOLS[self._models.index(key) % len(MODEL_SYMBOLS)]
        item = self._item((key, family), self.curve_name(key, family),
                          FAMILY_COLOURS.get(family, "#444444"), symbol)
        item.setData([p.bpp for p in pts], [p.psnr for p in pts], data=pts)
        self._show_bd_rates()
        if not getattr(item, "_clickable", False):
            item.sigPointsClicked.connect(lambda _item, points, _ev, key=key:
                                          self._clicked(key, points))
            item._clickable = True

    @staticmethod
    def curve_name(key: str, family: str) -> str:
        """A model curve's name in the legend and the BD-rate table."""
        from ..models import registry

        return f"{registry.label(key)} {FAMILY_NAMES.get(family, family)}"

    def _show_bd_rates(self) -> None:
        anchors = {fmt: (ANCHOR_NAMES.get(fmt, fmt), [(p.bpp, p.psnr) for p in pts])
                   for fmt, pts in self._anchors.items()}
        curves = {k: (self.curve_name(*k), [(p.bpp, p.psnr) for p in pts])
                  for k, pts in self._rungs.items()}
        self.bd_rates.set_curves(anchors, curves)

    def points(self) -> dict[tuple[str, str], list]:
        """(model key, family) → the measured points (each holds its file's bytes)."""
        return {k: list(v) for k, v in self._rungs.items()}

    # --- saving ---
    def _clicked(self, key: str, points) -> None:
        if not len(points):
            return
        point = points[0].data()
        name, _ = QFileDialog.getSaveFileName(
            self, "Save this file", str(self.save_folder / f"{self.stem}_{key}_{point.setting}.sinr"),
            "SINR files (*.sinr)")
        if name:
            self.save_point(point, name)

    def save_point(self, point, path: str | Path) -> Path | None:
        """Write the point's file (atomically); the message bar hears of failures."""
        from ..codec import write_sinr

        path = Path(path)
        if path.suffix.lower() != ".sinr":
            path = path.with_name(path.name + ".sinr")
        try:
            write_sinr(path, point.data)
        except (InrStudioError, OSError) as exc:
            self.failed.emit(f"Could not save {path.name}: {exc}")
            return None
        self.save_folder = path.parent
        self.status.setText(f"Saved {path}: {point.file_bytes:,} bytes, {point.bpp:.3f} bpp, "
                            f"{point.psnr:.2f} dB ({point.setting}).")
        self.saved.emit(str(path))
        return path


def _duration(seconds: float) -> str:
    from .stats_table import format_interval

    return format_interval(seconds)
