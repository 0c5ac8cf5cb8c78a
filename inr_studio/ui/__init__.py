"""The window (PySide6 + pyqtgraph). Nothing outside this package imports Qt.

Modules: ``app`` (entry), ``main_window`` (composition), one widget per file (``train_panel``,
``compare_view``, ``maps_view``, ``psnr_plot``, ``stats_table``, ``export_dialog``,
``sinr_view``, ``message_bar``), ``image_drop`` (drag and drop), ``worker`` and
``run_controller`` (training in a QThread), ``session`` (application state, Qt-free),
``settings`` (QSettings), ``samples`` (bundled images), ``palette`` (colours).
"""
