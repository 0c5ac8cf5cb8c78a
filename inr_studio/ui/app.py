"""``inr-studio [IMAGE]``: open the window (on IMAGE, else on a bundled sample).

Order matters for a quick, safe start: (1) check that Qt's platform plugin can load (a missing
xcb library would abort the process, ``platform_check``); (2) create the application and show
the window, which imports no torch; (3) once the first frame is painted, load the image and
the training engine in threads.
"""

from __future__ import annotations

import os
import sys
import time

from .settings import APPLICATION, ORGANISATION


def create_window(path: str | None = None):
    """Make (or reuse) the QApplication and a shown window; the image and the engine load
    after the first paint."""
    import pyqtgraph as pg
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow
    from .resources import DESKTOP_FILE_NAME, app_icon

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(app_icon())
    pg.setConfigOptions(antialias=True)
    window = MainWindow()
    window.setWindowIcon(app.windowIcon())
    window.show()
    app.aboutToQuit.connect(window.shutdown)

    def after_first_paint() -> None:
        window.open_initial(path)
        window.start_engine()

    # A zero timer runs once the events queued by show() (expose, first paint) are handled.
    QTimer.singleShot(0, after_first_paint)
    return app, window


def run_app(path: str | None = None) -> int:
    """Run the event loop until the window closes; the exit status of the application."""
    from .platform_check import check_platform

    problem = check_platform()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    app, window = create_window(path)
    if os.environ.get("INR_STUDIO_DRIVE"):  # scripted session for the xcb test (ui/drive.py)
        from .drive import drive

        drive(app, window, os.environ["INR_STUDIO_DRIVE"], started=t0)
    code = app.exec()
    window.shutdown()  # every thread stopped and waited for, settings saved
    return int(code)
