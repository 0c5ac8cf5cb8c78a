"""``inr-studio [IMAGE]``: open the window (on IMAGE, else on a bundled sample).

Order matters for a quick, safe start: (1) check that Qt's platform plugin can load (a missing
xcb library would abort the process, ``platform_check``); (2) create the application and show
the window, which imports no torch; (3) once the first frame is painted, load the image and
the training engine in threads.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from .settings import APPLICATION, ORGANISATION


def create_window(path: str | None = None):
    """Make (or reuse) the QApplication and a shown window; the image and the engine load
    after the first paint."""
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow
    from .resources import DESKTOP_FILE_NAME, app_icon

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(app_icon())
    window = MainWindow(deferred_views=True)  # pyqtgraph loads after the first paint
    window.engine_loader.viewsImportable.connect(_pyqtgraph_options)
    window.setWindowIcon(app.windowIcon())
    window.show()
    app.aboutToQuit.connect(window.shutdown)

    def after_first_paint() -> None:
        window.open_initial(path)
        window.start_engine()

    app._first_paint = _AfterFirstPaint(app, window, after_first_paint)  # keep it referenced
    return app, window


def _pyqtgraph_options() -> None:
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True)


class _AfterFirstPaint:
    """Runs ``callback`` once the window has painted its first frame (or after FALLBACK_MS).

    The image and engine threads compete with the GUI thread for the GIL; started before the
    first paint (a zero timer after ``show()`` fires before the X server's expose event), they
    delayed the first frame by a second and more.
    """

    FALLBACK_MS = 2000

    def __init__(self, app, window, callback) -> None:
        from PySide6.QtCore import QEvent, QObject, QTimer

        self.callback, self.done = callback, False
        outer = self

        class Filter(QObject):
            def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
                if event.type() == QEvent.Type.Paint and not outer.done:
                    if getattr(watched, "window", None) and watched.window() is window:
                        QTimer.singleShot(0, outer.fire)
                        outer.done = True
                return False

        self.filter = Filter()
        self.app = app
        app.installEventFilter(self.filter)
        QTimer.singleShot(self.FALLBACK_MS, self.fire)

    def fire(self) -> None:
        if self.filter is not None:
            self.app.removeEventFilter(self.filter)
            self.filter = None
            self.done = True
            self.callback()


def run_app(path: str | None = None,
            on_shown: Callable[[object, object, float], None] | None = None) -> int:
    """Run the event loop until the window closes; the exit status of the application.

    ``on_shown(app, window, started)``, if given, is called once the window is shown, before
    the event loop starts (``started``: ``time.perf_counter()`` before the window was made); the
    test of the real window scripts its session through it."""
    from .platform_check import check_platform

    problem = check_platform()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    app, window = create_window(path)
    if on_shown is not None:
        on_shown(app, window, t0)
    code = app.exec()
    window.shutdown()  # every thread stopped and waited for, settings saved
    return int(code)
