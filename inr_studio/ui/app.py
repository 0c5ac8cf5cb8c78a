"""``inr-studio [IMAGE]``: open the window (on IMAGE, else on a bundled sample)."""

from __future__ import annotations

import sys

from .settings import APPLICATION, ORGANISATION


def create_window(path: str | None = None):
    """Make (or reuse) the QApplication and a window showing ``path`` or the default sample."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    pg.setConfigOptions(antialias=True)
    window = MainWindow()
    window.show()
    window.open_initial(path)
    app.aboutToQuit.connect(window.shutdown)
    return app, window


def run_app(path: str | None = None) -> int:
    """Run the event loop until the window closes; the exit status of the application."""
    app, window = create_window(path)
    code = app.exec()
    window.shutdown()  # every thread stopped and waited for, settings saved
    return int(code)
