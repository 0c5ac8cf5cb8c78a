"""The chosen models side by side (1 to 6, from the registry) beside a reference panel with the
original: reconstruction, error map or edges (Sobel magnitude), with linked zoom and pan, and
the original in every panel while Space is held (or with the O toggle).

The image comes first: until a model's first preview its panel shows the original, faded and
titled "original · not trained yet". It draws only the newest frame it was given; arrays are
never modified after they arrive.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QRadioButton, QVBoxLayout, QWidget

from ..edges import sobel_magnitude
from ..engine.messages import PreviewFrame
from ..metrics import to_uint8
from ..models import registry
from ..models.registry import PAPER_MODELS
from .palette import inferno
from .panels import FlexLabel, canvas, image_box, link_views

RECON, ERROR, EDGES = "recon", "error", "edges"
MODES = ((RECON, "Reconstruction"), (ERROR, "Error map"), (EDGES, "Edges"))
REFERENCE = "original"  # the reference panel's key in ``boxes`` and ``items``
UNTRAINED_OPACITY = 0.35  # the original under a model that has no preview yet
#: Edges of new previews computed per event-loop turn (35 ms per 768×512 model on one core): the
#: first model always, others while this budget lasts; the rest follow on the next turns.
EDGE_BUDGET_S = 0.03
TITLE_H, MARGIN, SPACING = 22.0, 9.0, 6.0  # pixels: a one-line title, the layout's gaps
MIN_COLUMN_W = 200.0  # pixels a title needs ("LoE FtC · 27.76 dB · step 1,234")
NARROW_PENALTY = 0.7  # columns narrower than that count as 70 % of their image size


def best_grid(panels: int, width: float, height: float, aspect: float) -> tuple[int, int, float]:
    """(rows, columns, image width) that show ``panels`` images of ``aspect`` (height / width)
    the largest in a ``width``×``height`` canvas, each under its title; fewer rows on ties.
    Columns narrower than a title lose to a layout with room for every title unless their
    images are much larger (small windows)."""
    best = (1, panels, -1.0, -1.0)
    for rows in range(1, panels + 1):
        cols = math.ceil(panels / rows)
        if rows > 1 and (rows - 1) * cols >= panels:
            continue  # a row would stay empty
        free_w = width - 2 * MARGIN - (cols - 1) * SPACING
        free_h = height - 2 * MARGIN - rows * TITLE_H - (2 * rows - 1) * SPACING
        side = min(free_w / cols, free_h / rows / aspect)
        score = side * (1.0 if free_w / cols >= MIN_COLUMN_W else NARROW_PENALTY)
        if score > best[3] + 0.5:
            best = (rows, cols, side, score)
    return best[:3]


def grid_height(rows: int, side: float, aspect: float) -> float:
    """The canvas height a grid of ``rows`` rows of ``side``-wide images fills exactly (the
    inverse of :func:`best_grid`'s height bound)."""
    return rows * (side * aspect + TITLE_H) + 2 * MARGIN + (2 * rows - 1) * SPACING


class CompareView(QWidget):
    modeChanged = Signal(str)
    gridChanged = Signal()  # the panels or the image's shape changed: a new best height

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = RECON
        self.original_shown = False
        self.frame: PreviewFrame | None = None
        self.original: np.ndarray | None = None  # uint8 H×W×3
        self._target_edges: np.ndarray | None = None  # float32 H×W, made on first use
        self._pixels01: np.ndarray | None = None
        self._edge_scale = 1.0
        self._edges: dict[str, np.ndarray] = {}  # kind -> edges of the current frame
        self.models: tuple[str, ...] = ()
        self._shape: tuple[int, int] = (0, 0)
        self._edge_deadline = 0.0
        self._edge_cost = 0.0
        self._shown: dict[str, tuple] = {}  # key -> (the array, kind, scale) drawn now
        self._edges_timer = QTimer(self)
        self._edges_timer.setSingleShot(True)
        self._edges_timer.timeout.connect(self._redraw)
        self._user_range = False  # the user zoomed or panned: resizes keep their view
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._fit_range)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.buttons: dict[str, QRadioButton] = {}
        group = QButtonGroup(self)
        bar = QHBoxLayout()
        for mode, text in MODES:
            btn = QRadioButton(text)
            btn.setChecked(mode == RECON)
            btn.toggled.connect(lambda on, mode=mode: on and self.set_mode(mode))
            group.addButton(btn)
            bar.addWidget(btn)
            self.buttons[mode] = btn
        self.recon_btn, self.error_btn, self.edges_btn = (self.buttons[m] for m, _ in MODES)
        self.edges_btn.setToolTip("Sobel gradient magnitude of each model's output, beside the "
                                  "target's (in the Original panel); one grey scale for all")
        self.scale_label = QLabel("")
        self.scale_label.setStyleSheet("color:#555;")
        help_label = QLabel("<b>Space</b> (hold) or <b>O</b>: original · wheel / drag: zoom / pan "
                            "all panels")
        help_label.setWordWrap(True)
        help_label.setStyleSheet("color:#555;")
        bar.addWidget(self.scale_label)
        bar.addStretch(1)
        bar.addWidget(help_label, 2)

        self.canvas = canvas()
        self.boxes: dict[str, pg.ViewBox] = {}
        self.items: dict[str, pg.ImageItem] = {}
        self.titles: dict[str, pg.LabelItem] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)
        self.set_models(PAPER_MODELS)

    # --- inputs ---
    def set_models(self, models: tuple[str, ...]) -> None:
        """Panels for ``models`` (registry keys), the reference panel first."""
        models = tuple(models)
        if models == self.models:
            return
        self.models = models
        self.frame = None
        self._edges = {}
        self._shape = (0, 0)
        self._arrange()
        self.gridChanged.emit()

    def _aspect(self) -> float:
        h, w = self.original.shape[:2] if self.original is not None else (1, 1)
        return h / w

    def wanted_height(self, width: int, max_height: int) -> int:
        """The height of this view (mode bar and canvas) whose best grid at ``width`` is filled
        without a band to spare, at most ``max_height`` (what the Compare split asks)."""
        chrome = self.height() - self.canvas.height() if self.canvas.height() > 0 else \
            self.layout().itemAt(0).sizeHint().height() + self.layout().spacing()
        rows, _, side = best_grid(len(self.models) + 1, width, max_height - chrome,
                                  self._aspect())
        return min(max_height, math.ceil(grid_height(rows, side, self._aspect()) + chrome + 4))

    def panel_sizes(self) -> dict[str, tuple[int, int]]:
        """Width and height in screen pixels of the image each panel draws now (the
        reference panel's key is ``"original"``)."""
        out = {}
        for key, vb in self.boxes.items():
            item = self.items[key]
            rect = item.mapRectToScene(item.boundingRect()).intersected(vb.sceneBoundingRect())
            out[key] = (round(rect.width()), round(rect.height()))
        return out

    def _arrange(self) -> None:
        """Lay the panels out in the grid that shows the images largest, each title right above
        its image (the spare height goes below the images, not between title and image)."""
        keys = (REFERENCE,) + self.models
        h, w = self.original.shape[:2] if self.original is not None else (1, 1)
        rows, cols, side = best_grid(len(keys), self.canvas.width(), self.canvas.height(), h / w)
        if (rows, cols) != self._shape or set(self.boxes) != set(keys):
            self._build(keys, cols)
            self._shape = (rows, cols)
        for vb in self.boxes.values():
            vb.setMaximumHeight(max(side * h / w, 32.0))

    def _build(self, keys: tuple[str, ...], cols: int) -> None:
        self.canvas.clear()
        self.boxes, self.items, self.titles, self._shown = {}, {}, {}, {}
        grid = self.canvas.ci.layout
        for i, key in enumerate(keys):
            r, c = divmod(i, cols)
            self.titles[key] = FlexLabel("", size="9pt")
            self.canvas.addItem(self.titles[key], row=2 * r, col=c)
            vb, item = image_box()
            self.canvas.addItem(vb, row=2 * r + 1, col=c)
            grid.setAlignment(vb, Qt.AlignmentFlag.AlignTop)
            grid.setColumnStretchFactor(c, 1)
            self.boxes[key], self.items[key] = vb, item
        link_views([self.boxes[k] for k in keys])
        for vb in self.boxes.values():
            vb.sigRangeChangedManually.connect(self._user_moved)  # wheel or drag only
        self._user_range = False
        self._redraw()
        self._fit_range()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._arrange()
        self._refit.start()  # after the boxes have their new sizes

    def set_original(self, pixels01: np.ndarray | None) -> None:
        """A new working image: forget the old frame; the panels show the original until their
        model's first preview."""
        self.frame = None
        self._edges = {}
        self._pixels01, self._target_edges = pixels01, None
        shape = None if self.original is None else self.original.shape[:2]
        self.original = None if pixels01 is None else to_uint8(pixels01)
        self._user_range = False
        self._arrange()  # the image's shape may call for another grid
        self._redraw()
        self._fit_range()
        if self.original is None or self.original.shape[:2] != shape:
            self.gridChanged.emit()

    @property
    def target_edges(self) -> np.ndarray | None:
        """The target's Sobel magnitude, computed when Edges mode first needs it (25 ms at
        768×512: not on the path of opening an image)."""
        if self._target_edges is None and self._pixels01 is not None:
            self._target_edges = sobel_magnitude(self._pixels01)
            self._edge_scale = max(1e-3, float(np.percentile(self._target_edges, 99.5)))
        return self._target_edges

    @property
    def edge_scale(self) -> float:
        return self._edge_scale if self.target_edges is not None else 1.0

    def show_frame(self, frame: PreviewFrame) -> None:
        self.frame = frame
        self._edges = {}
        self._redraw()

    def set_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        for m, btn in self.buttons.items():
            with _blocked(btn):
                btn.setChecked(m == mode)
        self._redraw()
        self.modeChanged.emit(mode)

    def toggle_mode(self, mode: str, on: bool) -> None:
        """A menu toggle: on shows ``mode``; off goes back to reconstructions (if it was on)."""
        if on:
            self.set_mode(mode)
        elif self.mode == mode:
            self.set_mode(RECON)

    def set_show_original(self, on: bool) -> None:
        if on != self.original_shown:
            self.original_shown = on
            self._redraw()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.set_show_original(True)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.set_show_original(False)
            return
        super().keyReleaseEvent(event)

    # --- drawing ---
    def _fit_range(self) -> None:
        """Show the whole image (again after every resize, once the layout has settled) until
        the user zooms or pans; a new image or grid shows the whole of it again."""
        if self.original is not None and self.boxes and not self._user_range:
            h, w = self.original.shape[:2]
            self.boxes[REFERENCE].setRange(xRange=(0, w), yRange=(0, h), padding=0)

    def _user_moved(self, *_: object) -> None:
        self._user_range = True

    def _show(self, key: str, image: np.ndarray | None, kind: str = RECON,
              opacity: float = 1.0) -> None:
        item = self.items[key]
        item.setOpacity(opacity)
        levels = self.frame.error_scale if kind == ERROR and self.frame else None
        shown = self._shown.get(key)
        if image is not None and shown is not None and shown[0] is image \
                and shown[1:] == (kind, levels):
            return  # the same array as drawn: no new upload (a redraw per event-loop turn)
        self._shown[key] = (image, kind, levels)
        if image is None:
            item.clear()
        elif kind == ERROR:
            item.setImage(image, autoLevels=False, levels=(0.0, self.frame.error_scale),
                          lut=inferno())
        elif kind == EDGES:
            item.setImage(image, autoLevels=False, levels=(0.0, self.edge_scale), lut=None)
        else:
            item.setImage(image, autoLevels=False, levels=(0, 255), lut=None)

    def _reference_image(self) -> tuple[np.ndarray | None, str]:
        if self.mode == EDGES and not self.original_shown:
            return self.target_edges, EDGES
        return self.original, RECON

    def _redraw(self) -> None:
        self._edge_deadline = time.perf_counter() + EDGE_BUDGET_S
        self._edge_computed = False
        ref, ref_kind = self._reference_image()
        self._show(REFERENCE, ref, ref_kind)
        size = "" if self.original is None else \
            "{1}×{0} px".format(*self.original.shape[:2])
        self.titles[REFERENCE].setText(
            "<b>Original</b>" + (" · edges" if ref_kind == EDGES else "") + f" · {size}",
            color="#222")
        frame = self.frame
        for kind in self.models:
            name = f"<b>{registry.label(kind)}</b>"
            cite = registry.entry(kind).citation if kind in registry.REGISTRY else ""
            cite = f" · <span style='color:#777'>{cite}</span>" if cite else ""
            colour = registry.colour(kind)
            if self.original_shown:
                self._show(kind, self.original)
                self.titles[kind].setText(f"{name} · original{cite}", color="#222")
            elif frame is None or kind not in frame.recon:
                self._show(kind, ref, ref_kind, opacity=UNTRAINED_OPACITY)
                self.titles[kind].setText(f"{name} · original, not trained yet{cite}",
                                          color=colour)
            else:
                if self.mode == ERROR:
                    self._show(kind, frame.error[kind], ERROR)
                elif self.mode == EDGES:
                    edges = self._edges_in_budget(kind)
                    if edges is not None:  # else the panel keeps its image a moment longer
                        self._show(kind, edges, EDGES)
                else:
                    self._show(kind, frame.recon[kind])
                self.titles[kind].setText(
                    f"{name} · {frame.psnr[kind]:.2f} dB · step {frame.steps[kind]:,}"
                    f"{' (best)' if kind in frame.best else ''}{cite}",
                    color=colour)
        self.scale_label.setText(self._scale_text())

    def _scale_text(self) -> str:
        if self.original_shown and self.original is not None:
            return "showing the original"
        if self.mode == ERROR and self.frame is not None:
            return f"|error| colour scale 0 – {self.frame.error_scale:.3f} (shared)"
        if self.mode == EDGES and self.target_edges is not None:
            return f"Sobel magnitude, grey scale 0 – {self.edge_scale:.2f} (the target's)"
        return ""

    def _edges_in_budget(self, kind: str) -> np.ndarray | None:
        """The edges of ``kind``'s preview if ready or affordable now; else ask for a redraw on
        the next event-loop turn, so six large previews never freeze the window at once."""
        if kind in self._edges or not self._edge_computed \
                or time.perf_counter() + self._edge_cost < self._edge_deadline:
            self._edge_computed = self._edge_computed or kind not in self._edges
            return self.edges_of(kind)
        self._edges_timer.start(0)
        return None

    def edges_of(self, kind: str) -> np.ndarray | None:
        """The Sobel magnitude of ``kind``'s newest reconstruction (computed once per frame)."""
        if self.frame is None or kind not in self.frame.recon:
            return None
        if kind not in self._edges:
            start = time.perf_counter()
            self._edges[kind] = sobel_magnitude(self.frame.recon[kind].astype(np.float32) / 255.0)
            self._edge_cost = time.perf_counter() - start  # what the next one will likely take
        return self._edges[kind]

    def current_image(self, kind: str) -> np.ndarray | None:
        """What the panel of ``kind`` (or ``"original"``) shows now; tests and exports read it."""
        return self.items[kind].image

    def is_faded(self, kind: str) -> bool:
        return self.items[kind].opacity() < 1.0


class _blocked:
    def __init__(self, widget: QWidget) -> None:
        self.widget = widget

    def __enter__(self) -> None:
        self.widget.blockSignals(True)

    def __exit__(self, *exc: object) -> None:
        self.widget.blockSignals(False)
