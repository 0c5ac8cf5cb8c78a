"""Per-model figures: PSNR, the best PSNR kept (and its step), SSIM, the estimated rate of a
model that trains one, parameters, multiply-accumulates per pixel, iterations/s, elapsed time,
ETA."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ..engine.messages import ModelStats, PreviewFrame
from ..models import registry
from ..models.registry import PAPER_MODELS

COLUMNS = ("Model", "Step", "PSNR (dB)", "Best (dB)", "SSIM", "bpp", "Params", "MACs/px",
           "It/s", "Elapsed", "ETA")
COL = {name: c for c, name in enumerate(COLUMNS)}
BEST = COL["Best (dB)"]
#: Columns whose figures are short (sized to their contents; the others share the rest).
NARROW = ("SSIM", "bpp", "It/s", "Elapsed", "ETA")
TIPS = {
    "PSNR (dB)": "Whole image, from the latest preview (the curve shows every step). Once a "
                 "run ends: the network it returns.",
    "Best (dB)": "The weights the run keeps and returns (its lowest whole-image loss so far) "
                 "and the step they come from; saving codes them. Once a run ends, the cell's "
                 "tooltip gives the last step's PSNR.",
    "bpp": "The latents' estimated rate under the model's probability model, in bits per "
           "pixel, from the last step ('—' for models that train no rate).",
    "It/s": "The model's own compute speed, as if it ran alone.",
    "ETA": "Wall time left at the current pace, the models taking turns.",
    "Params": "Trainable parameters (weights of every expert, and biases).",
    "MACs/px": "Multiply-accumulates of one forward pass per pixel: an LoE layer uses one "
               "expert's matrix per pixel, so LoE costs what a SIREN of its width costs.",
}


def _duration(seconds: float) -> str:
    """``m:ss`` / ``h:mm:ss`` as the command line's progress bar (tqdm) writes them."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    return format_interval(seconds)


def format_interval(seconds: float) -> str:
    """tqdm's own formatter, imported on first use: importing tqdm (with importlib.metadata)
    took 70 ms before the window's first paint."""
    from tqdm.std import tqdm

    return tqdm.format_interval(seconds)


def best_text(psnr: float, step: int) -> str:
    """``38.54 @ 1,845``; a dash before anything is kept (the coarse warm-up keeps nothing)."""
    if step < 0 or not math.isfinite(psnr):
        return "—"
    return f"{psnr:.2f} @ {step:,}"


def bpp_text(bpp: float) -> str:
    """``0.734``; a dash for a model that trains no rate (NaN)."""
    return f"{bpp:.3f}" if bpp is not None and math.isfinite(bpp) else "—"


class StatsTable(QTableWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setAcceptDrops(False)
        self.setHorizontalHeaderLabels(COLUMNS)
        for c, name in enumerate(COLUMNS):
            if name in TIPS:
                self.horizontalHeaderItem(c).setToolTip(TIPS[name])
        self.verticalHeader().hide()
        # compact rows: six models fit under the panels without a scroll bar
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for c in (0, 1):  # names and "step / total" must not wrap
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        for name in NARROW:  # short figures: the room goes to "PSNR (dB)", "Best (dB)", ...
            header.setSectionResizeMode(COL[name], QHeaderView.ResizeMode.ResizeToContents)
        self.models: tuple[str, ...] = ()
        self.set_models(PAPER_MODELS)

    def set_models(self, models: tuple[str, ...]) -> None:
        """One row per chosen model, named and coloured as in the registry."""
        self.models = tuple(models)
        self.clearContents()
        self.setRowCount(len(self.models))
        for r, kind in enumerate(self.models):
            item = QTableWidgetItem(registry.label(kind))
            item.setForeground(QColor(registry.colour(kind)))
            item.setToolTip(registry.titled(kind))
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            self.setItem(r, 0, item)
        self.reset()

    def reset(self, params: dict[str, int] | None = None,
              macs: dict[str, int] | None = None) -> None:
        """Empty figures; the parameters and MACs per pixel of the models about to train."""
        for r, kind in enumerate(self.models):
            for c in range(1, len(COLUMNS)):
                self._set(r, c, "—")
            if params and kind in params:
                self._set(r, COL["Params"], f"{params[kind]:,}")
            if macs and kind in macs:
                self._set(r, COL["MACs/px"], f"{round(macs[kind]):,}")  # a latent model's: float
            if (best := self.item(r, BEST)) is not None:  # Qt calls reset() while rows grow
                best.setToolTip("")

    def _set(self, row: int, col: int, text: str) -> None:
        item = self.item(row, col)
        if item is None:
            item = QTableWidgetItem()
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(row, col, item)
        if item.text() != text:
            item.setText(text)

    def show_stats(self, stats: dict[str, ModelStats]) -> None:
        for r, kind in enumerate(self.models):
            s = stats.get(kind)
            if s is None:
                continue
            self._set(r, COL["Step"], f"{s.step:,} / {s.total:,}")
            self._set(r, BEST, best_text(s.best_psnr, s.best_step))
            if math.isfinite(s.last_psnr) and (best := self.item(r, BEST)) is not None:
                best.setToolTip(f"the last step's weights: {s.last_psnr:.2f} dB")
            self._set(r, COL["bpp"], bpp_text(s.bpp))
            self._set(r, COL["Params"], f"{s.params:,}")
            self._set(r, COL["It/s"], f"{s.iters_per_s:.1f}")
            self._set(r, COL["Elapsed"], _duration(s.elapsed_s))
            self._set(r, COL["ETA"], "done" if s.step >= s.total else _duration(s.eta_s))

    def show_frame(self, frame: PreviewFrame) -> None:
        for r, kind in enumerate(self.models):
            if kind in frame.psnr:
                self._set(r, COL["PSNR (dB)"], f"{frame.psnr[kind]:.2f}")
                ssim = frame.ssim[kind]
                self._set(r, COL["SSIM"],
                          "—" if not math.isfinite(ssim) else f"{ssim:.4f}")

    def text_at(self, kind: str, column: str) -> str:
        item = self.item(self.models.index(kind), COL[column])
        return item.text() if item else ""
