"""The window's layout (a mixin of :class:`MainWindow`): the training panel beside the tabs;
in the Compare tab the image panels above, and below them the PSNR curves (with the choice of
their x axis above the plot) beside the table and the save buttons.

The first start fills the screen's free area (the panels are the point of the tool); later
starts restore the size and place the user left the window in, and the Compare tab's split
(:mod:`.compare_split`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSplitter, QVBoxLayout, QWidget)

from .compare_split import LOWER_KEY, CompareSplit
from .curves import AXES, ITERATIONS
from .rd_actions import RD_TAB
from .window_startup import placeholder

AXIS_KEY = "curves_axis"  # the index in AXES of the curves' x axis


class LayoutActions:
    """Needs ``self.panel``, ``self.table``, ``self.tabs``, ``self.messages``, ``self.store``
    and the export slots of :class:`~.export_actions.ExportActions`."""

    #: True when no stored geometry was found: the window fills the screen's free area.
    first_start = False

    def _build_layout(self) -> None:
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.panel.sizeHint().width() + 24)
        self._placeholders = [placeholder("Loading the image views…") for _ in range(3)]
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self._plot_box())
        self.lower_split = lower
        table_box = QWidget()
        tv = QVBoxLayout(table_box)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addWidget(self.table, 1)
        tv.addLayout(self._export_buttons())
        lower.addWidget(table_box)
        lower.setSizes([560, 640])
        self.compare_tab = CompareSplit(
            self._placeholders[0], lower, self.store.view_value(LOWER_KEY, 0, 0, 10_000),
            remember=lambda px: self.store.set_view_value(LOWER_KEY, px))
        self.tabs.addTab(self.compare_tab, "Compare")
        self.tabs.addTab(self._placeholders[2], "Segmentation and expert maps")
        self.tabs.addTab(placeholder("Rate–distortion: JPEG, WebP and AVIF appear once an image "
                                     "is open; the models' curves after training."), RD_TAB)
        self.tabs.currentChanged.connect(self._tab_changed)
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

    def _plot_box(self) -> QWidget:
        """The curves' x-axis choice above the place of the PSNR plot (built with the views)."""
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("PSNR against"))
        self.axis_choice = QComboBox()
        for key, (text, _, _) in AXES.items():
            self.axis_choice.addItem(text, key)
        self.axis_choice.setToolTip(
            "Iterations; each model's own training seconds; or the operations it computed "
            "(its multiply-accumulates per pixel × the pixels of each step × the steps): "
            "models of different cost per step compare fairly on the last two")
        self.axis_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.axis_choice.setMinimumContentsLength(9)  # the window's least width stays small
        self.axis_choice.setCurrentIndex(self.store.view_value(AXIS_KEY, 0, 0, len(AXES) - 1))
        self.axis_choice.currentIndexChanged.connect(self._axis_changed)
        row.addWidget(self.axis_choice)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(self._placeholders[1], 1)
        self.plot_box = box
        return box

    def _axis_changed(self, index: int) -> None:
        self.store.set_view_value(AXIS_KEY, index)
        if self.plot is not None:
            self.plot.set_axis(self.axis_choice.itemData(index) or ITERATIONS)

    def _export_buttons(self) -> QGridLayout:
        grid = QGridLayout()
        self._engine_widgets: list = []
        for i, (text, slot) in enumerate((("Save .sinr…", self.export_sinr_dialog),
                                          ("Save PNGs…", self.export_pngs_dialog),
                                          ("Save run…", self.export_run_dialog),
                                          ("Save view as PNG…", self.export_view_dialog))):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, slot=slot: slot())
            grid.addWidget(b, i // 2, i % 2)
            if slot == self.export_sinr_dialog:
                self._engine_widgets.append(b)
        return grid

    def _place_views(self) -> None:
        """Put the pyqtgraph views built by ``build_views`` in their placeholders' places."""
        self.compare_tab.replaceWidget(0, self.compare)
        self.plot_box.layout().replaceWidget(self._placeholders[1], self.plot)
        self.compare_tab.fit = self.compare.wanted_height
        self.compare.gridChanged.connect(self.compare_tab.refit)
        self.plot.set_axis(self.axis_choice.currentData() or ITERATIONS)
        current = self.tabs.currentIndex()
        self.tabs.removeTab(1)
        self.tabs.insertTab(1, self.maps_view, "Segmentation and expert maps")
        self.tabs.setCurrentIndex(current)
        for old in self._placeholders:
            old.deleteLater()
        self._placeholders = []
        self.compare_tab.refit()

    def fit_panels(self) -> None:
        """View ▸ Fit the panels: the automatic split again."""
        self.compare_tab.fit_automatically()

    def _restore_geometry(self) -> None:
        """The stored size and place; on a first start, the screen's free area."""
        geometry, state = self.store.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.first_start = True
            self.setGeometry(self.screen().availableGeometry())
        if state is not None:
            self.restoreState(state)
