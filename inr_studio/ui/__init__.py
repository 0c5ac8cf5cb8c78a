"""The window (PySide6 + pyqtgraph). Nothing outside this package imports Qt.

Modules: ``app`` (entry), ``main_window`` (composition), one widget per file (``train_panel``,
``model_picker``, ``compare_view``, ``maps_view``, ``histogram``, ``psnr_plot``, ``stats_table``,
``export_dialog``, ``sinr_view``, ``message_bar``), ``panels`` (the image-panel pieces they
share), ``image_drop`` (drag and drop), ``background`` (every background job: training, loads,
measurements), ``worker`` and ``run_controller`` (training), ``session`` (application state,
Qt-free), ``exports`` (file formats, Qt-free), ``settings`` (the QSettings store), ``samples``
(bundled images), ``palette`` (colour tables; model names and colours come from the model
registry).
"""
